"""Evaluating the arithmetic rules (勾稽关系) over a table's cells."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from govreport.inference.templates import Rule

Value = int | float | None
TOLERANCE = 1e-6


@dataclass(frozen=True)
class RuleCheck:
    rule: Rule
    lhs: float
    rhs: float

    @property
    def holds(self) -> bool:
        return abs(self.lhs - self.rhs) < TOLERANCE


def check(rule: Rule, cells: Mapping[str, Value]) -> RuleCheck | None:
    """The rule's two sides, or None when a cell it needs is absent or blank."""
    values = [cells.get(k) for k in rule.cells]
    if any(v is None for v in values):
        return None
    return RuleCheck(rule, sum(cells[k] for k in rule.lhs), sum(cells[k] for k in rule.rhs))


def broken(rules: Iterable[Rule], cells: Mapping[str, Value]) -> list[RuleCheck]:
    """Rules whose cells are all known and whose sides differ, in rule order."""
    return [c for r in rules if (c := check(r, cells)) is not None and not c.holds]


# No body receives, decides or is sued over a billion of anything in a year: a count past this is a misprint
# or a hostile file, never a figure to compute with.
MAX_COUNT = 10**9


def is_count(key: str) -> bool:
    """Tables 3 and 4 hold counts: non-negative integers. Table 2 may hold amounts and signed changes."""
    return key.startswith(("t3.", "t4."))


def valid_value(key: str, value: float) -> bool:
    """Whether ``value`` can stand in cell ``key``: a count is a whole number from 0 to MAX_COUNT."""
    return not is_count(key) or (0 <= value <= MAX_COUNT and float(value).is_integer())


def solve_one(rule: Rule, cells: Mapping[str, Value], unknown: str) -> float:
    """The value of ``unknown`` that makes ``rule`` hold, given every other cell of the rule."""
    lhs = sum(cells[k] for k in rule.lhs if k != unknown)
    rhs = sum(cells[k] for k in rule.rhs if k != unknown)
    return rhs - lhs if unknown in rule.lhs else lhs - rhs

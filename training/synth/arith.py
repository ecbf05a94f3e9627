"""The arithmetic rules of configs/rules.yaml evaluated over a cell dict, as the spec's checker does.

Gold ``violations`` must equal the rules failing on the printed figures, so this mirrors
shared/spec/check_gold.py ``evaluate``: a rule touching a missing or null cell is skipped, and
``alt_rhs`` replaces ``rhs`` when the report prints the optional single （六）其他处理 row.
"""

from __future__ import annotations

from collections.abc import Mapping

from govreport.configs import load

Cells = Mapping[str, float | int | None]


def rules(fmt: str) -> list[dict]:
    return load("rules")["formats"][fmt]


def _sides(rule: dict, cells: Cells) -> tuple[list[str], list[str]] | None:
    """The rule's (lhs, rhs) keys usable on ``cells``, or None when the rule is skipped."""
    if all(cells.get(k) is not None for k in rule["lhs"] + rule["rhs"]):
        return rule["lhs"], rule["rhs"]
    alt = rule.get("alt_rhs")
    if alt and all(cells.get(k) is not None for k in rule["lhs"] + alt):
        return rule["lhs"], alt
    return None


def failing(fmt: str, cells: Cells) -> list[str]:
    """Ids of the rules (in rule order) that ``cells`` break."""
    out = []
    for rule in rules(fmt):
        sides = _sides(rule, cells)
        if sides and abs(sum(cells[k] for k in sides[0]) - sum(cells[k] for k in sides[1])) > 1e-9:
            out.append(rule["id"])
    return out


def solve(fmt: str, cells: Cells, key: str) -> int | None:
    """The value of the unknown ``key`` that the rules fix (None if no rule fixes it, or they disagree,
    or the value would be negative)."""
    found: set[int] = set()
    for rule in rules(fmt):
        for rhs in (rule["rhs"], rule.get("alt_rhs")):
            if not rhs or key not in rule["lhs"] + rhs:
                continue
            others = [k for k in rule["lhs"] + rhs if k != key]
            if any(cells.get(k) is None for k in others):
                continue
            lhs = sum(cells[k] for k in rule["lhs"] if k != key)
            rsum = sum(cells[k] for k in rhs if k != key)
            found.add(int(rsum - lhs) if key in rule["lhs"] else int(lhs - rsum))
    return found.pop() if len(found) == 1 and min(found) >= 0 else None

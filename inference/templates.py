"""The report templates and their arithmetic rules, read from configs/ into typed objects.

This is the one engine over ``configs/templates.yaml`` and ``configs/rules.yaml``: every other module asks
it for rows, columns, cell keys and rules instead of knowing them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from govreport.configs import load


@dataclass(frozen=True)
class Label:
    """A row, column or group of a table: its key, printed label and the variants that identify it."""

    key: str
    label: str
    variants: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """One table as rows × columns. ``row_cols`` gives per-row columns where rows differ (table 2)."""

    id: str
    rows: tuple[Label, ...]
    cols: tuple[Label, ...]
    row_cols: dict[str, tuple[Label, ...]]

    def cells(self, row: str) -> list[str]:
        return [f"{self.id}.{row}.{c.key}" for c in self.row_cols.get(row, self.cols)]


@dataclass(frozen=True)
class Rule:
    id: str
    says: str
    lhs: tuple[str, ...]
    rhs: tuple[str, ...]
    alt_rhs: tuple[str, ...] | None = None

    @property
    def cells(self) -> tuple[str, ...]:
        return self.lhs + self.rhs


@dataclass(frozen=True)
class Template:
    id: str
    years: tuple[int, int]
    t2: Table
    t3: Table
    t3_optional: tuple[Label, ...]
    t3_stands_for: dict[str, tuple[str, ...]]
    t3_groups: tuple[Label, ...]
    t4: Table
    rules: tuple[Rule, ...]

    def table(self, table_id: str) -> Table:
        return {"t2": self.t2, "t3": self.t3, "t4": self.t4}[table_id]

    def cell_keys(self, optional_rows: frozenset[str] = frozenset()) -> dict[str, list[str]]:
        """Cell keys per table; a printed optional row replaces the rows it stands for."""
        replaced = {r for o in optional_rows for r in self.t3_stands_for[o]}
        t3 = [k for r in self.t3.rows if r.key not in replaced for k in self.t3.cells(r.key)]
        t3 += [f"t3.{o}.{c.key}" for o in optional_rows for c in self.t3.cols]
        return {
            "t2": [k for r in self.t2.rows for k in self.t2.cells(r.key)],
            "t3": t3,
            "t4": [k for r in self.t4.rows for k in self.t4.cells(r.key)],
        }

    def active_rules(self, optional_rows: frozenset[str] = frozenset()) -> list[Rule]:
        """The rules as they apply to a report: with an optional row printed, ``alt_rhs`` replaces ``rhs``."""
        out = []
        for r in self.rules:
            if r.alt_rhs and optional_rows:
                r = Rule(r.id, r.says, r.lhs, r.alt_rhs)
            out.append(r)
        return out


def _labels(entries: list[dict]) -> tuple[Label, ...]:
    return tuple(Label(e["key"], e["label"], tuple(e["variants"])) for e in entries)


def _template(fid: str, spec: dict, rules: list[dict]) -> Template:
    t2_rows, t2_cols = [], {}
    for group in spec["t2"]["groups"]:
        for row in group["rows"]:
            t2_rows.append(Label(row["key"], row["label"], tuple(row["variants"])))
            t2_cols[row["key"]] = _labels(row["cols"])
    t3 = spec["t3"]
    return Template(
        id=fid,
        years=tuple(spec["years"]),
        t2=Table("t2", tuple(t2_rows), (), t2_cols),
        t3=Table("t3", _labels(t3["rows"]), _labels(t3["cols"]), {}),
        t3_optional=_labels(t3["optional_rows"]),
        t3_stands_for={o["key"]: tuple(o["stands_for"]) for o in t3["optional_rows"]},
        t3_groups=_labels(t3["groups"]),
        t4=Table("t4", _labels(spec["t4"]["groups"]), _labels(spec["t4"]["cols"]), {}),
        rules=tuple(
            Rule(
                r["id"],
                r["says"],
                tuple(r["lhs"]),
                tuple(r["rhs"]),
                tuple(r["alt_rhs"]) if "alt_rhs" in r else None,
            )
            for r in rules
        ),
    )


@cache
def templates() -> dict[str, Template]:
    """Both templates by id ('2021', '2019')."""
    spec, rules = load("templates"), load("rules")
    return {fid: _template(fid, f, rules["formats"][fid]) for fid, f in spec["formats"].items()}


@cache
def row_labels() -> tuple[Label, ...]:
    """Every row label of both templates (table 2, table 3 with its optional rows and groups)."""
    out: list[Label] = []
    for t in templates().values():
        out += list(t.t2.rows) + list(t.t3.rows) + list(t.t3_optional) + list(t.t3_groups)
    return tuple(out)


@cache
def sections() -> tuple[dict, ...]:
    return tuple(load("templates")["sections"])


@cache
def header_words() -> tuple[str, ...]:
    return tuple(load("templates")["header_words"])


def template_for_year(year: int | None) -> Template:
    for t in templates().values():
        if year is not None and t.years[0] <= year <= t.years[1]:
            return t
    return templates()["2021"]

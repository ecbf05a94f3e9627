"""Table figures: drawn from size-dependent distributions so that every arithmetic rule holds, then
(for a share of reports) a realistic printed inconsistency, and the way each figure is printed."""

from __future__ import annotations

import math
import random

from govreport.configs import load
from govreport.training.synth import arith

# Median number of new requests per size class; a log-normal spread around it.
_REQ_MEDIAN = {"province": 1500, "city": 300, "county": 25, "dept": 4, "street": 1}
_APPLICANT_W = [0.86, 0.07, 0.004, 0.006, 0.04, 0.02]
_RESULT_W = {
    "granted": 0.35, "partial": 0.07, "denied_secret": 0.003, "denied_law": 0.01, "denied_safety": 0.005,
    "denied_third_party": 0.02, "denied_internal": 0.01, "denied_process": 0.02, "denied_enforcement": 0.01,
    "denied_query": 0.03, "unable_not_held": 0.22, "unable_create": 0.03, "unable_unclear": 0.02,
    "refused_petition": 0.05, "refused_duplicate": 0.03, "refused_publication": 0.005, "refused_mass": 0.01,
    "refused_confirm": 0.01, "other_no_correction": 0.04, "other_no_fee": 0.003, "other_other": 0.05,
    "other": 0.09, "carried_forward": 0.04,
}
_SCALE = {"province": 2000.0, "city": 400.0, "county": 60.0, "dept": 8.0, "street": 1.0}


def t3_rows(fmt: str, single_other: bool) -> list[str]:
    """Row keys of table 3 as printed (the optional single （六）其他处理 row replaces its parts)."""
    t3 = load("templates")["formats"][fmt]["t3"]
    rows = [r["key"] for r in t3["rows"]]
    for opt in t3.get("optional_rows", []):
        if single_other:
            i = rows.index(opt["stands_for"][0])
            rows = [r for r in rows if r not in opt["stands_for"]]
            rows.insert(i, opt["key"])
    return rows


def _split(rng: random.Random, total: int, weights: list[float]) -> list[int]:
    """Split ``total`` into len(weights) non-negative parts, roughly proportional to the weights."""
    if total <= 0:
        return [0] * len(weights)
    if total <= 60:
        counts = [0] * len(weights)
        for i in rng.choices(range(len(weights)), weights=weights, k=total):
            counts[i] += 1
        return counts
    s = sum(weights)
    shares = [w / s * rng.uniform(0.6, 1.4) for w in weights]
    s = sum(shares)
    counts = [int(total * x / s) for x in shares]
    for i in rng.choices(range(len(weights)), weights=weights, k=total - sum(counts)):
        counts[i] += 1
    return counts


def _lognormal(rng: random.Random, median: float, sigma: float = 1.0) -> int:
    return int(median * math.exp(rng.gauss(0, sigma)))


def sample_t3(rng: random.Random, fmt: str, size: str, single_other: bool) -> dict[str, int]:
    rows = t3_rows(fmt, single_other)
    cols = [c["key"] for c in load("templates")["formats"][fmt]["t3"]["cols"]][:-1]
    zero_p = {"street": 0.55, "dept": 0.3, "county": 0.05}.get(size, 0.0)
    n_new = 0 if rng.random() < zero_p else max(0, _lognormal(rng, _REQ_MEDIAN[size]))
    app_w = [w * rng.uniform(0.3, 1.7) for w in _APPLICANT_W]
    new = _split(rng, n_new, app_w)
    carried = _split(rng, _lognormal(rng, n_new * 0.04, 1.2) if n_new and rng.random() < 0.6 else 0, app_w)
    result_rows = rows[rows.index("granted") : rows.index("total")]
    res_w = [_RESULT_W[r] * rng.uniform(0.2, 2.0) for r in [*result_rows, "carried_forward"]]
    cells: dict[str, int] = {}
    for ci, col in enumerate(cols):
        cells[f"t3.new.{col}"], cells[f"t3.carried_over.{col}"] = new[ci], carried[ci]
        parts = _split(rng, new[ci] + carried[ci], res_w)
        for r, v in zip([*result_rows, "carried_forward"], parts, strict=True):
            cells[f"t3.{r}.{col}"] = v
        cells[f"t3.total.{col}"] = sum(parts[:-1])
    for r in rows:
        cells[f"t3.{r}.total"] = sum(cells[f"t3.{r}.{c}"] for c in cols)
    return cells


def sample_t4(rng: random.Random, size: str) -> dict[str, int]:
    scale = {"province": 40, "city": 12, "county": 2, "dept": 0.5, "street": 0.1}[size]
    cells: dict[str, int] = {}
    for group, share in (("review", 1.0), ("suit_direct", 0.5), ("suit_after_review", 0.3)):
        n = 0 if rng.random() < math.exp(-scale * share) else max(0, _lognormal(rng, scale * share, 0.8))
        parts = _split(rng, n, [0.6, 0.1, 0.15, 0.15])
        for col, v in zip(("upheld", "corrected", "other", "pending"), parts, strict=True):
            cells[f"t4.{group}.{col}"] = v
        cells[f"t4.{group}.total"] = n
    return cells


def _amount(rng: random.Random, scale: float) -> float | int:
    if rng.random() < 0.45:
        return 0
    v = round(scale * math.exp(rng.gauss(0, 1.3)), rng.choice([0, 1, 2, 2, 4]))
    return int(v) if v == int(v) else v


def sample_t2(rng: random.Random, fmt: str, size: str, makes_rules: bool) -> dict[str, float | int | None]:
    """Table 2 figures; t2 has no arithmetic rules, only plausible magnitudes."""
    s = _SCALE[size]
    cells: dict[str, float | int | None] = {}
    big = lambda m: max(0, _lognormal(rng, m * s, 1.3)) if rng.random() < 0.85 else 0  # noqa: E731
    if fmt == "2021":
        issued, repealed = (rng.randint(0, 4), rng.randint(0, 3)) if makes_rules else (0, 0)
        cells |= {"t2.regulations.issued": issued, "t2.regulations.repealed": repealed,
                  "t2.regulations.in_force": rng.randint(issued, 150) if makes_rules else 0}
        n_issued = min(_lognormal(rng, 0.5 + s ** 0.5, 0.9), 80)
        cells |= {"t2.normative.issued": n_issued, "t2.normative.repealed": rng.randint(0, n_issued + 3),
                  "t2.normative.in_force": n_issued + _lognormal(rng, 4 * s ** 0.5 + 2, 1.0)}
        cells |= {"t2.licensing.decisions": big(60), "t2.penalty.decisions": big(20),
                  "t2.coercion.decisions": big(1), "t2.fees.amount": _amount(rng, 20 * s)}
        return cells
    made = rng.randint(0, 4) if makes_rules else 0
    cells |= {"t2.regulations.made": made, "t2.regulations.published": made,
              "t2.regulations.total": rng.randint(made, 150) if makes_rules else 0}
    n_made = min(_lognormal(rng, 0.5 + s ** 0.5, 0.9), 80)
    cells |= {"t2.normative.made": n_made, "t2.normative.published": n_made,
              "t2.normative.total": n_made + _lognormal(rng, 4 * s ** 0.5 + 2, 1.0)}
    for row, m in (("licensing", 60), ("other_services", 10), ("penalty", 20), ("coercion", 1)):
        prev = _lognormal(rng, 3 + s ** 0.7, 0.8)
        cells |= {f"t2.{row}.prev_items": prev, f"t2.{row}.change": rng.randint(-min(prev, 30), 30),
                  f"t2.{row}.decisions": big(m)}
    prev = _lognormal(rng, 2 + s ** 0.5, 0.8)
    cells |= {"t2.fees.prev_items": prev, "t2.fees.change": rng.randint(-min(prev, 5), 3),
              "t2.procurement.items": big(0.5), "t2.procurement.amount": _amount(rng, 300 * s)}
    return cells


def add_inconsistency(rng: random.Random, fmt: str, cells: dict, rows: list[str]) -> str | None:
    """Print a realistic inconsistency into ``cells`` (in place); return what was done, or None.

    Kinds: a figure printed one column off, a total that ignores one row, a table-4 total printed 0
    against non-zero parts, a typo in a total.
    """
    cols = ["natural", "commercial", "research", "social", "legal", "other"]
    result_rows = rows[rows.index("granted") : rows.index("total")]
    kinds = ["misplaced", "ignores_row", "t4_zero_total", "typo"]
    rng.shuffle(kinds)
    for kind in kinds:
        trial = dict(cells)
        if kind == "misplaced":
            cand = [(r, i) for r in rows for i in range(6) if trial[f"t3.{r}.{cols[i]}"]]
            if not cand:
                continue
            r, i = rng.choice(cand)
            j = i + 1 if i < 5 else i - 1
            a, b = f"t3.{r}.{cols[i]}", f"t3.{r}.{cols[j]}"
            trial[a], trial[b] = trial[b], trial[a]
            what = f"{a} and {b} printed swapped"
        elif kind == "ignores_row":
            cand = [(r, c) for r in result_rows for c in [*cols, "total"] if trial[f"t3.{r}.{c}"]]
            if not cand:
                continue
            r, c = rng.choice(cand)
            trial[f"t3.total.{c}"] -= trial[f"t3.{r}.{c}"]
            what = f"t3.total.{c} printed without row {r}"
        elif kind == "t4_zero_total":
            cand = [g for g in ("review", "suit_direct", "suit_after_review") if trial.get(f"t4.{g}.total")]
            if not cand:
                continue
            g = rng.choice(cand)
            trial[f"t4.{g}.total"] = 0
            what = f"t4.{g}.total printed 0"
        else:
            key = f"t3.{rng.choice(['total', 'new', *result_rows])}.total"
            trial[key] += rng.choice([1, 2, 10, -1]) if trial[key] else rng.randint(1, 3)
            what = f"{key} printed off"
        if arith.failing(fmt, trial):
            cells.clear()
            cells.update(trial)
            return what
    return None


def fmt_figure(value: float | int | None, thousands: bool = False, rng: random.Random | None = None) -> str:
    """How a figure is printed: plain, with a thousands separator, or a placeholder for a blank."""
    if value is None:
        return rng.choice(["/", "—", "/"]) if rng else "/"
    if isinstance(value, float):
        text = f"{value:,}" if thousands and abs(value) >= 1000 else repr(value)
        return text
    return f"{value:,}" if thousands and abs(value) >= 1000 else str(value)

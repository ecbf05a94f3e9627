"""The evaluation's definitions on small hand-made cases."""

from govreport.evaluation.metrics import aggregate, score_document


def _pred(cells, violations=(), sections=(1,), title="T", fmt="2021"):
    return {
        "cells": {k: {"value": v, "status": s} for k, (v, s) in cells.items()},
        "violations": [{"rule": r} for r in violations],
        "sections": [{"id": i} for i in sections],
        "title": title,
        "format": fmt,
    }


GOLD = {
    "doc": "d",
    "format": "2021",
    "title": "T",
    "sections": [{"id": 1}, {"id": 2}],
    "cells": {"t3.a.x": 5, "t3.a.y": 0, "t2.b.z": None},
    "inferred": ["t3.a.y"],
    "violations": ["r1"],
}


def test_counts_and_nulls():
    pred = _pred({"t3.a.x": (5, "observed"), "t3.a.y": (1, "observed"), "t2.b.z": (None, "observed")})
    s = score_document(GOLD, pred)
    assert (s["cells_correct"], s["cells_gold"], s["cells_pred"]) == (2, 3, 3)
    assert [w["cell"] for w in s["wrong_cells"]] == ["t3.a.y"]


def test_extra_figure_counts_against_precision():
    pred = _pred({"t3.a.x": (5, "observed"), "t3.a.y": (0, "inferred"), "t3.c.x": (7, "observed")})
    s = score_document(GOLD, pred)
    assert s["cells_pred"] == 4 and s["cells_correct"] == 3
    agg = aggregate([s])
    assert agg["cells"]["precision"] == 0.75 and agg["cells"]["recall"] == 1.0
    assert agg["inferred_recall"] == 1.0
    assert not s["all_cells_right"]


def test_inferred_zero_may_sit_in_another_zero_cell_of_the_row():
    gold = GOLD | {"cells": {"t3.a.x": 0, "t3.a.y": 0}, "inferred": ["t3.a.y"]}
    pred = _pred({"t3.a.x": (0, "inferred"), "t3.a.y": (0, "observed")})
    assert score_document(gold, pred)["inferred_found"] == 1
    gold_nonzero = GOLD | {"cells": {"t3.a.x": 0, "t3.a.y": 3}, "inferred": ["t3.a.y"]}
    pred = _pred({"t3.a.x": (0, "inferred"), "t3.a.y": (3, "observed")})
    assert score_document(gold_nonzero, pred)["inferred_found"] == 0


def test_sections_title_format_violations():
    s = score_document(GOLD, _pred({}, violations=["r2"], sections=(1, 3), title="X", fmt="2019"))
    assert s["sections_correct"] == 1 and s["sections_pred"] == 2 and s["sections_gold"] == 2
    assert not s["title_match"] and not s["format_match"] and not s["violations_match"]
    assert s["violations_missed"] == ["r1"] and s["violations_extra"] == ["r2"]

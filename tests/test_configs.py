"""configs/ must agree exactly with the shared spec: cell keys of both templates and the rules."""

from govreport.inference.templates import sections, templates


def test_cell_keys_match_spec(spec):
    for fid, fmt in spec["formats"].items():
        t = templates()[fid]
        keys = t.cell_keys()
        assert keys["t2"] == [c["key"] for c in fmt["t2"]]
        assert keys["t3"] == fmt["t3"]["cells"]
        assert keys["t4"] == fmt["t4"]["cells"]
        for opt in fmt["t3"].get("optional_rows", []):
            with_opt = t.cell_keys(frozenset({opt["key"]}))["t3"]
            parts = {f"t3.{r}." for r in opt["stands_for"]}
            assert not any(k.startswith(tuple(parts)) for k in with_opt)
            assert set(fmt["t3"]["optional_cells"]) <= set(with_opt)


def test_key_counts(spec):
    assert sum(len(v) for v in templates()["2021"].cell_keys().values()) == 200
    assert sum(len(v) for v in templates()["2019"].cell_keys().values()) == 198


def test_rules_match_spec(spec):
    for fid, fmt in spec["formats"].items():
        ours = [
            {"id": r.id, "says": r.says, "lhs": list(r.lhs), "rhs": list(r.rhs)}
            | ({"alt_rhs": list(r.alt_rhs)} if r.alt_rhs else {})
            for r in templates()[fid].rules
        ]
        assert ours == fmt["rules"]


def test_sections_match_spec(spec):
    assert [(s["id"], s["label"]) for s in sections()] == [(s["id"], s["label"]) for s in spec["sections"]]

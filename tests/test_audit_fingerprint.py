"""Finding ids are fingerprints: the same report, check and operands give the same id across re-runs and
across taggers (--tagger model|rules), so a reviewer's decision survives; what was compared changing changes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from govreport.inference.pipeline import Extractor
from govreport.inference.readers import read_document
from govreport.inference.schema import Extraction
from govreport.inference.taggers import get_tagger

from tests.conftest import SEEDS, SHARED
from tests.test_audit import HONGQI, RULES, SAY_HONGQI, audit, edit, seed

DEV = sorted(SEEDS.glob("*.txt")) + sorted((SHARED / "dev" / "pdf").glob("*.pdf"))


def _ids(report: Extraction) -> list[tuple[str, str, str]]:
    return [(f.id, f.check, f.result) for f in report.findings]


@pytest.fixture(scope="module")
def by_rules() -> dict[str, Extraction]:
    extractor = Extractor(RULES)
    return {p.name: extractor.extract(read_document(p)) for p in DEV}


def test_ids_are_the_same_on_a_rerun(by_rules: dict[str, Extraction]) -> None:
    extractor = Extractor(get_tagger("rules"))
    for path in DEV:
        assert _ids(extractor.extract(read_document(path))) == _ids(by_rules[path.name]), path.name


def test_ids_are_the_same_with_the_model_tagger(by_rules: dict[str, Extraction]) -> None:
    """On the dev reports both taggers read the same figures, so every finding has the same id and result."""
    extractor = Extractor(get_tagger("model", device="cpu"))
    for path in DEV:
        model = extractor.extract(read_document(path))
        assert sorted(_ids(model)) == sorted(_ids(by_rules[path.name])), path.name


def test_ids_follow_the_operands_not_the_offsets() -> None:
    base = {f.check + f.message: f.id for f in audit(seed(HONGQI)).findings}
    shifted = audit(edit(seed(HONGQI), SAY_HONGQI, f"{SAY_HONGQI}全年组织培训两次。"))  # text moves, figures stay
    assert {f.check + f.message: f.id for f in shifted.findings} == base
    renamed = audit(seed(HONGQI), source=str(Path("elsewhere") / "r.txt"))  # same file name elsewhere
    assert {f.id for f in renamed.findings} == set(base.values())
    changed = audit(edit(seed(HONGQI), "共收到政府信息公开申请6件", "共收到政府信息公开申请7件"))
    received = [f for f in changed.findings if f.check == "text.t3.received"]
    assert received[0].result == "fail" and received[0].id not in base.values()
    other = audit(seed(HONGQI), source="another.txt")
    assert not {f.id for f in other.findings} & set(base.values())


def test_a_repeated_sentence_gets_its_own_id() -> None:
    twice = "共受理政府信息公开申请6件。共受理政府信息公开申请6件。"
    found = [f for f in audit(edit(seed(HONGQI), SAY_HONGQI, SAY_HONGQI + twice)).findings if f.check == "text.t3.received"]
    assert len(found) == 3 and len({f.id for f in found}) == 3

"""Rule-verified self-training and the review flag: the verifier keeps a table only when it should, masked
characters stay out of the loss, and the review flag names its reasons."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from govreport.inference.pipeline import Extractor, build_extraction
from govreport.inference.review import review
from govreport.inference.spans import Span, bio_tags, spans_to_bio
from govreport.inference.taggers.rules import RulesTagger
from govreport.training.self_train import verify
from hypothesis import given, settings
from hypothesis import strategies as st

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
CLEAN = "003_a00ed337f27469af"  # a seed whose tables hold every rule
RULES = RulesTagger()


def one_hot(text: str, spans: list[Span]) -> np.ndarray:
    """Probabilities of a tagger that is sure of ``spans``."""
    index = {t: i for i, t in enumerate(bio_tags())}
    probs = np.zeros((len(text), len(index)), dtype=np.float32)
    probs[np.arange(len(text)), [index[t] for t in spans_to_bio(len(text), spans)]] = 1.0
    return probs


def verified_parts(text: str) -> set[str]:
    spans = RULES.tag(text)
    return set(verify("t", text, spans, one_hot(text, spans), spans).parts)


@pytest.fixture(scope="module")
def clean() -> str:
    return (SEEDS / f"{CLEAN}.txt").read_text(encoding="utf-8")


def t3_figures(text: str) -> list[re.Match]:
    start = text.index("三、收到和处理政府信息公开申请情况")
    end = text.index("四、因政务信息公开", start)
    return [m for m in re.finditer(r"(?<=\t)\d+(?=\t|\n)", text) if start <= m.start() < end]


def test_a_consistent_table_is_kept(clean: str) -> None:
    assert {"t2", "t3", "title", "sec:1"} <= verified_parts(clean)


@settings(max_examples=12, deadline=None)
@given(pick=st.integers(0, 10_000), delta=st.integers(1, 9))
def test_one_wrong_figure_drops_the_table(clean: str, pick: int, delta: int) -> None:
    """Property: raise any one printed figure of table 3 and table 3 is no longer trusted."""
    figures = t3_figures(clean)
    m = figures[pick % len(figures)]
    changed = clean[: m.start()] + str(int(m.group()) + delta) + clean[m.end() :]
    assert "t3" not in verified_parts(changed)


def test_an_unmatched_row_drops_the_table(clean: str) -> None:
    at = clean.rindex("\n", 0, clean.index("(二) 部分公开")) + 1
    changed = clean[:at] + "（七）本单位自定义的一行\t0\t0\t0\t0\t0\t0\t0\n" + clean[at:]
    assert "t3" not in verified_parts(changed)
    assert "t3" in verified_parts(clean)


def test_masked_characters_stay_out_of_the_loss() -> None:
    from datasets import Dataset
    from govreport.models.encoding import IGNORE
    from govreport.models.modeling import new_model
    from govreport.training.train import to_windows

    _, tokenizer = new_model("L2-H128")
    text = "一、总体情况\n正文不可信。\n二、主动公开政府信息情况"
    tags = [bio_tags().index(t) for t in spans_to_bio(len(text), [Span(0, 6, "SEC")])]
    mask = [1] * 7 + [0] * 7 + [1] * (len(text) - 14)
    ds = to_windows(Dataset.from_dict({"text": [text], "tags": [tags], "mask": [mask]}), tokenizer, 64, 48)
    labels = [x for x in ds[0]["labels"] if x != IGNORE]
    assert len(labels) == sum(mask)  # one label per trusted character, none for the masked ones
    assert labels[:6] == tags[:6]


def test_review_flag_names_its_reasons(clean: str) -> None:
    extractor = Extractor(RulesTagger())
    from govreport.inference.document import Document

    calm = extractor.extract(Document(source="c", text=clean))
    assert calm.review is not None and not calm.review.flag
    at = clean.rindex("\n", 0, clean.index("(二) 部分公开")) + 1
    odd = clean[:at] + "（七）本单位自定义的一行\t3\t0\t0\t0\t0\t0\t3\n" + clean[at:]
    doubted = extractor.extract(Document(source="o", text=odd))
    assert doubted.review.flag and {"unmatched_rows", "stray_figures"} & set(doubted.review.reasons)
    assert doubted.review.score > calm.review.score


def test_model_and_rules_disagreeing_is_a_reason(clean: str) -> None:
    spans = RULES.tag(clean)
    ours = build_extraction("a", clean, spans)
    other = ours.model_copy(deep=True)
    key = next(k for k, c in other.cells.items() if c.value)
    other.cells[key].value = other.cells[key].value + 1
    assert review(clean, spans, ours, None, other).signals["cells_disagree"] == 1
    assert "cells_disagree" in review(clean, spans, ours, None, other).reasons


def test_a_figure_the_other_reading_missed_is_no_disagreement(clean: str) -> None:
    """The second opinion leaving a cell unread that ours read is no doubt on ours; the reverse is (ours
    missed a figure the other found)."""
    spans = RULES.tag(clean)
    ours = build_extraction("a", clean, spans)
    key = next(k for k, c in ours.cells.items() if c.value)
    other = ours.model_copy(deep=True)
    other.cells[key].value, other.cells[key].status = None, "missing"
    assert review(clean, spans, ours, None, other).signals["cells_disagree"] == 0
    assert review(clean, spans, other, None, ours).signals["cells_disagree"] == 1

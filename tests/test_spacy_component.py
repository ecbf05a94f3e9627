"""The spaCy component fills doc.spans with the tagger's spans; displaCy renders a tagged report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from govreport.inference.spacy_component import SPANS_KEY, build_nlp, render_html
from govreport.inference.taggers.model import ModelTagger
from govreport.models.modeling import new_model, save_model

TEXT = "红旗区2021年政府信息公开工作年度报告\n一、总体情况\n本年新收政府信息公开申请数量\t6\t0\t12\n予以公开\t3\n"


@pytest.fixture(scope="module")
def tagger(tmp_path_factory: pytest.TempPathFactory) -> ModelTagger:
    """A real (untrained, so its spans are arbitrary) model tagger saved and loaded like the shipped one."""
    path: Path = tmp_path_factory.mktemp("model")
    save_model(*new_model("L2-H128"), path)
    return ModelTagger(path, device="cpu")


def test_component_fills_doc_spans_with_the_taggers_spans(tagger: ModelTagger) -> None:
    nlp = build_nlp(tagger)
    assert nlp.pipe_names == ["govreport_tagger"]
    doc = nlp(TEXT)
    expected = tagger.tag(TEXT)
    group = doc.spans[SPANS_KEY]
    assert len(group) == len(expected) > 0
    for span, want in zip(group, expected, strict=True):
        assert span.label_ == want.label
        assert span.start_char <= want.start and want.end <= span.end_char
    assert group.attrs["scores"] == [s.score for s in expected]
    piped = list(nlp.pipe([TEXT, TEXT[:20]], batch_size=2))
    assert [(s.start_char, s.end_char, s.label_) for s in piped[0].spans[SPANS_KEY]] == [
        (s.start_char, s.end_char, s.label_) for s in group
    ]


def test_displacy_view_shows_the_text_and_the_labels(tagger: ModelTagger) -> None:
    doc = build_nlp(tagger)(TEXT)
    html = render_html(doc)
    assert html.count("<mark") == len(doc.spans[SPANS_KEY])
    for span in doc.spans[SPANS_KEY]:
        assert span.label_ in html
    visible = iter(re.sub(r"<[^>]+>|\s", "", html))
    assert all(ch in visible for ch in "".join(TEXT.split())), "the report's characters appear in order"

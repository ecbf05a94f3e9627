"""The tagger as a spaCy pipeline component (fills ``doc.spans``) and a displaCy view of a tagged report."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import spacy
from govreport.configs import load
from govreport.inference.taggers import get_tagger
from govreport.inference.taggers.base import Tagger
from spacy import displacy
from spacy.language import Language
from spacy.tokens import Doc

FACTORY = "govreport_tagger"
SPANS_KEY = "govreport"


class TaggerComponent:
    """Runs a govreport tagger over ``doc.text`` and stores its spans (and their scores) in ``doc.spans``."""

    def __init__(self, tagger: str, model_dir: str | None, spans_key: str) -> None:
        self.tagger_name, self.model_dir, self.spans_key = tagger, model_dir, spans_key
        self._tagger: Tagger | None = None

    @property
    def tagger(self) -> Tagger:
        """Built on first use, so a pipeline can be assembled cheaply and given a ready tagger instead."""
        if self._tagger is None:
            self._tagger = get_tagger(self.tagger_name, self.model_dir)
        return self._tagger

    @tagger.setter
    def tagger(self, value: Tagger) -> None:
        self._tagger = value

    def _fill(self, doc: Doc, spans: list) -> Doc:
        kept = [
            (doc.char_span(s.start, s.end, label=s.label, alignment_mode="expand"), s.score) for s in spans
        ]
        kept = [(span, score) for span, score in kept if span is not None]
        doc.spans[self.spans_key] = [span for span, _ in kept]
        doc.spans[self.spans_key].attrs["scores"] = [score for _, score in kept]
        return doc

    def __call__(self, doc: Doc) -> Doc:
        return self._fill(doc, self.tagger.tag(doc.text))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 8) -> Iterator[Doc]:
        """Tag ``batch_size`` docs at a time (the model tagger batches their windows)."""
        batch: list[Doc] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) == batch_size:
                yield from self._flush(batch)
                batch = []
        yield from self._flush(batch)

    def _flush(self, batch: list[Doc]) -> Iterator[Doc]:
        if batch:
            for doc, spans in zip(batch, self.tagger.tag_batch([d.text for d in batch]), strict=True):
                yield self._fill(doc, spans)


@Language.factory(FACTORY, default_config={"tagger": "model", "model_dir": None, "spans_key": SPANS_KEY})
def make_tagger_component(
    nlp: Language, name: str, tagger: str, model_dir: str | None, spans_key: str
) -> TaggerComponent:
    return TaggerComponent(tagger, model_dir, spans_key)


def build_nlp(tagger: Tagger | str = "model", model_dir: str | Path | None = None) -> Language:
    """``spacy.blank("zh")`` (one token per character) plus our component; ``tagger`` a name or an instance."""
    nlp = spacy.blank("zh")
    name = tagger if isinstance(tagger, str) else tagger.name
    component = nlp.add_pipe(
        FACTORY, config={"tagger": name, "model_dir": str(model_dir) if model_dir else None}
    )
    if not isinstance(tagger, str):
        component.tagger = tagger
    return nlp


def render_html(doc: Doc, spans_key: str = SPANS_KEY, page: bool = False) -> str:
    """displaCy entity view of a tagged doc, by character offsets so the report's text stays exact."""
    spans = doc.spans.get(spans_key, [])
    data = {
        "text": doc.text,
        "ents": [{"start": s.start_char, "end": s.end_char, "label": s.label_} for s in spans],
        "title": None,
    }
    options = {"colors": load("model")["display"]["colors"]}
    return displacy.render(data, style="ent", manual=True, page=page, options=options)

"""Spans over character offsets: what every tagger returns and what the post-processor reads."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from govreport.configs import load


def label_names() -> list[str]:
    """Entity labels of the tagger, in model label-id order (configs/labels.yaml)."""
    return [entry["name"] for entry in load("labels")["labels"]]


def bio_tags() -> list[str]:
    """The BIO tag inventory: O first, then B-/I- for each label (the model's id2label)."""
    tags = ["O"]
    for name in label_names():
        tags += [f"B-{name}", f"I-{name}"]
    return tags


@dataclass(frozen=True, order=True)
class Span:
    """A labelled stretch ``text[start:end]``; ``score`` is the tagger's confidence in [0, 1]."""

    start: int
    end: int
    label: str
    score: float = 1.0

    def text(self, text: str) -> str:
        return text[self.start : self.end]


def spans_to_bio(length: int, spans: Sequence[Span]) -> list[str]:
    """Character-level BIO tags for ``length`` characters; later spans never overwrite earlier ones."""
    tags = ["O"] * length
    for span in sorted(spans):
        if any(t != "O" for t in tags[span.start : span.end]):
            continue
        tags[span.start] = f"B-{span.label}"
        for i in range(span.start + 1, span.end):
            tags[i] = f"I-{span.label}"
    return tags


def bio_to_spans(tags: Sequence[str], scores: Sequence[float] | None = None) -> list[Span]:
    """Spans from BIO tags (an I- without a matching B- opens a span, as seqeval's lenient mode does).

    A span's score is the mean of its characters' scores.
    """
    spans: list[Span] = []
    start, label = -1, ""

    def close(end: int) -> None:
        if label:
            s = sum(scores[start:end]) / (end - start) if scores is not None else 1.0
            spans.append(Span(start, end, label, float(s)))

    for i, tag in enumerate(tags):
        kind, _, name = tag.partition("-")
        if kind == "I" and name == label:
            continue
        close(i)
        start, label = (i, name) if kind in ("B", "I") else (-1, "")
    close(len(tags))
    return spans


class Cover:
    """A fixed set of spans asked many times whether one of them overlaps, contains or starts in a range:
    sorted by start with the running maximum of their ends, each question costs a binary search instead of
    a pass over the set (a 10,000-character report has thousands of spans)."""

    def __init__(self, spans: Iterable[Span]) -> None:
        self.spans = sorted(spans, key=lambda s: s.start)
        self._starts = [s.start for s in self.spans]
        self._reach = list(itertools.accumulate((s.end for s in self.spans), max))

    def overlaps(self, start: int, end: int) -> bool:
        """Some span shares a character with ``[start, end)``."""
        i = bisect.bisect_left(self._starts, end)
        return i > 0 and self._reach[i - 1] > start

    def contains(self, start: int, end: int) -> bool:
        """Some span holds the whole of ``[start, end)``."""
        i = bisect.bisect_right(self._starts, start)
        return i > 0 and self._reach[i - 1] >= end

    def starting_in(self, start: int, end: int) -> list[Span]:
        """The spans that start inside ``[start, end)``."""
        return self.spans[bisect.bisect_left(self._starts, start) : bisect.bisect_left(self._starts, end)]

"""Line-aware decoding of the tagger's character probabilities into spans.

A title or a heading is a whole line as printed, or the head of a line in a copy that lost its line
breaks; it is never a few characters inside a sentence. Arg-max BIO decoding alone breaks such lines
into fragments (``、总`` + ``情况``) or keeps one confident character (``育``) as a title, so heading-type
labels are decided per line and per line head from the probabilities; the other labels keep arg-max BIO.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import cache

import numpy as np
from govreport.configs import load
from govreport.inference.matching import label_score
from govreport.inference.normalize import to_simplified
from govreport.inference.spans import Cover, Span, bio_to_spans
from govreport.inference.templates import row_labels

HEADINGS = ("TITLE", "SEC", "SUB")
CELL_LABELS = ("ROW", "COL", "CAPTION", "NOTE")
_FIELD_SEP = re.compile(r"\t|\||│|\u3000+| {2,}")
_BRACKETED = re.compile(r"[(（][^()（）]*[)）]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_TRIM = " \t\r\u3000\u00a0|│"
# Where a heading may begin inside a line that lost its breaks: after a sentence end and a space, or
# after a wide gap.
_SEGMENT = re.compile(r"(?<=[。；;！!？?])[ \t\u3000\u00a0]+|[ \t\u3000\u00a0]{2,}")


@cache
def _settings() -> dict[str, float]:
    return {k: float(v) for k, v in load("headings")["decoding"].items()}


def _names_report(line: str) -> bool:
    return any(w in to_simplified(line) for w in load("headings")["title"]["must_have"])


def lines(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each line's content, trimmed of spaces and table bars; empty lines skipped."""
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip(_TRIM)
        if stripped:
            lead = pos + len(line) - len(line.lstrip(_TRIM))
            yield lead, lead + len(stripped)
        pos += len(line) + 1


def segments(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Pieces of one line where a heading may start (the line itself first)."""
    line = text[start:end]
    cuts = [0, *(m.end() for m in _SEGMENT.finditer(line))]
    for a, b in zip(cuts, [*cuts[1:], len(line)], strict=True):
        piece = line[a:b].rstrip(_TRIM)
        if piece:
            yield start + a, start + a + len(piece)


def _label_probs(probs: np.ndarray, tags: Sequence[str]) -> dict[str, np.ndarray]:
    """P(B-L) + P(I-L) per character for each heading-type label."""
    return {
        name: probs[:, [i for i, t in enumerate(tags) if t in (f"B-{name}", f"I-{name}")]].sum(axis=1)
        for name in HEADINGS
        if f"B-{name}" in tags
    }


def _head(
    start: int, end: int, name: str, p: np.ndarray, seeds: list[Span], cfg: dict[str, float]
) -> Span | None:
    """The head of a segment as a ``name`` span: seeded by arg-max spans that start at the head (a lost
    first character allowed) and chain with small gaps, widened while the label stays likely, and run to
    the segment's end when only a few characters would be left over."""
    chain = [s for s in seeds if s.label == name and start <= s.start <= start + cfg["head_slack"] and s.start < end]
    if not chain:
        return None
    stop = chain[0].end
    for s in seeds:
        if s.label == name and stop <= s.start <= stop + cfg["gap"] and s.end <= end:
            stop = s.end
    while stop < end and p[stop] >= cfg["extend"]:
        stop += 1
    if end - stop <= cfg["leftover"]:
        stop = end
    score = min(1.0, float(p[start:stop].mean()))
    if stop - start < 2 or score < cfg["line"]:
        return None
    return Span(start, stop, name, score)


def fields(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each non-blank field of a line split at tabs, bars and wide gaps, trimmed."""
    pos = start
    for m in [*_FIELD_SEP.finditer(text, start, end), None]:
        stop = m.start() if m else end
        raw = text[pos:stop]
        if raw.strip():
            lead = pos + len(raw) - len(raw.lstrip())
            yield lead, lead + len(raw.strip())
        if m:
            pos = m.end()


def _cells(text: str, probs: np.ndarray, tags: Sequence[str], taken: list[Span], cfg: dict[str, float]) -> list[Span]:
    """A table cell of words is one label as a whole (a row label with its explanatory note, a column
    header), decided by the mean probabilities over its Chinese characters, or a row label when the tagger
    is unsure and the cell names one of the templates' rows. Cells that hold figures outside
    brackets are left to arg-max decoding (labels and figures run together there)."""
    index = {name: [i for i, t in enumerate(tags) if t in (f"B-{name}", f"I-{name}")] for name in CELL_LABELS}
    out = []
    heads = Cover(taken)
    for start, end in lines(text):
        if heads.overlaps(start, end):
            continue
        for a, b in fields(text, start, end):
            cell = text[a:b]
            if any(c.isdigit() for c in _BRACKETED.sub("", cell)):
                continue
            where = [a + m.start() for m in _CJK.finditer(cell)]
            if len(where) < 2:
                continue
            means = {n: float(probs[where][:, idx].sum(axis=1).mean()) for n, idx in index.items() if idx}
            name = max(means, key=means.__getitem__)
            if means[name] >= cfg["cell"]:
                out.append(Span(a, b, name, min(1.0, means[name])))
            elif (named := max(label_score(cell, lab) for lab in row_labels())) >= cfg["named_row"]:
                out.append(Span(a, b, "ROW", min(1.0, named)))  # the tagger was unsure; the cell names a row
    return out


def decode_spans(text: str, probs: np.ndarray, tags: Sequence[str]) -> list[Span]:
    """Spans from per-character tag probabilities ``[len(text), len(tags)]``."""
    if not len(probs):
        return []
    best = probs.argmax(axis=1)
    argmax = bio_to_spans([tags[i] for i in best], probs[np.arange(len(best)), best].tolist())
    cfg = _settings()
    by_label = _label_probs(probs, tags)
    seeds = Cover(s for s in argmax if s.label in HEADINGS)
    out = [s for s in argmax if s.label not in HEADINGS]
    for start, end in lines(text):
        means = {name: float(p[start:end].mean()) for name, p in by_label.items()}
        if not _names_report(text[start:end]):
            means.pop("TITLE", None)  # a title names a report; a table label the tagger took for one does not
        name = max(means, key=means.__getitem__)
        floor = cfg["title_line"] if name == "TITLE" else cfg["line"]
        if means[name] >= floor:
            out.append(Span(start, end, name, min(1.0, means[name])))
            continue
        for a, b in segments(text, start, end):
            here = seeds.starting_in(a, b)
            heads = [h for n, p in by_label.items() if (h := _head(a, b, n, p, here, cfg))]
            if heads:
                out.append(max(heads, key=lambda h: (h.end - h.start) * h.score))
    heads = [s for s in out if s.label in HEADINGS]
    cells = _cells(text, probs, tags, heads, cfg)
    inside = Cover(cells)
    out = [s for s in out if not inside.contains(s.start, s.end)] + cells
    return _without_overlaps([t for s in out if (t := _trimmed(text, s))])


def _trimmed(text: str, span: Span) -> Span | None:
    """The span without blanks at its edges, None when it holds nothing else: a space between two spaced-out
    characters (规    章) that the tagger finds as likely inside a label as outside is no label of its own."""
    piece = text[span.start : span.end]
    if not piece.strip():
        return None
    start = span.start + len(piece) - len(piece.lstrip())
    return Span(start, start + len(piece.strip()), span.label, span.score)


def _without_overlaps(spans: list[Span]) -> list[Span]:
    """Heading spans win over the arg-max spans they cover (they were decided on more evidence)."""
    heads = sorted(s for s in spans if s.label in HEADINGS)
    cover = Cover(heads)
    kept = [s for s in spans if s.label not in HEADINGS and not cover.overlaps(s.start, s.end)]
    return sorted(kept + heads)

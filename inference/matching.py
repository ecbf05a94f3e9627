"""Fuzzy matching of printed label fragments against template labels (OCR slips, wraps, spacing)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache

from govreport.inference.normalize import for_match
from govreport.inference.templates import Label
from rapidfuzz import fuzz

THRESHOLD = 0.8
SPECIFICITY = 1e-4
# A piece of a label this long (normalised characters) identifies it as well as the whole label does.
DISTINCTIVE = 8


@cache
def _variants(label: Label) -> tuple[str, ...]:
    return tuple({for_match(v) for v in (label.label, *label.variants)} - {""})


def similarity(fragment: str, variant: str) -> float:
    """How well a normalised fragment shows a normalised variant: a fragment that contains the variant
    scores its fuzzy containment; a shorter fragment (a wrapped piece) is scaled by how much of the variant
    it covers, counting ``DISTINCTIVE`` characters as full cover."""
    if not fragment or not variant:
        return 0.0
    if len(fragment) >= len(variant):
        return fuzz.partial_ratio(variant, fragment) / 100
    cover = min(1.0, len(fragment) / min(len(variant), DISTINCTIVE))
    return fuzz.partial_ratio(fragment, variant) / 100 * cover


@lru_cache(maxsize=65536)
def label_score(fragment: str, label: Label) -> float:
    """Best similarity of a raw fragment to any variant of ``label``. Among equally good matches the longer,
    more specific variant wins by a hair (（六）其他处理 1.…逾期不补正 is the part, not the whole group)."""
    norm = for_match(fragment)
    return max((similarity(norm, v) + min(len(v), 40) * SPECIFICITY for v in _variants(label)), default=0.0)


def best_label(fragment: str, labels: Sequence[Label]) -> tuple[int, float]:
    """Index and score of the label the fragment matches best; (-1, 0.0) below the threshold."""
    scores = [label_score(fragment, lab) for lab in labels]
    if not scores:
        return -1, 0.0
    i = max(range(len(scores)), key=scores.__getitem__)
    return (i, scores[i]) if scores[i] >= THRESHOLD else (-1, 0.0)


def align(fragments: Sequence[str], labels: Sequence[Label], sinks: Sequence[Label] = ()) -> list[int]:
    """Assign fragments to labels in template order (monotone, a label may take several fragments),
    maximising the summed match score; -1 for fragments left unassigned. A fragment that matches one of
    ``sinks`` (group labels such as （三）不予公开) better than a label stays unassigned."""
    n = len(labels)
    scores = []
    for f in fragments:
        row = [label_score(f, lab) for lab in labels]
        sink = max((label_score(f, s) for s in sinks), default=0.0)
        scores.append([0.0 if sink > s else s for s in row])
    # best[j]: best total with the last assignment at label j (j = n means none yet); back-pointers per step.
    neg = float("-inf")
    best = [neg] * n + [0.0]
    trail: list[list[tuple[int, int]]] = []
    for row in scores:
        new = best.copy()  # skipping the fragment keeps every state
        back = [(j, -1) for j in range(n + 1)]
        running, arg = best[n], n  # max over states j' <= j, with "none yet" allowed everywhere
        for j in range(n):
            if best[j] > running:
                running, arg = best[j], j
            s = row[j]
            if s >= THRESHOLD and running + s > new[j]:
                new[j] = running + s
                back[j] = (arg, j)
        best = new
        trail.append(back)
    state = max(range(n + 1), key=best.__getitem__)
    out = [-1] * len(fragments)
    for i in range(len(fragments) - 1, -1, -1):
        prev, assigned = trail[i][state]
        if assigned >= 0:
            out[i] = assigned
        state = prev
    return out

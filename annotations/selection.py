"""Which reports to annotate first: those whose annotation would teach the model the most.

Signals per report: the review score (``inference.review``: the post-processor's own doubts and where the
rules baseline reads the report differently; it finds the reports the pipeline gets wrong), the tagger's uncertainty (character tag entropy, where the tagger gives
probabilities), and the product's own doubts from the extraction — broken arithmetic rules that the
printed figures may not explain, low-confidence cells and ``conflict`` cells. Each signal is scaled to [0, 1] over the pool and
weighted (configs/annotate.yaml), then multiplied by how typical the report is of the pool (density),
so outliers do not crowd out the reports that resemble many others. Diversity: reports are clustered
on character n-grams and the ranking takes the best remaining report of each cluster in turn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from govreport.configs import load
from govreport.inference.pipeline import build_extraction
from govreport.inference.schema import Extraction
from govreport.inference.spans import Span
from govreport.inference.taggers.base import Tagger
from govreport.inference.taggers.rules import RulesTagger
from scipy.sparse import csr_matrix
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer

SIGNALS = ("review", "uncertainty", "broken_rules", "low_confidence", "conflict")


@dataclass
class Analysis:
    """One report as the current model sees it: spans, optional tag probabilities, extraction."""

    doc: str
    text: str
    spans: list[Span]
    extraction: Extraction
    probs: np.ndarray | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Ranked:
    """A report's place in the annotation order; ``signals`` are the raw (unscaled) values."""

    doc: str
    rank: int
    score: float
    cluster: int
    signals: dict[str, float]

    def task_data(self) -> dict[str, float | int]:
        """The ``al_*`` fields stored in task data (sortable columns in Label Studio's Data Manager)."""
        parts = {f"al_{k}": v for k, v in self.signals.items()}
        return {"al_rank": self.rank, "al_score": self.score, "al_cluster": self.cluster, **parts}


def analyse(
    docs: Sequence[tuple[str, str]], tagger: Tagger, on_report: Callable[[], None] | None = None
) -> list[Analysis]:
    """Tag (with probabilities when the tagger has ``tag_with_probs``) and extract each ``(doc, text)``."""
    out = []
    with_probs = hasattr(tagger, "tag_with_probs")
    baseline = RulesTagger() if tagger.name != "rules" else None
    for doc, text in docs:
        if with_probs:
            spans, probs = tagger.tag_with_probs(text)  # type: ignore[attr-defined]
        else:
            spans, probs = tagger.tag(text), None
        second = build_extraction(doc, text, baseline.tag(text)) if baseline else None
        out.append(Analysis(doc, text, spans, build_extraction(doc, text, spans, second), probs))
        if on_report:
            on_report()
    return out


def uncertainty(a: Analysis, top_fraction: float) -> float:
    """Mean normalised entropy of the most uncertain ``top_fraction`` of characters.

    A report is mostly easy prose; averaging over every character would drown the table cells the
    model hesitates on. Without probabilities, fall back to the spans' own scores.
    """
    if a.probs is None or len(a.probs) == 0:
        return float(np.mean([1.0 - s.score for s in a.spans])) if a.spans else 0.0
    p = np.clip(a.probs, 1e-12, 1.0)
    entropy = -(p * np.log(p)).sum(axis=1) / np.log(p.shape[1])
    k = max(1, int(len(entropy) * top_fraction))
    return float(np.sort(entropy)[-k:].mean())


def unexplained_violations(extraction: Extraction, threshold: float) -> int:
    """Broken rules the printed figures may not explain: some cell in the rule was not read with confidence.

    A rule broken by figures all read confidently is most likely the report's own error (data, not
    something to teach the model); one that involves a doubtful, inferred or missing cell may be a misread.
    """

    def doubtful(key: str) -> bool:
        cell = extraction.cells.get(key)
        return cell is None or cell.status != "observed" or cell.confidence < threshold

    return sum(any(doubtful(k) for k in v.cells) for v in extraction.violations)


def signals(a: Analysis, cfg: dict) -> dict[str, float]:
    """Raw signal values of one report (see module doc)."""
    cells = a.extraction.cells.values()
    threshold = float(cfg["low_confidence_below"])
    return {
        "review": a.extraction.review.score if a.extraction.review else 0.0,
        "uncertainty": uncertainty(a, float(cfg["uncertainty_top_fraction"])),
        "broken_rules": float(unexplained_violations(a.extraction, threshold)),
        "low_confidence": float(sum(c.status != "missing" and c.confidence < threshold for c in cells)),
        "conflict": float(sum(c.status == "conflict" for c in cells)),
    }


def represent(texts: Sequence[str], cfg: dict) -> csr_matrix:
    """Character n-gram TF-IDF rows, L2-normalised (tabs, newlines and header wording carry the layout)."""
    vec = TfidfVectorizer(
        analyzer="char",
        ngram_range=tuple(cfg["ngram_range"]),
        max_features=int(cfg["max_features"]),
        lowercase=False,
    )
    return vec.fit_transform(texts)


def clusters(x: csr_matrix, cfg: dict) -> np.ndarray:
    """Cluster id per report (k-means on the representations)."""
    k = min(int(cfg["clusters"]), x.shape[0])
    if k < 2:
        return np.zeros(x.shape[0], dtype=int)
    return KMeans(n_clusters=k, n_init=3, random_state=int(cfg["seed"])).fit_predict(x)


def density(x: csr_matrix) -> np.ndarray:
    """Mean cosine similarity of each report to the pool, scaled to max 1: how typical it is.

    Uncertainty alone favours outliers (the longest, strangest reports); weighting by density
    ("information density", Settles & Craven 2008) prefers doubtful reports that resemble many others.
    """
    sim = np.asarray((x @ x.T).mean(axis=1)).ravel()
    return sim / sim.max() if sim.max() > 0 else np.ones(x.shape[0])


def rank(analyses: Sequence[Analysis], cfg: dict | None = None) -> list[Ranked]:
    """All reports in annotation order (best first), with scores and clusters."""
    cfg = cfg or load("annotate")["selection"]
    if not analyses:
        return []
    raw = [signals(a, cfg) for a in analyses]
    weights = cfg["weights"]
    score = np.zeros(len(analyses))
    for name in SIGNALS:
        values = np.array([r[name] for r in raw])
        top = values.max()
        if top > 0:
            score += float(weights[name]) * values / top
    x = represent([a.text for a in analyses], cfg)
    score *= density(x) ** float(cfg["density_weight"])
    groups = clusters(x, cfg)
    queues = {g: sorted(np.flatnonzero(groups == g), key=lambda i: -score[i]) for g in np.unique(groups)}
    order: list[int] = []
    while queues:
        # One report per cluster per round; clusters with the most promising head go first.
        for g in sorted(queues, key=lambda g: -score[queues[g][0]]):
            order.append(queues[g].pop(0))
            if not queues[g]:
                del queues[g]
    return [
        Ranked(
            analyses[i].doc,
            r,
            round(float(score[i]), 4),
            int(groups[i]),
            {k: round(v, 4) for k, v in raw[i].items()},
        )
        for r, i in enumerate(order)
    ]

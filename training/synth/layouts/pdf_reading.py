"""Reading-order PDF text: each line's items joined by single spaces, headers split into characters
across lines (结 结 其 尚 / 果 果 他 未), label parts above and below their figures."""

from __future__ import annotations

import random

from govreport.training.synth.layouts import pdfcanvas
from govreport.training.synth.model import Piece, SynthDoc


def render(rng: random.Random, doc: SynthDoc) -> list[Piece]:
    return pdfcanvas.render(rng, doc, reading=True)

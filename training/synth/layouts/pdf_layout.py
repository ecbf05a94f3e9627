"""pdftotext -layout text: aligned columns of spaces, stacked headers, wrapped labels, page numbers."""

from __future__ import annotations

import random

from govreport.training.synth.layouts import pdfcanvas
from govreport.training.synth.model import Piece, SynthDoc


def render(rng: random.Random, doc: SynthDoc) -> list[Piece]:
    return pdfcanvas.render(rng, doc, reading=False)

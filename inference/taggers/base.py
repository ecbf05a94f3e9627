"""The tagger seam: text in, labelled character spans out. Every tagger (rules, model) implements this."""

from __future__ import annotations

from typing import Protocol

from govreport.inference.spans import Span


class Tagger(Protocol):
    name: str

    def tag(self, text: str) -> list[Span]:
        """Spans over ``text`` (character offsets), sorted by start."""
        ...

    def tag_batch(self, texts: list[str]) -> list[list[Span]]:
        """Tag several texts; the model tagger batches them."""
        ...

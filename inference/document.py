"""What a reader hands to the tagger: the text, and a map from text offsets back to the page."""

from __future__ import annotations

from dataclasses import dataclass, field


class InputError(Exception):
    """A file that cannot be read as a report; carries the file, the stage and a readable reason."""

    def __init__(self, path: str, stage: str, reason: str) -> None:
        super().__init__(f"{path}: {stage}: {reason}")
        self.path, self.stage, self.reason = path, stage, reason

    def __reduce__(self) -> tuple:
        """Picklable across worker processes (the default would call __init__ with one argument)."""
        return (InputError, (self.path, self.stage, self.reason))


@dataclass(frozen=True)
class TextBox:
    """``text[start:end]`` was read from ``page`` (0-based) inside ``bbox`` (x0, y0, x1, y1 in PDF points)."""

    start: int
    end: int
    page: int
    bbox: tuple[float, float, float, float]


@dataclass
class Document:
    """A report as text. ``boxes`` is empty for inputs without pages (plain text)."""

    source: str
    text: str
    kind: str = "text"
    pages: int = 0
    boxes: list[TextBox] = field(default_factory=list)

"""Table grids from ruling lines, for both PDF text layers and OCR'd page images: cells found where the
drawn rulings intersect (pdfplumber's table finder), words placed into the cells by their centres."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from govreport.inference.readers.builder import BBox, Cell, Grid
from pdfplumber.table import (
    Table as RuledTable,
)
from pdfplumber.table import (
    cells_to_tables,
    edges_to_intersections,
    intersections_to_cells,
    merge_edges,
)
from pdfplumber.utils import filter_edges

Edge = dict[str, Any]
_TOLERANCE = 3.0  # points; pdfplumber's defaults for snapping, joining and intersecting rulings


@dataclass(frozen=True)
class Word:
    """A word (text layer) or text box (OCR) with its box (x0, top, x1, bottom)."""

    text: str
    bbox: BBox

    @property
    def centre(self) -> tuple[float, float]:
        return (self.bbox[0] + self.bbox[2]) / 2, (self.bbox[1] + self.bbox[3]) / 2


def edge(x0: float, top: float, x1: float, bottom: float) -> Edge:
    """A ruling as pdfplumber's edge dict (horizontal when wider than tall)."""
    horizontal = x1 - x0 >= bottom - top
    if horizontal:
        top = bottom = (top + bottom) / 2
    else:
        x0 = x1 = (x0 + x1) / 2
    return {
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "width": x1 - x0,
        "height": bottom - top,
        "orientation": "h" if horizontal else "v",
        "object_type": "line",
    }


def close_open_ends(edges: list[Edge]) -> list[Edge]:
    """Add the horizontal ruling where several verticals end together but none is drawn: Word leaves out
    the border of a table row cut by a page break, which would drop that row from the grid."""
    extra = []
    for end in ("top", "bottom"):
        ends: dict[int, list[Edge]] = {}
        for e in edges:
            if e["orientation"] == "v":
                ends.setdefault(round(e[end]), []).append(e)
        for y, group in ends.items():
            if len(group) >= 2:
                extra.append(edge(min(e["x0"] for e in group), y, max(e["x1"] for e in group), y))
    return edges + extra


def find_tables(edges: list[Edge], page: Any = None) -> list[RuledTable]:
    """Tables (at least 2 rows and 2 columns) formed by the rulings; ``page`` only lets pdfplumber
    extract text, which the OCR path does not need."""
    edges = merge_edges(close_open_ends(edges), _TOLERANCE, _TOLERANCE, _TOLERANCE, _TOLERANCE)
    edges = filter_edges(edges, min_length=_TOLERANCE)
    if not any(e["orientation"] == "v" for e in edges) or not any(e["orientation"] == "h" for e in edges):
        return []
    cells = intersections_to_cells(edges_to_intersections(edges, _TOLERANCE, _TOLERANCE))
    tables = [RuledTable(page, group) for group in cells_to_tables(cells)]
    return [t for t in tables if len(t.rows) >= 2 and len(t.columns) >= 2]


def _inside(point: tuple[float, float], bbox: BBox) -> bool:
    return bbox[0] <= point[0] <= bbox[2] and bbox[1] <= point[1] <= bbox[3]


def cell_text(words: list[Word]) -> str:
    """Words of one cell in reading order: lines top to bottom (newline between), left to right."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: w.centre[1]):
        height = word.bbox[3] - word.bbox[1]
        if lines and abs(lines[-1][0].centre[1] - word.centre[1]) <= 0.5 * height:
            lines[-1].append(word)
        else:
            lines.append([word])
    return "\n".join(" ".join(w.text for w in sorted(line, key=lambda w: w.bbox[0])) for line in lines)


def fill_grid(table: RuledTable, words: list[Word], page: int) -> Grid:
    """The table as a full-width grid of cells holding the words whose centre they contain. A word in no
    detected cell (a ruling missing around it) goes to the slot of its row band and column band."""
    rows = table.rows
    grid: Grid = [[Cell("", page, bbox) if bbox is not None else None for bbox in row.cells] for row in rows]
    members: dict[tuple[int, int], list[Word]] = {}
    row_bands = [r.bbox for r in rows]
    col_bands = [c.bbox for c in table.columns]
    for word in words:
        centre = word.centre
        if not _inside(centre, table.bbox):
            continue
        slot = next(
            (
                (i, j)
                for i, row in enumerate(grid)
                for j, c in enumerate(row)
                if c is not None and c.bbox is not None and _inside(centre, c.bbox)
            ),
            None,
        )
        if slot is None:
            i = next((i for i, b in enumerate(row_bands) if b[1] <= centre[1] <= b[3]), None)
            j = next((j for j, b in enumerate(col_bands) if b[0] <= centre[0] <= b[2]), None)
            if i is None or j is None:
                continue
            slot = (i, j)
            if grid[i][j] is None:
                grid[i][j] = Cell("", page, word.bbox)
        members.setdefault(slot, []).append(word)
    for (i, j), found in members.items():
        cell = grid[i][j]
        if cell is not None:
            cell.text = cell_text(found)
    return grid

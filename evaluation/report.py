"""Readable terminal rendering of evaluation scores."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def render(scores: dict[str, Any], console: Console) -> None:
    cells, sections = scores["cells"], scores["sections"]
    summary = Table(title=f"Evaluation over {scores['documents']} documents")
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    rows = [
        ("cell precision", cells["precision"]),
        ("cell recall", cells["recall"]),
        ("cell F1", cells["f1"]),
        ("documents with every cell right", scores["documents_all_cells_right"]),
        ("inferred cells found", scores["inferred_recall"]),
        ("section-id precision", sections["precision"]),
        ("section-id recall", sections["recall"]),
        ("section-id F1", sections["f1"]),
        ("title exact match", scores["title_exact"]),
        ("template accuracy", scores["template_accuracy"]),
        ("violation set exact match", scores["violations_exact"]),
    ]
    for name, value in rows:
        summary.add_row(name, f"{value:.4f}")
    console.print(summary)
    docs = Table(title="Per document")
    for col in ("document", "cells right", "wrong cells", "violations missed / extra"):
        docs.add_column(col)
    for d in scores["per_document"]:
        wrong = ", ".join(f"{w['cell']}={w['pred']} (gold {w['gold']})" for w in d["wrong_cells"][:6])
        if len(d["wrong_cells"]) > 6:
            wrong += f" … +{len(d['wrong_cells']) - 6}"
        viol = " / ".join(", ".join(v) or "-" for v in (d["violations_missed"], d["violations_extra"]))
        docs.add_row(str(d["doc"]), f"{d['cells_correct']}/{d['cells_gold']}", wrong or "-", viol)
    console.print(docs)

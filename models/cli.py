"""CLI of the model runtime (``govreport export-onnx``); registered on the main app by govreport/cli.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DEFAULT_DIR = Path("models/tagger")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""

    @app.command("export-onnx")
    def export_onnx(
        model_dir: Annotated[Path, typer.Option(help="Trained tagger folder (model.safetensors, tokenizer).")] = DEFAULT_DIR,
        out: Annotated[Path | None, typer.Option(help="Output file (default: MODEL_DIR/model.onnx).")] = None,
        quantize: Annotated[bool, typer.Option(help="Quantise the weights to int8 (ONNX Runtime, dynamic).")] = True,
    ) -> None:
        """Export the tagger to ONNX for the default backend: run it after every (re)training (make onnx)."""
        from govreport.models.export import export_onnx as run_export

        if not (model_dir / "config.json").is_file():
            raise typer.BadParameter(f"{model_dir}: no trained tagger here (config.json missing)")
        path = run_export(model_dir, out, quantize=quantize)
        typer.echo(f"{'int8' if quantize else 'fp32'} ONNX model written to {path} ({path.stat().st_size / 1e6:.1f} MB)")

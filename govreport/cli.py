"""``govreport``: the one entry point (extract, evaluate, schema; synth/train and annotate are added by
their packages). It sits on top: nothing in the subpackages imports it."""

from __future__ import annotations

import json
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from govreport.annotations.cli import register as register_annotations
from govreport.models.cli import register as register_models
from govreport.serve.cli import register as register_serve
from govreport.training.cli import register as register_training

if TYPE_CHECKING:
    from govreport.inference.checks_across import Bodies
    from govreport.inference.pipeline import Extractor

app = typer.Typer(
    name="govreport",
    help="Turn Chinese government information-disclosure annual reports (政府信息公开工作年度报告) into "
    "verified, structured data: the three standard tables as canonical cells, checked by their arithmetic rules.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
console = Console(width=max(Console().width, 110))  # the summary table needs the room, also when piped


# Modules of the extras (pyproject.toml): a command that needs one tells which extra to install.
EXTRA_OF = {
    **dict.fromkeys(
        ("torch", "transformers", "tokenizers", "safetensors", "accelerate", "datasets", "seqeval", "pypinyin",
         "onnx", "onnxscript"),
        "train",
    ),
    **dict.fromkeys(("label_studio_sdk", "sklearn", "httpx"), "labelstudio"),
    **dict.fromkeys(("fastapi", "uvicorn", "starlette", "multipart", "python_multipart"), "serve"),
    "spacy": "spacy",
    "ray": "ray",
}


class TaggerName(StrEnum):
    model = "model"
    rules = "rules"


class Engine(StrEnum):
    local = "local"
    ray = "ray"


class Backend(StrEnum):
    auto = "auto"
    onnx = "onnx"
    torch = "torch"


def _model_extractor(model_dir: str | None, backend: str) -> Extractor:
    """The model tagger on a chosen backend (a picklable recipe via partial: each worker builds its own)."""
    from govreport.inference.pipeline import Extractor
    from govreport.inference.taggers import get_tagger

    return Extractor(get_tagger("model", model_dir=model_dir, backend=backend))


@app.command()
def extract(
    inputs: Annotated[
        list[Path], typer.Argument(help="Report files or folders of them (txt, html, docx, pdf, images).")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for <input stem>.json outputs.")],
    tagger: Annotated[
        TaggerName, typer.Option(help="model: the trained tagger; rules: the regex baseline.")
    ] = TaggerName.model,
    model_dir: Annotated[
        Path | None, typer.Option(help="Model checkpoint folder (default: the bundled one).")
    ] = None,
    backend: Annotated[
        Backend,
        typer.Option(
            help="Model runtime: onnx (ONNX Runtime, int8, CPU), torch (PyTorch; GPU when present, needs "
            "govreport[train]); auto takes onnx on CPU when the model folder has model.onnx, else torch."
        ),
    ] = Backend.auto,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes, each loading the tagger once (OCR-heavy batches).")
    ] = 1,
    force: Annotated[
        bool, typer.Option(help="Redo files whose output is newer than the input (default: skip them).")
    ] = False,
    csv: Annotated[
        Path | None, typer.Option(help="Also write one row per report, one column per cell key, as CSV.")
    ] = None,
    parquet: Annotated[
        str | None,
        typer.Option(
            help="The same table as --csv, as Parquet. With --engine ray: where Ray writes the Parquet dataset "
            "of the run (a folder or a URI such as s3://…; default OUT/results.parquet)."
        ),
    ] = None,
    html: Annotated[
        bool,
        typer.Option(help="Also write OUT/<stem>.html: tagged text and rebuilt tables, issues highlighted."),
    ] = False,
    audit: Annotated[
        Path | None,
        typer.Option(help="Also write the batch's audit as one HTML page: every finding by body and year, "
                     "sortable, and fails counted by check."),
    ] = None,
    audit_csv: Annotated[
        Path | None, typer.Option(help="The audit's findings as CSV, one row per finding.")
    ] = None,
    bodies: Annotated[
        Path | None,
        typer.Option(help="YAML naming each report's body (bodies: file or title → body) and each body's parent "
                     "(parents: body → parent) for the checks across years and bodies."),
    ] = None,
    engine: Annotated[
        Engine,
        typer.Option(
            help="local: worker processes on this machine (--workers); ray: a Ray Data pipeline on a local Ray "
            "instance or a cluster (README, Scaling out)."
        ),
    ] = Engine.local,
    ray_address: Annotated[
        str | None,
        typer.Option(help="With --engine ray: the cluster to join (auto: the one `ray start` made here); "
                     "default: start a local Ray instance."),
    ] = None,
    actors: Annotated[
        int | None,
        typer.Option(min=1, help="With --engine ray: actors, each loading the tagger once (default: one per CPU)."),
    ] = None,
    batch_size: Annotated[
        int, typer.Option(min=1, help="With --engine ray: files handed to an actor at a time.")
    ] = 4,
) -> None:
    """Extract the tables of each report into OUT/<stem>.json and print a summary.

    Resumable: a file whose output is newer than itself is skipped unless --force. Exits 0 when every
    input was processed, 1 when any failed (see OUT/errors.jsonl).
    """
    from govreport.inference.batch import (
        OutputError,
        collect_inputs,
        extractor_factory,
        output_path,
        run_batch,
        run_signature,
    )
    dataset = None
    if engine is Engine.ray:
        from govreport.inference.ray_engine import DATASET_DIR

        dataset = parquet or str(out / DATASET_DIR)
    exports = {Path(t).resolve() for t in (csv, parquet, dataset, audit, audit_csv) if t}  # no input: a table written there
    files = [f for f in collect_inputs(inputs) if exports.isdisjoint((f.resolve(), *f.resolve().parents))]
    if not files:
        console.print("[red]no input files found[/red]")
        raise typer.Exit(1)
    hierarchy = _read_bodies(bodies) if bodies else None
    make_extractor = (
        partial(_model_extractor, str(model_dir) if model_dir else None, backend.value)
        if tagger is TaggerName.model
        else extractor_factory(tagger.value, model_dir)
    )
    executor = None
    if engine is Engine.ray:
        from govreport.inference.ray_engine import RayExecutor, connect

        connect(ray_address)
        gpu = tagger is TaggerName.model and backend is not Backend.onnx
        executor = RayExecutor(make_extractor, out, html, actors, batch_size, gpu)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=console,
        disable=executor is not None,  # Ray shows its own progress bars
    ) as progress:
        task = progress.add_task("extracting", total=len(files), rate="")

        def advance(_: Path) -> None:
            progress.advance(task)
            speed = progress.tasks[task].speed
            progress.update(task, rate=f"{speed:.2f} files/s" if speed else "")

        try:
            result = run_batch(
                files,
                out,
                None,
                advance,
                workers=workers,
                make_extractor=make_extractor,
                force=force,
                html=html,
                signature=run_signature(tagger.value, model_dir),
                executor=executor,
                bodies=hierarchy,
            )
        except OutputError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from None
    if not (result.done or result.skipped or result.failed):
        console.print(f"[red]nothing to extract:[/red] every input is an output govreport wrote into {out}")
        raise typer.Exit(1)
    if len(result.done) <= 50:
        table = Table(title=f"govreport extract: {len(result.done)} done, {len(result.failed)} failed")
        table.add_column("report", overflow="fold")
        for col in ("format", "year", "cells", "inferred", "missing", "violations", "warnings"):
            table.add_column(col, justify="right")
        for path, e in result.done:
            status = [c.status for c in e.cells.values()]
            table.add_row(
                path.name,
                e.format or "-",
                str(e.year or "-"),
                str(sum(c.value is not None for c in e.cells.values())),
                str(status.count("inferred")),
                str(status.count("missing")),
                str(len(e.violations)),
                str(len(e.warnings)),
            )
        console.print(table)
    shown = result.failed if result.errors_file_problem else result.failed[:50]  # else in errors.jsonl
    for f in shown:
        console.print(f"[red]failed[/red] {f.file}: {f.stage}: {f.reason}")
    confidence = result.mean_confidence
    console.print(
        f"done {len(result.done)}, skipped {len(result.skipped)} (up to date), failed {len(result.failed)}; "
        f"reports with violations {result.with_violations}; mean confidence "
        + (f"{confidence:.3f}" if confidence is not None else "-")
    )
    outputs = [output_path(out, p) for p in files if output_path(out, p).exists()]
    export_failed = False
    if dataset:  # every report of the run and every failure, written by Ray in parallel
        from govreport.inference.ray_engine import write_dataset

        try:
            reports = [p for p, _ in result.done] + result.skipped
            rows = write_dataset([output_path(out, p) for p in reports], result.failed, dataset)
        except (OSError, ValueError) as exc:
            console.print(f"[red]error:[/red] cannot write {dataset}: {getattr(exc, 'strerror', None) or exc}")
            export_failed = True
        else:
            console.print(f"{rows} rows in the Parquet dataset [bold]{dataset}[/bold]")
        parquet = None
    for target in (csv, parquet and Path(parquet)):
        if target:
            from govreport.inference.exports import write_table  # pandas: imported only when asked for

            try:
                write_table(outputs, target)
            except (OSError, ValueError) as exc:
                console.print(f"[red]error:[/red] cannot write {target}: {getattr(exc, 'strerror', None) or exc}")
                export_failed = True
                continue
            console.print(f"{len(outputs)} reports tabulated in [bold]{target}[/bold]")
    if audit or audit_csv:
        from govreport.inference.audit_export import write_audit

        try:
            n = write_audit(outputs, audit, audit_csv, hierarchy)
        except (OSError, ValueError) as exc:
            console.print(f"[red]error:[/red] cannot write the audit: {getattr(exc, 'strerror', None) or exc}")
            export_failed = True
        else:
            console.print(f"{n} findings audited in [bold]{' and '.join(str(t) for t in (audit, audit_csv) if t)}[/bold]")
    if result.errors_file_problem:
        console.print(f"[red]error:[/red] {result.errors_file_problem}; the failures are listed above")
    console.print(
        f"JSON written to [bold]{out}[/bold]"
        + (f"; errors in {out / 'errors.jsonl'}" if result.failed and not result.errors_file_problem else "")
    )
    raise typer.Exit(1 if result.failed or export_failed else 0)


def _read_bodies(path: Path) -> Bodies:
    """The --bodies file, or exit 1 naming what is wrong with it."""
    from govreport.inference.checks_across import Bodies

    try:
        return Bodies.read(path)
    except ValueError as exc:
        console.print(f"[red]error:[/red] --bodies {exc}")
        raise typer.Exit(1) from None


@app.command()
def evaluate(
    gold: Annotated[Path, typer.Option(help="Folder of gold JSON files (one per document).")],
    pred: Annotated[Path, typer.Option(help="Folder of extraction JSON files named like the gold files.")],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the full scores as JSON here.")
    ] = None,
    only_predicted: Annotated[
        bool,
        typer.Option(
            help="Score only gold documents that have a prediction (default: a missing one scores 0)."
        ),
    ] = False,
) -> None:
    """Score extractions against gold: cells, sections, titles, templates, violations."""
    from govreport.evaluation.metrics import EvaluationError, evaluate_dirs
    from govreport.evaluation.report import render

    try:
        scores = evaluate_dirs(gold, pred, only_predicted=only_predicted)
    except EvaluationError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    render(scores, console)
    if json_out:
        json_out.write_text(json.dumps(scores, ensure_ascii=False, indent=2), encoding="utf-8")
        console.print(f"scores written to {json_out}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the extraction output."""
    from govreport.inference.schema import json_schema

    typer.echo(json.dumps(json_schema(), ensure_ascii=False, indent=2))


register_training(app)
register_models(app)
register_annotations(app)
register_serve(app)


def main() -> None:
    """The ``govreport`` command: the app, with the extra to install instead of a traceback when a command
    needs a package the base install leaves out."""
    try:
        app()
    except ModuleNotFoundError as exc:
        extra = EXTRA_OF.get((exc.name or "").split(".")[0])
        if extra is None:
            raise
        console.print(f"[red]{exc.name} is not installed[/red]: this needs pip install 'govreport\\[{extra}]'")
        raise SystemExit(1) from None

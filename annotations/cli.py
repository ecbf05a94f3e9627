"""CLI of the annotation loop (``govreport annotate …``); registered on the main app by govreport/cli.py."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from govreport.configs import load
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

annotate = typer.Typer(
    help="Active learning in Label Studio: config, push, select, pull, and the ML backend (serve). "
    "The API key is read from LABEL_STUDIO_API_KEY and never printed.",
    no_args_is_help=True,
)
console = Console()
REPO = Path(__file__).resolve().parents[1]
RUNS = Path("runs/ml-backend")


class TaggerName(StrEnum):
    model = "model"
    rules = "rules"


Url = Annotated[str, typer.Option(envvar="LABEL_STUDIO_URL", help="Label Studio address.")]
ProjectOpt = Annotated[str, typer.Option(help="Project title (created by push when absent) or id.")]
TaggerOpt = Annotated[TaggerName, typer.Option(help="Tagger whose spans become predictions.")]
ModelDir = Annotated[Path | None, typer.Option(help="Model checkpoint folder (default: the bundled one).")]


def _progress() -> Progress:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    return Progress(*columns, console=console)


def _tagger(name: TaggerName, model_dir: Path | None):  # type: ignore[no-untyped-def]
    from govreport.inference.taggers import DEFAULT_MODEL_DIR, get_tagger

    version = f"{load('annotate')['push']['model_version_prefix']}{name.value}"
    if name is TaggerName.model:
        version += f"-{(model_dir or DEFAULT_MODEL_DIR).resolve().name}"
    return get_tagger(name.value, model_dir=model_dir), version


@annotate.command()
def config(out: Annotated[Path | None, typer.Option(help="Write here instead of printing.")] = None) -> None:
    """The labelling config (span labels over the report text), generated from configs/."""
    from govreport.annotations.labelconfig import label_config

    xml = label_config()
    if out:
        out.write_text(xml + "\n", encoding="utf-8")
        console.print(f"labelling config written to [bold]{out}[/bold]")
    else:
        typer.echo(xml)


@annotate.command()
def push(
    directory: Annotated[Path, typer.Argument(help="Folder of report texts (*.txt; stem = report id).")],
    project: ProjectOpt,
    url: Url = "http://localhost:8080",
    tagger: TaggerOpt = TaggerName.model,
    model_dir: ModelDir = None,
    batch_size: Annotated[int | None, typer.Option(help="Tasks per import request.")] = None,
) -> None:
    """Import reports as tasks with the model's spans as predictions, best-to-annotate first.

    Reports already in the project are skipped; exits 1 when a batch failed (run again to retry it).
    """
    from govreport.annotations.client import connect
    from govreport.annotations.push import push as do_push
    from govreport.annotations.push import read_reports

    reports = read_reports(directory)
    client = connect(url)
    tag, version = _tagger(tagger, model_dir)
    with _progress() as progress:
        analysing = progress.add_task("analysing", total=len(reports))
        importing = progress.add_task("importing", total=len(reports))
        report = do_push(
            client,
            project,
            reports,
            tag,
            version,
            batch_size,
            on_batch=lambda n: progress.advance(importing, n),
            on_report=lambda: progress.advance(analysing),
        )
    console.print(
        f"project {report.project}: {len(report.imported)} imported, {len(report.skipped)} already there, "
        f"{len(report.failed)} failed (model_version {version})"
    )
    for doc, error in report.failed.items():
        console.print(f"[red]failed[/red] {doc}: {error}")
    raise typer.Exit(1 if report.failed else 0)


@annotate.command()
def select(
    directory: Annotated[Path, typer.Argument(help="Folder of unlabelled report texts (*.txt).")],
    tagger: TaggerOpt = TaggerName.model,
    model_dir: ModelDir = None,
    top: Annotated[int, typer.Option(help="Rows to show.")] = 20,
    out: Annotated[Path | None, typer.Option(help="Write the full ranking as JSON lines here.")] = None,
) -> None:
    """Rank reports by how much annotating them would teach the model (uncertainty, rules, diversity)."""
    from govreport.annotations.push import read_reports
    from govreport.annotations.selection import analyse, rank

    reports = read_reports(directory)
    tag, _ = _tagger(tagger, model_dir)
    with _progress() as progress:
        task = progress.add_task("analysing", total=len(reports))
        ranked = rank(analyse(reports, tag, on_report=lambda: progress.advance(task)))
    table = Table(title=f"annotation order ({len(ranked)} reports)")
    for col in ("rank", "report", "score", "cluster", "uncertainty", "broken", "low conf", "conflict"):
        table.add_column(col, justify="left" if col == "report" else "right")
    for r in ranked[:top]:
        s = r.signals
        table.add_row(
            str(r.rank),
            r.doc,
            f"{r.score:.3f}",
            str(r.cluster),
            f"{s['uncertainty']:.3f}",
            f"{s['broken_rules']:.0f}",
            f"{s['low_confidence']:.0f}",
            f"{s['conflict']:.0f}",
        )
    console.print(table)
    if out:
        with out.open("w", encoding="utf-8") as fh:
            for r in ranked:
                fh.write(json.dumps(r.__dict__, ensure_ascii=False) + "\n")
        console.print(f"ranking written to [bold]{out}[/bold]")


@annotate.command()
def rescore(
    project: ProjectOpt,
    url: Url = "http://localhost:8080",
    tagger: TaggerOpt = TaggerName.model,
    model_dir: ModelDir = None,
) -> None:
    """After a fine-tune: refresh the score (al_*) and prediction of every task not annotated yet."""
    from govreport.annotations.client import connect
    from govreport.annotations.rescore import rescore as do_rescore

    client = connect(url)
    tag, version = _tagger(tagger, model_dir)
    with _progress() as progress:
        task = progress.add_task("rescoring", total=None)
        n = do_rescore(client, project, tag, version, on_report=lambda: progress.advance(task))
    console.print(f"{n} unannotated tasks rescored with {version}; sort the Data Manager on al_score")


@annotate.command()
def pull(
    project: ProjectOpt,
    out: Annotated[Path, typer.Option(help="Output folder: dataset/, meta.jsonl, problems.jsonl.")],
    url: Url = "http://localhost:8080",
    strict: Annotated[bool, typer.Option(help="Exit 1 when any annotation was rejected.")] = False,
) -> None:
    """Export annotations as training examples; offsets and labels are checked task by task."""
    from govreport.annotations.client import connect
    from govreport.annotations.pull import pull as do_pull

    report = do_pull(connect(url), project, out)
    console.print(
        f"{report.examples} examples written to [bold]{out}[/bold]; "
        f"{report.unannotated} tasks not annotated; {len(report.problems)} rejected"
    )
    for problem in report.problems:
        console.print(f"[red]rejected[/red] {problem}")
    raise typer.Exit(1 if strict and report.problems else 0)


@annotate.command()
def serve(
    model_dir: ModelDir = None,
    work_dir: Annotated[Path, typer.Option(help="Received annotations and fine-tuned models.")] = RUNS,
    train_config: Annotated[Path | None, typer.Option(help="Fine-tune recipe (see annotate.yaml).")] = None,
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 9090).")] = None,
) -> None:
    """Run the ML backend: connect it in the project's Settings → Model (URL http://HOST:PORT)."""
    import uvicorn
    from govreport.annotations.backend import ModelService, create_app
    from govreport.inference.taggers import DEFAULT_MODEL_DIR

    cfg = load("annotate")["backend"]
    recipe = train_config or REPO / cfg["train_config"]
    service = ModelService(model_dir or DEFAULT_MODEL_DIR, work_dir, recipe)
    uvicorn.run(create_app(service), host=host or cfg["host"], port=port or int(cfg["port"]))


def register(app: typer.Typer) -> None:
    """Add ``govreport annotate …`` to ``app``."""
    app.add_typer(annotate, name="annotate")

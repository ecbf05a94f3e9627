"""CLI commands of the training side (synth, train, pretrain); registered on the main app by govreport/cli.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""

    @app.command()
    def synth(
        n: Annotated[int, typer.Option("--n", help="Number of reports to generate.")] = 1000,
        seed: Annotated[int, typer.Option(help="Corpus seed: the same seed gives the same corpus.")] = 0,
        out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (dataset/, text/, gold/, meta.jsonl).")] = Path("data/synth"),
        layout: Annotated[
            list[str] | None, typer.Option(help="Layout families to draw from (repeatable; default: all available).")
        ] = None,
    ) -> None:
        """Generate a synthetic corpus of reports with character labels and gold (configs/synth.yaml)."""
        from govreport.training.synth import write_corpus
        from govreport.training.synth.layouts import available

        unknown = sorted(set(layout or []) - available())
        if unknown:
            raise typer.BadParameter(f"unknown or unavailable layout(s) {unknown}; available: {sorted(available())}")
        path = write_corpus(out, n, seed, layout)
        typer.echo(f"wrote {n} reports to {path} (dataset/, text/, gold/, meta.jsonl)")

    @app.command()
    def train(
        config: Annotated[Path, typer.Option(help="Training recipe (YAML).")] = Path("configs/train.yaml"),
        init_from: Annotated[
            str | None, typer.Option(help="Local dir or hub name of a pretrained encoder with its own tokenizer.")
        ] = None,
        data: Annotated[
            list[Path] | None, typer.Option(help="Corpus dir written by `govreport synth` (repeatable).")
        ] = None,
        annotations: Annotated[
            Path | None, typer.Option(help="Real annotations saved as a dataset with text and tags.")
        ] = None,
        output: Annotated[
            Path | None, typer.Option(help="Run dir for checkpoints and log; the model goes to OUTPUT/model.")
        ] = None,
        self_train: Annotated[
            Path | None,
            typer.Option(help="Folder of real report texts: tag them with the --init-from model and add the "
                         "rule-verified parts (configs/self_train.yaml)."),
        ] = None,
    ) -> None:
        """Train the tagger (resumes from the run dir's last checkpoint) and export the fp16 model."""
        from govreport.training.train import train as run_training

        if not config.is_file():
            raise typer.BadParameter(f"{config}: no such config file")
        if self_train is not None and not self_train.is_dir():
            raise typer.BadParameter(f"{self_train}: no such folder of report texts")
        out = run_training(config, init_from=init_from, data_dirs=data, annotations_dir=annotations, output_dir=output,
                           self_train_dir=self_train)
        typer.echo(f"model written to {out} (metrics.json beside it)")

    @app.command()
    def pretrain(
        pool: Annotated[
            Path | None, typer.Argument(help="Folder of unlabelled real report texts (*.txt); default: the config's pool.")
        ] = None,
        config: Annotated[Path, typer.Option(help="Pretraining settings (YAML).")] = Path("configs/pretrain.yaml"),
        init_from: Annotated[
            Path | None, typer.Option(help="Tagger checkpoint whose encoder (and head) to start from; default: the config's.")
        ] = None,
        output: Annotated[
            Path | None, typer.Option(help="Run dir; OUTPUT/mlm is the MLM model, OUTPUT/model the one for --init-from.")
        ] = None,
    ) -> None:
        """Masked-language pretraining of the tagger's encoder on real texts (then `train --init-from OUTPUT/model`)."""
        from govreport.training.pretrain import pretrain as run_pretraining

        if not config.is_file():
            raise typer.BadParameter(f"{config}: no such config file")
        if pool is not None and not pool.is_dir():
            raise typer.BadParameter(f"{pool}: no such folder of report texts")
        out = run_pretraining(config, pool=pool, init_from=init_from, output_dir=output)
        typer.echo(f"token classifier with the pretrained encoder written to {out} (pretrain.json in its run dir)")

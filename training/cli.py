"""CLI commands of the training side (synth, train); registered on the main app by inference/cli.py."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""

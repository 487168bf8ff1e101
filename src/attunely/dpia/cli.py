"""Commands of the dpia package: `attunely dpia --out FILE`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from attunely.clitools import operator, run
from attunely.config import get_settings


def register(app: typer.Typer) -> None:
    """Add `dpia` to `app`."""
    app.command("dpia")(dpia_command)


def dpia_command(
    out: Annotated[Path, typer.Option(help="New file to write (.html, or .md for Markdown).")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="html or markdown (default: from --out).")
    ] = None,
) -> None:
    """Write the DPIA data map generated from the live configuration and schema."""
    from attunely.dpia import service

    def body() -> Path:
        return service.write(
            get_settings(), actor=operator(), out=out, fmt=service.pack_format(out, fmt)
        )

    written = run(body)
    typer.echo(f"wrote {written}")

"""Commands of the backup package: `attunely backup` and `attunely restore`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from attunely.clitools import operator, run
from attunely.config import get_settings


def register(app: typer.Typer) -> None:
    """Add `backup` and `restore` to `app`."""
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)


def backup_command(
    out: Annotated[Path, typer.Option(help="New, empty folder to write the backup into.")],
) -> None:
    """Back up the database and the vault (still encrypted; no master keys, no ledger)."""
    from attunely.backup import service

    manifest = run(lambda: service.take_backup(get_settings(), actor=operator(), out=out))
    typer.echo(
        f"backup of {manifest.taken_at.isoformat()} written to {out}: {manifest.dialect} "
        f"database at schema {manifest.schema_revision}, {len(manifest.blobs)} vault blobs, "
        f"erasure ledger at entry {manifest.ledger.lines}"
    )
    if manifest.missing_blobs:
        typer.echo(
            f"note: {len(manifest.missing_blobs)} blobs were deleted while the backup ran "
            "(erasures are re-applied from the ledger on restore)",
            err=True,
        )
    typer.echo(
        "keys are NOT in the backup: back up the keys directory separately (docs/backups.md)"
    )
    settings = get_settings()
    if settings.resolved_data_dir in settings.resolved_ledger_dir.parents:
        typer.echo(
            "note: the erasure ledger is inside the data directory; keep it on other storage "
            "(ATTUNELY_LEDGER_DIR) so that losing the data does not lose it too",
            err=True,
        )


def _describe(target: dict[str, Any]) -> str:
    """Name an entry's target by its ids; lists by their length, receipts not at all."""
    shown = []
    for key, value in sorted(target.items()):
        if isinstance(value, str | int):
            shown.append(f"{key}={value}")
        elif isinstance(value, list):
            shown.append(f"{key}: {len(value)}")
    return ", ".join(shown)


def restore_command(
    source: Annotated[Path, typer.Option("--from", help="The backup folder to restore.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace a database or vault that holds data.")
    ] = False,
    rotate: Annotated[
        bool,
        typer.Option(help="Rotate the master key if erasures were re-applied (recommended)."),
    ] = True,
) -> None:
    """Restore a backup, then re-apply every erasure made after it was taken."""
    from attunely.backup import service

    report = run(
        lambda: service.restore(
            get_settings(), actor=operator(), source=source, overwrite=yes, rotate=rotate
        )
    )
    manifest = report.manifest
    typer.echo(
        f"restored the backup of {manifest.taken_at.isoformat()} "
        f"(schema {manifest.schema_revision}, migrated to head): "
        f"{report.blobs_restored} vault blobs"
    )
    if not report.reapplied:
        typer.echo("erasure ledger: nothing written since the backup; nothing to re-apply")
    for done in report.reapplied:
        target = _describe(done.entry.target)
        typer.echo(
            f"re-applied {done.entry.op} ({target}) of {done.entry.at.isoformat()}: {done.outcome}"
        )
    if report.blobs_left_out or report.blobs_removed:
        typer.echo(
            f"left out {report.blobs_left_out} blobs of erased footage; "
            f"removed {report.blobs_removed} blobs the restored database does not use"
        )
    if report.rotated_to is not None:
        typer.echo(f"master key rotated to version {report.rotated_to}")

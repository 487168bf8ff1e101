"""`attunely retention ...`: what is due, run expiry, legal holds and receipts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from attunely.clitools import operator, run
from attunely.config import get_settings
from attunely.db import unit_of_work
from attunely.vault.context import Vault

retention_app = typer.Typer(
    help="Retention: what expires when, legal holds, scheduled shredding, receipts.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add `attunely retention` to `app`."""
    app.add_typer(retention_app, name="retention")


@contextmanager
def _work() -> Iterator[tuple[Session, Vault]]:
    from attunely.vault.admin import open_vault

    with open_vault(get_settings()) as vault, unit_of_work(vault.sessions) as db:
        yield db, vault


@retention_app.command("due")
def due_command(
    days: Annotated[float, typer.Option(min=0, max=3650, help="Look this many days ahead.")] = 0,
) -> None:
    """List what falls due now (or within N days), with the rule and any legal hold."""
    from attunely.retention import service

    def body() -> None:
        with _work() as (db, _vault):
            items = service.due(db, actor=operator(), settings=get_settings(), within_days=days)
            for item in items:
                held = f"  [HELD: {item.hold}]" if item.hold else ""
                typer.echo(
                    f"{item.due_at.date().isoformat()}  {item.record_class:<12} "
                    f"{item.describe()}: {item.rule}{held}"
                )
            typer.echo(f"{len(items)} due" + (f" within {days:g} days" if days else " now"))

    run(body)


@retention_app.command("run")
def run_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be done; change nothing.")
    ] = False,
) -> None:
    """Expire everything due: shred films and clips, delete annotations, anonymise cases."""
    from attunely.retention import service

    def body() -> None:
        with _work() as (db, vault):
            report = service.run(
                db, vault=vault, actor=operator(), settings=get_settings(), dry_run=dry_run
            )
        for line in report.lines:
            typer.echo(line)
        typer.echo(report.summary())
        if report.failed:
            raise typer.Exit(1)

    run(body)


@retention_app.command("hold")
def hold_command(
    case: Annotated[str, typer.Option(help="Case reference.")],
    reason: Annotated[str, typer.Option(help="Why (a court order, a complaint…); audited.")],
    film: Annotated[str | None, typer.Option(help="Hold only this film (its id).")] = None,
) -> None:
    """Put a case, or one of its films, on legal hold: nothing under it expires."""
    from attunely.cases import service as cases
    from attunely.retention import holds

    def body() -> None:
        with _work() as (db, _vault):
            actor = operator()
            found = cases.find_by_reference(db, actor=actor, reference=case)
            hold = holds.set_hold(db, actor=actor, case_id=found.id, film_id=film, reason=reason)
            typer.echo(f"hold {hold.id} set on {'film ' + film if film else 'case ' + case}")

    run(body)


@retention_app.command("release")
def release_command(
    reason: Annotated[str, typer.Option(help="Why the hold ends; audited.")],
    hold: Annotated[str | None, typer.Option(help="Id of the hold to lift.")] = None,
    case: Annotated[
        str | None, typer.Option(help="Case reference: lift its case-wide hold.")
    ] = None,
) -> None:
    """Lift a legal hold (by its id, or a case's case-wide hold)."""
    from attunely.cases import service as cases
    from attunely.errors import InvalidInput, NotFound
    from attunely.retention import holds

    def body() -> None:
        with _work() as (db, _vault):
            actor = operator()
            hold_id = hold
            if hold_id is None:
                if case is None:
                    raise InvalidInput("name the hold (--hold) or the case (--case)")
                found = cases.find_by_reference(db, actor=actor, reference=case)
                wide = [h for h in holds.active_holds(db, case_id=found.id) if h.film_id is None]
                if not wide:
                    raise NotFound(f"case {case} has no case-wide legal hold")
                hold_id = wide[0].id
            lifted = holds.lift_hold(db, actor=actor, hold_id=hold_id, reason=reason)
            typer.echo(f"hold {lifted.id} lifted")

    run(body)


@retention_app.command("holds")
def holds_command() -> None:
    """List the legal holds in force."""
    from attunely.retention import records

    def body() -> None:
        with _work() as (db, _vault):
            for hold in records.holds(db, actor=operator()):
                target = f"film {hold.film_id}" if hold.film_id else "whole case"
                typer.echo(
                    f"{hold.id}  case {hold.case_id}  {target}  since "
                    f"{hold.set_at.date().isoformat()} by {hold.set_by}: {hold.reason}"
                )

    run(body)


@retention_app.command("receipts")
def receipts_command(
    receipt: Annotated[str | None, typer.Argument(help="Print this receipt in full.")] = None,
) -> None:
    """List erasure receipts, or print one."""
    from attunely.retention import records

    def body() -> None:
        with _work() as (db, _vault):
            actor = operator()
            if receipt:
                for line in records.receipt_lines(
                    records.get_receipt(db, actor=actor, receipt_id=receipt)
                ):
                    typer.echo(line)
                return
            for row in records.receipts(db, actor=actor):
                typer.echo(
                    f"{row.id}  {row.created_at.isoformat(timespec='seconds')}  "
                    f"{row.record_class:<12} {row.case_reference or '-':<12} {row.trigger}"
                )

    run(body)

"""Commands of the rights package: `attunely sar export` and `attunely erase person|case`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from attunely import clitools
from attunely.config import get_settings
from attunely.db import make_session_factory
from attunely.errors import InvalidInput

# Imported for its re-apply handlers: a restore run from this command line finds them.
from attunely.rights import erasure as _erasure  # noqa: F401
from attunely.rights import package, service
from attunely.rights.erasure import Outcome
from attunely.rights.schemas import CaseErasure, PersonErasure
from attunely.vault import keyring
from attunely.vault.context import vault_for


def _print_receipt(outcome: Outcome) -> None:
    typer.echo(
        f"erased {outcome.scope} {outcome.target_id} of case {outcome.case_reference}; "
        f"receipt {outcome.receipt_id}"
    )
    typer.echo(json.dumps(outcome.summary, indent=2, sort_keys=True))


def register(app: typer.Typer) -> None:
    """Add this package's commands to `app`."""
    sar_app = typer.Typer(help="Subject access requests.", no_args_is_help=True)
    erase_app = typer.Typer(help="Erase a person or a whole case.", no_args_is_help=True)
    app.add_typer(sar_app, name="sar")
    app.add_typer(erase_app, name="erase")

    @sar_app.command("export")
    def sar_export(
        person: Annotated[str, typer.Option(help="The person's id.")],
        out: Annotated[Path, typer.Option(help="The .zip to write (must not exist).")],
    ) -> None:
        """Write everything held about a person, footage decrypted, to a .zip (audited)."""

        def body() -> int:
            if out.exists():
                raise InvalidInput(f"{out} exists; choose a new file name", field="out")
            settings = get_settings()
            with clitools.session(settings) as db:
                vault = vault_for(settings, make_session_factory(db.get_bind()))  # type: ignore[arg-type]
                built = service.prepare_package(
                    db, vault=vault, actor=clitools.operator(), person_id=person
                )
                db.commit()
                written = 0
                try:
                    with out.open("xb") as handle:
                        for piece in package.iter_zip(built):
                            handle.write(piece)
                            written += len(piece)
                except BaseException:
                    out.unlink(missing_ok=True)
                    raise
                return written

        size = clitools.run(body)
        typer.echo(f"wrote {out} ({size} bytes)")

    @erase_app.command("person")
    def erase_person(
        id_: Annotated[str, typer.Option("--id", help="The person's id.")],
        reason: Annotated[str, typer.Option(help="Why (the request, or the rule).")],
    ) -> None:
        """Erase one person: their name, notes and consents, and films only they are in."""

        def body() -> Outcome:
            settings = get_settings()
            with clitools.session(settings) as db:
                data = PersonErasure(person_id=id_, reason=reason)
                outcome = service.erase_person(
                    db, settings=settings, actor=clitools.operator(), data=data
                )
                db.commit()
                vault = vault_for(settings, make_session_factory(db.get_bind()))  # type: ignore[arg-type]
            keyring.purge_blobs(vault, storage_keys=outcome.storage_keys)
            return outcome

        _print_receipt(clitools.run(body))

    @erase_app.command("case")
    def erase_case(
        ref: Annotated[str, typer.Option(help="The case reference.")],
        reason: Annotated[str, typer.Option(help="Why (the request, or the rule).")],
    ) -> None:
        """Erase a whole case: shred its key, delete its records, keep a receipt."""

        def body() -> Outcome:
            settings = get_settings()
            with clitools.session(settings) as db:
                vault = vault_for(settings, make_session_factory(db.get_bind()))  # type: ignore[arg-type]
                data = CaseErasure(reference=ref, reason=reason)
                outcome = service.erase_case(
                    db, settings=settings, vault=vault, actor=clitools.operator(), data=data
                )
                db.commit()
            keyring.purge_blobs(vault, storage_keys=outcome.storage_keys)
            return outcome

        _print_receipt(clitools.run(body))

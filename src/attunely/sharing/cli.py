"""Commands of the sharing package: `attunely share list` and `attunely share revoke`.

Making a share stays in the web pages and the API: the link is shown once, to the person
who made it. An administrator at the server can see what went out and stop it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from attunely import clitools
from attunely.cases.service import find_by_reference
from attunely.config import get_settings
from attunely.db import make_session_factory
from attunely.sharing import service
from attunely.vault.context import vault_for


def register(app: typer.Typer) -> None:
    """Add this package's commands to `app`."""
    share_app = typer.Typer(help="Clips shared with the professional network.")
    app.add_typer(share_app, name="share")

    @share_app.command("list")
    def list_shares(
        case: Annotated[str, typer.Option(help="The case's reference.")],
    ) -> None:
        """List a case's shared clips with their status and views (audited)."""

        def body() -> list[str]:
            actor = clitools.operator()
            with clitools.session() as db:
                found = find_by_reference(db, actor=actor, reference=case)
                shares = service.reads(db, service.list_for_case(db, actor=actor, case_id=found.id))
                return [
                    f"{s.id}  {s.status:<10}  views {s.views:<3}  until "
                    f"{s.expires_at.date().isoformat()}  {s.recipient_name} "
                    f"({s.recipient_organisation})  clip “{s.clip_title}”  "
                    f"agreement {s.agreement_reference}"
                    for s in shares
                ]

        lines = clitools.run(body)
        for line in lines or ["no clips of this case have been shared"]:
            typer.echo(line)

    @share_app.command("revoke")
    def revoke(
        share_id: Annotated[str, typer.Argument(help="The share's id (see `share list`).")],
        reason: Annotated[str, typer.Option(help="Why, for the audit trail.")] = "",
    ) -> None:
        """Stop a share's link at once and destroy its rendered clip (audited)."""

        def body() -> str:
            settings = get_settings()
            with clitools.session(settings) as db:
                vault = vault_for(settings, make_session_factory(db.get_bind()))  # type: ignore[arg-type]
                share = service.revoke_share(
                    db,
                    settings=settings,
                    vault=vault,
                    actor=clitools.operator(),
                    share_id=share_id,
                    reason=reason or "revoked at the server",
                )
                return share.id

        typer.echo(f"revoked share {clitools.run(body)}")

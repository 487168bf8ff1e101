"""`attunely share list/revoke`: an administrator at the server sees what went out, stops it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from attunely.cases.models import Case
from attunely.cli import app as cli_app
from attunely.config import Settings, reset_settings_cache
from tests.integration.sharing.conftest import Sharing, visitor

Run = Callable[..., Any]


@pytest.fixture
def run(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    monkeypatch.setenv("ATTUNELY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ATTUNELY_OPERATOR", "night-admin")
    if settings.database_url:
        monkeypatch.setenv("ATTUNELY_DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("ATTUNELY_DATABASE_URL", raising=False)
    reset_settings_cache()
    runner = CliRunner()
    yield lambda *args: runner.invoke(cli_app, list(args))
    reset_settings_cache()


def test_list_and_revoke_from_the_command_line(run: Run, sharing: Sharing, db: Session) -> None:
    share, link = sharing.rendered()
    reference = db.scalars(select(Case.reference).where(Case.id == sharing.case_id)).one()
    db.rollback()
    listed = run("share", "list", "--case", reference)
    assert listed.exit_code == 0, listed.output
    assert share["id"] in listed.output and "active" in listed.output
    assert "Dr Ada Example" in listed.output
    revoked = run("share", "revoke", share["id"], "--reason", "sent to the wrong person")
    assert revoked.exit_code == 0, revoked.output
    assert visitor(sharing.app).get(link).status_code == 404
    described = sharing.client.get(f"/api/shares/{share['id']}").json()
    assert described["revoke_reason"] == "sent to the wrong person"
    assert described["revoked_by"] == "local:night-admin"
    again = run("share", "revoke", share["id"])
    assert again.exit_code == 2 and "already revoked" in again.output
    unknown = run("share", "list", "--case", "NO-SUCH-CASE")
    assert unknown.exit_code == 2 and "no case" in unknown.output

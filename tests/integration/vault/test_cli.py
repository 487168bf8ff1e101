"""`attunely keys rotate|shred|cleanup`: operator commands, audited, with clear errors."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from attunely.audit.models import AuditEntry
from attunely.cli import app as cli_app
from attunely.config import Settings, reset_settings_cache
from attunely.db import unit_of_work
from attunely.errors import NotFound
from attunely.policy import local_operator
from attunely.vault import service
from attunely.vault.service import Vault
from tests.support.factories import World

Run = Callable[..., Result]


@pytest.fixture
def run(settings: Settings, app: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    monkeypatch.setenv("ATTUNELY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ATTUNELY_OPERATOR", "key-keeper")
    if settings.database_url:
        monkeypatch.setenv("ATTUNELY_DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("ATTUNELY_DATABASE_URL", raising=False)
    reset_settings_cache()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli_app, list(args))

    yield invoke
    reset_settings_cache()


def audit_of(vault: Vault, action: str) -> list[tuple[str, str]]:
    with unit_of_work(vault.sessions) as db:
        rows = db.scalars(select(AuditEntry).where(AuditEntry.action == action))
        return [(e.actor_id, e.outcome) for e in rows]


def test_rotate_and_shred_from_the_command_line(run: Run, vault: Vault, world: World) -> None:
    team = world.team()
    keep, drop = world.case(team, reference="KEEP-1"), world.case(team, reference="DROP-1")
    actor = local_operator("ingest")
    data = os.urandom(70_000)
    kept = service.store_stream(
        vault, actor=actor, case_id=keep.id, kind="original", source=[data], purpose="ingest"
    )
    dropped = service.store_stream(
        vault, actor=actor, case_id=drop.id, kind="original", source=[data], purpose="ingest"
    )

    rotated = run("keys", "rotate")
    assert rotated.exit_code == 0, rotated.output
    assert "version 2: 2 case keys re-wrapped; destroyed versions [1]" in rotated.output
    assert audit_of(vault, "vault.keys.rotate") == [("local:key-keeper", "success")]

    shredded = run("keys", "shred", "--case", "DROP-1", "--reason", "consent withdrawn")
    assert shredded.exit_code == 0, shredded.output
    assert "1 objects unreadable, 1 blobs deleted, master key now version 3" in shredded.output
    assert audit_of(vault, "vault.shred") == [("local:key-keeper", "success")]
    with unit_of_work(vault.sessions) as db, pytest.raises(NotFound):
        service.read_range(db, vault=vault, actor=actor, object_id=dropped.id, purpose="x")
    with unit_of_work(vault.sessions) as db:
        assert (
            service.read_range(db, vault=vault, actor=actor, object_id=kept.id, purpose="x") == data
        )
    assert vault.keys.versions() == [3]  # type: ignore[attr-defined]

    cleaned = run("keys", "cleanup", "--older-than-hours", "0")
    assert cleaned.exit_code == 0, cleaned.output
    assert "removed 0 blobs" in cleaned.output


def test_errors_are_one_clear_line(run: Run, vault: Vault) -> None:
    missing = run("keys", "shred", "--case", "NOPE-1", "--reason", "x")
    assert missing.exit_code == 2
    assert "no case with reference 'NOPE-1'" in missing.output
    blank = run("keys", "shred", "--case", "NOPE-1", "--reason", "")
    assert blank.exit_code == 2
    # With no case key anywhere, rotation still starts the version history cleanly.
    first = run("keys", "rotate")
    assert first.exit_code == 0, first.output
    assert "0 case keys re-wrapped" in first.output

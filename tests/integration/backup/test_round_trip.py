"""`attunely backup` then `attunely restore`: films play again, bit for bit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from attunely.audit.models import AuditEntry
from attunely.config import Settings
from attunely.db import head_revision
from tests.integration.backup.conftest import (
    FILM,
    Run,
    blank_target,
    family_with_film,
    plays,
    reopened,
    use_settings,
)
from tests.support.factories import World


def test_backup_holds_ciphertext_and_a_manifest_but_no_keys(
    cli: Run, app: FastAPI, settings: Settings, world: World, tmp_path: Path
) -> None:
    family = family_with_film(world, app, settings, "ROUND-1")
    out = tmp_path / "backup"
    taken = cli("backup", "--out", str(out))
    assert taken.exit_code == 0, taken.output
    assert "keys are NOT in the backup" in taken.output
    manifest = json.loads((out / "manifest.json").read_text())["manifest"]
    assert manifest["schema_revision"] == head_revision()
    assert manifest["ledger"]["lines"] == 0
    blobs = {b["key"]: b for b in manifest["blobs"]}
    vault = settings.resolved_data_dir / "vault"
    assert blobs and all(
        (vault / key).read_bytes() == (out / "vault" / key).read_bytes() for key in blobs
    )
    # No key material and no plaintext travelled: not the master keys, not the film.
    names = {p.name for p in out.rglob("*")}
    assert not any(name.endswith(".key") for name in names)
    for path in (p for p in out.rglob("*") if p.is_file()):
        content = path.read_bytes()
        assert family.proxy[1000:1064] not in content and FILM[2000:2064] not in content
    # Writing into a folder that holds something is refused.
    again = cli("backup", "--out", str(out))
    assert again.exit_code == 2 and "not empty" in again.output


def test_restore_in_place_needs_yes_and_brings_the_backup_back(
    cli: Run, app: FastAPI, settings: Settings, world: World, tmp_path: Path
) -> None:
    kept = family_with_film(world, app, settings, "ROUND-2")
    out = tmp_path / "backup"
    assert cli("backup", "--out", str(out)).exit_code == 0
    later = family_with_film(world, app, settings, "LATER-1")
    app.state.engine.dispose()

    refused = cli("restore", "--from", str(out))
    assert refused.exit_code == 2
    assert "already holds data; run again with --yes" in refused.output
    restored = cli("restore", "--from", str(out), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "nothing to re-apply" in restored.output
    with reopened(settings) as opened:
        assert plays(opened, kept)
        # What was made after the backup is gone, its ciphertext too.
        gone = opened.client_for(kept.guider).get(f"/api/films/{later.film_id}/proxy")
        assert gone.status_code == 404
        assert not list((settings.resolved_data_dir / "vault").glob(f"{later.case_id}/*"))
        with opened.app.state.session_factory() as db:
            actions = list(db.scalars(select(AuditEntry.action)))
        assert "backup.restore" in actions


def test_restore_into_a_new_installation(
    cli: Run,
    app: FastAPI,
    settings: Settings,
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    family = family_with_film(world, app, settings, "ROUND-3")
    out = tmp_path / "backup"
    assert cli("backup", "--out", str(out)).exit_code == 0
    target = blank_target(settings, tmp_path)
    use_settings(monkeypatch, target)
    restored = cli("restore", "--from", str(out))
    assert restored.exit_code == 0, restored.output
    blobs = json.loads((out / "manifest.json").read_text())["manifest"]["blobs"]
    assert f"{len(blobs)} vault blobs" in restored.output
    with reopened(target) as opened:
        assert plays(opened, family)


def test_a_backup_from_an_older_schema_is_migrated_on_restore(
    cli: Run, app: FastAPI, settings: Settings, world: World, tmp_path: Path
) -> None:
    from alembic import command

    from attunely.db import alembic_config

    family = family_with_film(world, app, settings, "OLDER-1")
    app.state.engine.dispose()
    # As if the backup had been made by the version of Attunely before the consent,
    # retention, rights and sharing work.
    command.downgrade(alembic_config(settings), "0007")
    out = tmp_path / "backup"
    taken = cli("backup", "--out", str(out))
    assert taken.exit_code == 0, taken.output
    assert "at schema 0007" in taken.output
    restored = cli("restore", "--from", str(out), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "(schema 0007, migrated to head)" in restored.output
    with reopened(settings) as opened:
        assert plays(opened, family)

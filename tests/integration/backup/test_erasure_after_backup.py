"""Acceptance: footage destroyed after a backup was taken stays destroyed after restoring it.

The backup still holds the film's ciphertext and its wrapped keys; the erasure ledger, kept
apart, makes the restore destroy them again before anyone can use the restored data.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from attunely.backup import ledger
from attunely.cases.models import CasePerson
from attunely.config import Settings, reset_settings_cache
from attunely.vault.models import VaultObject
from tests.integration.backup.conftest import (
    Family,
    Reopened,
    Run,
    family_with_film,
    plays,
    reopened,
)
from tests.support.factories import World


def unreadable(
    opened: Reopened,
    cli: Run,
    family: Family,
    tmp_path: Path,
    *,
    restored: bool = True,
    rows_kept: bool = True,
) -> None:
    """Assert nobody can read the family's film: not its guider, not the administrator."""
    guider = opened.client_for(family.guider).get(f"/api/films/{family.film_id}/proxy")
    assert guider.status_code in (403, 404, 409, 410), guider.status_code
    export = cli("media", "export", family.film_id, "--out", str(tmp_path / "export.mp4"))
    assert export.exit_code == 2, export.output
    assert not (tmp_path / "export.mp4").exists()
    with opened.app.state.session_factory() as db:
        rows = db.scalars(select(VaultObject).where(VaultObject.case_id == family.case_id)).all()
    assert all(r.state == "shredded" and r.wrapped_data_key is None for r in rows)
    assert rows or not rows_kept
    vault = opened.app.state.settings.resolved_data_dir / "vault"
    if restored:
        assert not list(vault.glob(f"{family.case_id}/*")), "the shredded ciphertext came back"


def two_families(world: World, app: FastAPI, settings: Settings) -> tuple[Family, Family]:
    return (
        family_with_film(world, app, settings, "KEEP-1"),
        family_with_film(world, app, settings, "GONE-1"),
    )


def test_keys_shred_after_a_backup_is_reapplied_on_restore(
    cli: Run, app: FastAPI, settings: Settings, world: World, tmp_path: Path
) -> None:
    keep, gone = two_families(world, app, settings)
    out = tmp_path / "backup"
    assert cli("backup", "--out", str(out)).exit_code == 0
    shred = cli("keys", "shred", "--case", "GONE-1", "--reason", "erasure request", "--no-rotate")
    assert shred.exit_code == 0, shred.output
    assert [e.op for e in ledger.entries(settings)] == ["shred_case"]
    app.state.engine.dispose()

    restored = cli("restore", "--from", str(out), "--yes")
    assert restored.exit_code == 0, restored.output
    assert f"re-applied shred_case (case_id={gone.case_id}" in restored.output
    assert "master key rotated to version 2" in restored.output
    with reopened(settings) as opened:
        unreadable(opened, cli, gone, tmp_path)
        assert plays(opened, keep)
    verified = cli("audit", "verify")
    assert verified.exit_code == 0 and verified.output.startswith("ok:"), verified.output


def test_after_a_rotation_the_restore_needs_the_key_backup_and_shreds_again(
    cli: Run, app: FastAPI, settings: Settings, world: World, tmp_path: Path
) -> None:
    keep, gone = two_families(world, app, settings)
    out = tmp_path / "backup"
    assert cli("backup", "--out", str(out)).exit_code == 0
    key_backup = tmp_path / "key-backup"
    shutil.copytree(settings.keys_dir, key_backup)
    # The default shred rotates the master key: version 1, which wraps the backup's case
    # keys, is destroyed.
    shred = cli("keys", "shred", "--case", "GONE-1", "--reason", "erasure request")
    assert shred.exit_code == 0 and "master key now version 2" in shred.output
    app.state.engine.dispose()

    refused = cli("restore", "--from", str(out), "--yes")
    assert refused.exit_code == 2
    assert "master key version 1, which the key manager no longer holds" in refused.output
    with reopened(settings) as opened:  # nothing was replaced
        assert plays(opened, keep)

    shutil.copy2(key_backup / "vault-master-v1.key", settings.keys_dir / "vault-master-v1.key")
    restored = cli("restore", "--from", str(out), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "re-applied shred_case" in restored.output
    with reopened(settings) as opened:
        unreadable(opened, cli, gone, tmp_path)
        assert plays(opened, keep)
    # The restore's rotation destroyed the old version again.
    assert not (settings.keys_dir / "vault-master-v1.key").exists()


def test_withdrawal_then_retention_run_after_a_backup_is_reapplied_on_restore(
    cli: Run,
    app: FastAPI,
    settings: Settings,
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keep, gone = two_families(world, app, settings)
    out = tmp_path / "backup"
    assert cli("backup", "--out", str(out)).exit_code == 0
    monkeypatch.setenv("ATTUNELY_SHRED_GRACE_DAYS", "0")
    reset_settings_cache()
    withdrawn = cli(
        "consent",
        "withdraw",
        *("--case", "GONE-1", "--person", gone.parent_id),
        *("--purposes", "filming_feedback,supervision"),
    )
    assert withdrawn.exit_code == 0, withdrawn.output
    ran = cli("retention", "run")
    assert ran.exit_code == 0 and "shred" in ran.output, ran.output
    assert "shred_film" in [e.op for e in ledger.entries(settings)]
    with reopened(settings) as opened:
        unreadable(opened, cli, gone, tmp_path, restored=False)
    app.state.engine.dispose()

    restored = cli("restore", "--from", str(out), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "re-applied shred_film" in restored.output
    with reopened(settings) as opened:
        unreadable(opened, cli, gone, tmp_path)
        assert plays(opened, keep)


def test_a_case_erased_after_a_backup_is_erased_again_on_restore(
    cli: Run, app: FastAPI, settings: Settings, world: World, tmp_path: Path
) -> None:
    keep, gone = two_families(world, app, settings)
    out = tmp_path / "backup"
    assert cli("backup", "--out", str(out)).exit_code == 0
    erased = cli("erase", "case", "--ref", "GONE-1", "--reason", "erasure request of the family")
    assert erased.exit_code == 0, erased.output
    app.state.engine.dispose()

    restored = cli("restore", "--from", str(out), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "re-applied erase_case" in restored.output
    with reopened(settings) as opened:
        unreadable(opened, cli, gone, tmp_path, rows_kept=False)
        assert plays(opened, keep)
        with opened.app.state.session_factory() as db:
            names = db.scalars(
                select(CasePerson.display_name).where(CasePerson.case_id == gone.case_id)
            ).all()
        assert "Parent" not in names

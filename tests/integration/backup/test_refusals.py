"""A restore checks everything before it replaces anything: altered or foreign backups,
a newer schema, a replaced ledger and unknown erasures are refused with one clear line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from fastapi import FastAPI

from attunely.backup import archive, ledger
from attunely.config import Settings
from tests.integration.backup.conftest import Run, family_with_film, plays, reopened
from tests.support.factories import World


def _copy(out: Path, tmp_path: Path, name: str) -> Path:
    copy = tmp_path / name
    shutil.copytree(out, copy)
    return copy


def _flip_byte(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def test_altered_backups_are_refused_and_nothing_is_replaced(
    cli: Run, app: FastAPI, settings: Settings, world: World, tmp_path: Path
) -> None:
    family = family_with_film(world, app, settings, "TAMPER-1")
    ledger.append(settings, op="shred_case", target={"case_id": "no-such-case"})
    out = tmp_path / "backup"
    assert cli("backup", "--out", str(out)).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())["manifest"]
    app.state.engine.dispose()

    blob = _copy(out, tmp_path, "blob")
    _flip_byte(blob / "vault" / manifest["blobs"][0]["key"], 100)
    database = _copy(out, tmp_path, "database")
    _flip_byte(database / manifest["database_file"], 5000)
    edited = _copy(out, tmp_path, "edited")
    signed = json.loads((edited / "manifest.json").read_text())
    signed["manifest"]["blobs"][0]["sha256"] = "0" * 64
    (edited / "manifest.json").write_text(json.dumps(signed))
    unfinished = _copy(out, tmp_path, "unfinished")
    (unfinished / "manifest.json").unlink()
    newer = _copy(out, tmp_path, "newer")
    future = archive.read_manifest(settings, newer)
    future.schema_revision = "9999_from_the_future"
    archive.write_manifest(settings, newer, future)

    expected = {
        blob: f"vault blob {manifest['blobs'][0]['key']} does not match its checksum",
        database: f"{manifest['database_file']} is missing or does not match its checksum",
        edited: "signature does not verify",
        unfinished: "is not a complete backup",
        newer: "newer than (or unknown to) this version of Attunely",
    }
    for folder, message in expected.items():
        refused = cli("restore", "--from", str(folder), "--yes")
        assert refused.exit_code == 2, (folder.name, refused.output)
        assert message in refused.output, (folder.name, refused.output)

    # The ledger this backup saw was cut short: a restore could resurrect erased data.
    path = ledger.ledger_path(settings)
    saved = path.read_bytes()
    path.write_bytes(b"")
    cut = cli("restore", "--from", str(out), "--yes")
    assert cut.exit_code == 2 and "replaced, truncated or edited" in cut.output
    # An erasure of a kind no installed feature can re-apply stops the restore up front.
    path.write_bytes(saved)
    ledger.append(settings, op="erase_something_new", target={"id": "x"})
    unknown = cli("restore", "--from", str(out), "--yes")
    assert unknown.exit_code == 2 and "unknown kind 'erase_something_new'" in unknown.output

    with reopened(settings) as opened:
        assert plays(opened, family)


def test_a_backup_is_refused_without_the_keys_it_was_signed_with(
    cli: Run, app: FastAPI, settings: Settings, world: World, tmp_path: Path
) -> None:
    world.case(world.team(), reference="KEYS-1")
    out = tmp_path / "backup"
    assert cli("backup", "--out", str(out)).exit_code == 0
    (settings.keys_dir / "backup-manifest.key").rename(tmp_path / "aside.key")
    refused = cli("restore", "--from", str(out), "--yes")
    assert refused.exit_code == 2
    assert "restore the keys directory from its own backup first" in refused.output
    missing = cli("restore", "--from", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2 and "is not a directory" in missing.output

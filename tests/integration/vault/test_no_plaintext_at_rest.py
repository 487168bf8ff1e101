"""After storing known footage, no 64-byte run of it is anywhere in the data directory,
the database (with its WAL), the key files or the temporary directory."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from attunely.app import create_app
from attunely.config import Settings, reset_settings_cache
from attunely.db import unit_of_work
from attunely.policy import local_operator
from attunely.vault import service
from attunely.vault.keys import LocalKeyFileManager
from attunely.vault.service import Vault
from attunely.vault.storage import LocalDirStore
from tests.integration.vault.plaintext_scan import PlaintextIndex
from tests.support.factories import World

ACTOR = local_operator("scan-test")


@pytest.fixture
def sqlite_app(tmp_path: Path, sqlite_template: Path) -> Iterator[FastAPI]:
    # The embedded default, whose database file lives inside the data directory.
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    shutil.copyfile(sqlite_template, data / "attunely.db")
    reset_settings_cache()
    app = create_app(Settings(data_dir=data))
    yield app
    app.state.engine.dispose()


def test_the_index_finds_a_planted_run(tmp_path: Path) -> None:
    plain = os.urandom(4096)
    index = PlaintextIndex([plain])
    (tmp_path / "clean").write_bytes(os.urandom(10_000))
    (tmp_path / "leaky").write_bytes(os.urandom(777) + plain[1001:1065] + os.urandom(50))
    leaks = index.scan([tmp_path])
    assert [(leak.path.name, leak.offset) for leak in leaks] == [("leaky", 777 + 23)]


def test_no_plaintext_run_is_stored(sqlite_app: FastAPI, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings: Settings = sqlite_app.state.settings
    vault = Vault(
        store=LocalDirStore(settings.resolved_data_dir / "vault"),
        keys=LocalKeyFileManager(settings.keys_dir),
        sessions=sqlite_app.state.session_factory,
    )
    world = World(sqlite_app)
    case_id = world.case(world.team()).id
    footage = os.urandom(3 * 1024 * 1024 + 4321)
    stored = service.store_stream(
        vault,
        actor=ACTOR,
        case_id=case_id,
        kind="original",
        source=[footage[i : i + 65536] for i in range(0, len(footage), 65536)],
        purpose="ingest",
    )
    # A proxy-sized second object, an abandoned upload and some reads.
    small = os.urandom(200_000)
    service.store_stream(
        vault, actor=ACTOR, case_id=case_id, kind="proxy", source=[small], purpose="ingest"
    )
    abandoned = os.urandom(2 * 1024 * 1024)

    def dropping() -> Iterator[bytes]:
        yield abandoned
        raise ConnectionError("dropped")

    with pytest.raises(ConnectionError):
        service.store_stream(
            vault, actor=ACTOR, case_id=case_id, kind="original", source=dropping(), purpose="x"
        )
    with unit_of_work(vault.sessions) as db:
        got = service.read_range(
            db, vault=vault, actor=ACTOR, object_id=stored.id, purpose="review", start=10, end=None
        )
    assert got == footage[10:]

    index = PlaintextIndex([footage, small, abandoned])
    roots = [settings.resolved_data_dir, settings.tmp_dir]
    files = [p for root in roots for p in root.rglob("*") if p.is_file()]
    assert any(p.name == "attunely.db" for p in files)
    assert any(p.parent.parent.name == "vault" for p in files)
    assert index.scan(roots) == []
    assert index.find_in("\n".join(caplog.messages).encode()) is None

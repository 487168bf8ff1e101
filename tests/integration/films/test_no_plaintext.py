"""Footage is never at rest in plaintext: not in the vault, the database, temp files or logs."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import pytest
from fastapi import FastAPI

from attunely.config import Settings
from tests.integration.films.conftest import Filming, run_jobs, upload
from tests.support import media_files
from tests.support.leaks import files_under, find_leaks


def test_scanner_finds_a_planted_copy(tmp_path: Path) -> None:
    secret = media_files.normal_film()
    planted = tmp_path / "planted.bin"
    planted.write_bytes(b"\x00" * 1000 + secret[5000:5100] + b"\x00" * 1000)
    assert find_leaks(secret, [planted])
    clean = tmp_path / "clean.bin"
    clean.write_bytes(secret[5000:5060])  # 60 bytes: under the 64-byte threshold
    assert not find_leaks(secret, [clean])


def test_no_64_byte_run_of_film_or_proxy_anywhere(
    app: FastAPI,
    settings: Settings,
    filming: Filming,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    scratch = tmp_path / "process-tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    caplog.set_level(logging.DEBUG)
    original = media_files.film_bytes(seconds=4)
    film = upload(filming, original, part=300_000)
    run_jobs(app, settings)
    described = filming.client.get(f"/api/films/{film['id']}").json()
    assert described["state"] == "ready", described
    proxy = filming.client.get(f"/api/films/{film['id']}/proxy").content
    assert len(proxy) > 10_000
    log_file = tmp_path / "captured.log"
    log_file.write_text(caplog.text)
    scanned = files_under(settings.resolved_data_dir, scratch, log_file)
    assert (
        any(p.name.endswith(".db") or "vault" in str(p) for p in scanned) or settings.database_url
    ), scanned
    for name, secret in (("original", original), ("proxy", proxy)):
        leaks = find_leaks(secret, scanned)
        assert not leaks, f"plaintext of the {name} found: {leaks}"
    if settings.database_url:
        # PostgreSQL keeps its files elsewhere: scan a dump of every table instead.
        from sqlalchemy import MetaData

        engine = app.state.engine
        meta = MetaData()
        meta.reflect(bind=engine)
        dump = tmp_path / "dump.bin"
        with engine.connect() as conn, dump.open("wb") as out:
            for table in meta.sorted_tables:
                for row in conn.execute(table.select()):
                    for value in row:
                        out.write(value if isinstance(value, bytes) else str(value).encode())
        assert not find_leaks(original, [dump]) and not find_leaks(proxy, [dump])

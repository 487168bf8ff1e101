"""The shared clip is never at rest in plaintext: not in the vault, temp files, logs or the
database."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import pytest

from tests.integration.sharing.conftest import Sharing, visitor
from tests.support.leaks import files_under, find_leaks


def test_no_64_byte_run_of_the_shared_clip_anywhere(
    sharing: Sharing,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    scratch = tmp_path / "process-tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    caplog.set_level(logging.DEBUG)
    _share, link = sharing.rendered()
    clip = visitor(sharing.app).get(f"{link}/clip.mp4").content
    assert len(clip) > 5_000
    log_file = tmp_path / "captured.log"
    log_file.write_text(caplog.text)
    scanned = files_under(sharing.settings.resolved_data_dir, scratch, log_file)
    assert scanned
    assert not find_leaks(clip, scanned), "plaintext of the shared clip found"
    if sharing.settings.database_url:
        from sqlalchemy import MetaData

        engine = sharing.app.state.engine
        meta = MetaData()
        meta.reflect(bind=engine)
        dump = tmp_path / "dump.bin"
        with engine.connect() as conn, dump.open("wb") as out:
            for table in meta.sorted_tables:
                for row in conn.execute(table.select()):
                    for value in row:
                        out.write(value if isinstance(value, bytes) else str(value).encode())
        assert not find_leaks(clip, [dump])

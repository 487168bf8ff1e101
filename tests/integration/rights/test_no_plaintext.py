"""The package is the only place decrypted footage goes: no temp file, log or data file."""

from __future__ import annotations

import io
import logging
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from attunely.config import Settings
from attunely.policy import Role
from tests.integration.films.conftest import Filming, filming, run_jobs, upload  # noqa: F401
from tests.integration.rights.test_erasure import cli  # noqa: F401
from tests.support import media_files
from tests.support.factories import World
from tests.support.leaks import files_under, find_leaks


def test_exporting_a_package_leaves_no_plaintext_behind(
    app: FastAPI,
    settings: Settings,
    filming: Filming,  # noqa: F811
    world: World,
    cli: Any,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    scratch = tmp_path / "process-tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    caplog.set_level(logging.DEBUG)
    original = media_files.film_bytes(seconds=3)
    film = upload(filming, original, part=300_000)
    run_jobs(app, settings)
    person = filming.client.get(f"/api/cases/{filming.case_id}").json()["people"][0]["id"]

    out = tmp_path / "out" / "package.zip"
    out.parent.mkdir()
    exported = cli("sar", "export", "--person", person, "--out", str(out))
    assert exported.exit_code == 0, exported.output
    with zipfile.ZipFile(out) as archive:
        (name,) = [n for n in archive.namelist() if n.startswith("films/")]
        assert archive.read(name) == original
    downloaded = world.client_for(world.user(Role.ADMIN))
    requested = downloaded.post(
        "/rights/requests", data={"person_id": person, "received_on": "2026-11-20"}
    )
    assert requested.status_code == 200  # followed the redirect back to the page
    request_id = re.search(r'data-request="([0-9a-f-]+)"', requested.text).group(1)  # type: ignore[union-attr]
    body = downloaded.get(f"/rights/requests/{request_id}/package").content
    assert zipfile.ZipFile(io.BytesIO(body)).read(name) == original

    log_file = tmp_path / "captured.log"
    log_file.write_text(caplog.text)
    scanned = files_under(settings.resolved_data_dir, scratch, log_file)
    assert not find_leaks(original, scanned), f"plaintext of {film['id']} left behind"

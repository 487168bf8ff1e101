"""SIGKILL at any point of import or processing leaves nothing orphaned, corrupt or dangling.

Each case runs the real command line in a child process that kills itself at a named
point (attunely.faults), then "restarts": expired leases are recovered, jobs run again and
housekeeping runs. Then the invariants are checked against the database and the blob store.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from attunely.cases.models import Case
from attunely.config import Settings
from attunely.films.jobs import WORKER, collect_garbage
from attunely.films.models import Film, FilmAnalysis
from attunely.vault import service as vault_service
from attunely.vault.models import ObjectState, VaultObject
from tests.integration.films.conftest import Filming, run_jobs, upload
from tests.support import media_files


def check_invariants(app: FastAPI) -> dict[str, int]:
    """Every blob has a complete row and decrypts; every film points only at complete data."""
    vault = app.state.vault
    blobs = {b.key for b in vault.store.list()}
    with app.state.session_factory() as db:
        rows = db.scalars(select(VaultObject)).all()
        pending = [r.id for r in rows if r.state == ObjectState.PENDING]
        assert not pending, f"pending objects left behind: {pending}"
        complete = {r.storage_key: r for r in rows if r.state == ObjectState.COMPLETE}
        assert blobs == set(complete), (
            f"blobs without rows {blobs - set(complete)}, "
            f"rows without blobs {set(complete) - blobs}"
        )
        for row in complete.values():
            reader = vault_service.open_reader(
                db, vault=vault, actor=WORKER, object_id=row.id, purpose="maintenance"
            )
            reader.verify()
        linked: set[str] = set()
        for film in db.scalars(select(Film)):
            for object_id in (
                film.original_object_id,
                film.proxy_object_id,
                film.thumbs_object_id,
                film.waveform_object_id,
            ):
                if object_id:
                    assert db.get(VaultObject, object_id).state == ObjectState.COMPLETE
                    linked.add(object_id)
            if film.state == "ready":
                assert film.proxy_object_id and film.original_object_id
        for analysis in db.scalars(select(FilmAnalysis)):
            for object_id in (analysis.result_object_id, analysis.stills_object_id):
                if object_id:
                    assert db.get(VaultObject, object_id).state == ObjectState.COMPLETE
                    linked.add(object_id)
        unlinked = {r.id for r in complete.values()} - linked
        assert not unlinked, f"complete objects no film uses: {unlinked}"
        db.rollback()
    return {"blobs": len(blobs), "films": len(linked)}


def restart(app: FastAPI, settings: Settings) -> None:
    """What a restarted server does: recover leases, run jobs, then housekeeping."""
    time.sleep(1.2)  # the dead process's 1-second lease runs out
    run_jobs(app, settings)
    collect_garbage(app.state.vault, older_than=timedelta(0))
    vault_service.clean_orphans(app.state.vault, actor=WORKER, older_than=timedelta(0))


def _env(settings: Settings, crash_at: str) -> dict[str, str]:
    env = dict(
        os.environ,
        ATTUNELY_DATA_DIR=str(settings.data_dir),
        ATTUNELY_CRASH_AT=crash_at,
        ATTUNELY_JOB_LEASE_SECONDS="1",
        ATTUNELY_OPERATOR="crash-test",
    )
    if settings.database_url:
        env["ATTUNELY_DATABASE_URL"] = settings.database_url
    return env


IMPORT_POINTS = [
    ("vault.write:2", False),
    ("vault.before_complete", False),
    ("import.before_film_row", False),
    ("films.transcode_start", True),
    ("films.transcoding:20", True),
    ("films.proxy_stored", True),
    ("films.before_ready", True),
]


# Every point on SQLite; two representative ones on PostgreSQL (each case costs seconds).
CASES = [
    pytest.param("sqlite", point, survives, id=f"sqlite-{point}")
    for point, survives in IMPORT_POINTS
] + [
    pytest.param("postgresql", point, survives, id=f"postgresql-{point}")
    for point, survives in IMPORT_POINTS
    if point in ("vault.before_complete", "films.before_ready")
]


@pytest.mark.parametrize("database_url, crash_at, film_survives", CASES, indirect=["database_url"])
def test_import_killed_then_restarted(
    app: FastAPI,
    settings: Settings,
    filming: Filming,
    tmp_path: Path,
    crash_at: str,
    film_survives: bool,
) -> None:
    source = tmp_path / "film.mp4"
    source.write_bytes(media_files.film_bytes(seconds=8))
    with app.state.session_factory() as db:
        reference = db.get(Case, filming.case_id).reference  # type: ignore[union-attr]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "attunely",
            "media",
            "import",
            str(source),
            "--case",
            reference,
            "--wait",
        ],
        env=_env(settings, crash_at),
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == -9, (crash_at, result.returncode, result.stderr[-2000:])
    restart(app, settings)
    counts = check_invariants(app)
    with app.state.session_factory() as db:
        films = db.scalars(select(Film)).all()
        if film_survives:
            assert [f.state for f in films] == ["ready"], crash_at
            # original, proxy, thumbnails, waveform, analysis, stills
            assert counts["blobs"] == 6
        else:
            assert films == [] and counts["blobs"] == 0, crash_at


def test_worker_killed_while_joining_an_upload(
    app: FastAPI, settings: Settings, filming: Filming
) -> None:
    film = upload(filming, media_files.film_bytes(seconds=4), part=200_000)
    worker = subprocess.run(
        [sys.executable, "-m", "attunely", "worker"],
        env=_env(settings, "films.joined_before_link"),
        capture_output=True,
        timeout=120,
    )
    assert worker.returncode == -9, worker.stderr[-2000:]
    restart(app, settings)
    check_invariants(app)
    assert filming.client.get(f"/api/films/{film['id']}").json()["state"] == "ready"

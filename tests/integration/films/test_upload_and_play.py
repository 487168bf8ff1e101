"""A film's path: resumable upload → vault → proxy → range streaming, and refusals."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from attunely.audit.models import AuditEntry
from attunely.config import Settings
from attunely.policy import Role
from attunely.vault.models import VaultObject
from tests.integration.films.conftest import Filming, run_jobs, upload
from tests.support import media_files
from tests.support.factories import World


def test_upload_resumes_after_a_drop_and_the_film_plays(
    app: FastAPI, settings: Settings, filming: Filming, db: Session
) -> None:
    data = media_files.normal_film()
    client = filming.client
    started = client.post(
        f"/api/filming-sessions/{filming.session_id}/uploads",
        json={"label": "Bath time", "size": len(data)},
    ).json()
    upload_id, part = started["id"], 50_000
    assert client.put(f"/api/uploads/{upload_id}/parts/0", content=data[:part]).status_code == 200
    # The line drops; the client resends from a stale offset and is told where to resume.
    stale = client.put(f"/api/uploads/{upload_id}/parts/0", content=data[:part])
    assert stale.status_code == 409 and stale.json()["error"]["offset"] == part
    assert client.get(f"/api/uploads/{upload_id}").json()["offset"] == part
    for offset in range(part, len(data), part):
        assert (
            client.put(
                f"/api/uploads/{upload_id}/parts/{offset}", content=data[offset : offset + part]
            ).status_code
            == 200
        )
    film = client.post(
        f"/api/uploads/{upload_id}/complete", json={"sha256": hashlib.sha256(data).hexdigest()}
    ).json()
    assert film["state"] == "processing"
    assert run_jobs(app, settings) == 3  # join, process, analyse
    film = client.get(f"/api/films/{film['id']}").json()
    assert film["state"] == "ready", film
    assert film["playable"] and film["proxy"]["fps_float"] > 0
    assert film["probe"]["video"]["codec"] == "h264"

    whole = client.get(f"/api/films/{film['id']}/proxy")
    assert whole.status_code == 200 and whole.headers["cache-control"] == "no-store"
    proxy = whole.content
    assert proxy[4:8] == b"ftyp"
    for start, end in [(0, 0), (0, 99), (1000, 5000), (len(proxy) - 10, len(proxy) - 1)]:
        got = client.get(
            f"/api/films/{film['id']}/proxy", headers={"Range": f"bytes={start}-{end}"}
        )
        assert got.status_code == 206
        assert got.content == proxy[start : end + 1]
        assert got.headers["content-range"] == f"bytes {start}-{end}/{len(proxy)}"
    suffix = client.get(f"/api/films/{film['id']}/proxy", headers={"Range": "bytes=-100"})
    assert suffix.content == proxy[-100:]
    beyond = client.get(f"/api/films/{film['id']}/proxy", headers={"Range": f"bytes={len(proxy)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(proxy)}"
    assert client.get(f"/api/films/{film['id']}/thumbs").content[:2] == b"\xff\xd8"
    assert "peaks" in client.get(f"/api/films/{film['id']}/waveform").json()
    # Every read was audited; the upload's parts are gone from the vault.
    reads = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "vault.read", AuditEntry.actor_id == filming.guider_id
        )
    ).all()
    assert len(reads) >= 7
    kinds = sorted(db.scalars(select(VaultObject.kind).where(VaultObject.state == "complete")))
    assert kinds == ["analysis", "original", "proxy", "stills", "thumbs", "waveform"]
    db.rollback()


@pytest.mark.parametrize(
    "maker, words",
    [
        (media_files.not_a_video_file, "not a video"),
        (media_files.audio_only_file, "sound"),
        (media_files.truncated_film, "incomplete"),
    ],
)
def test_unusable_files_are_refused_with_a_reason_and_nothing_kept(
    app: FastAPI, settings: Settings, filming: Filming, db: Session, maker: object, words: str
) -> None:
    film = upload(filming, maker())  # type: ignore[operator]
    run_jobs(app, settings)
    described = filming.client.get(f"/api/films/{film['id']}").json()
    assert described["state"] == "rejected"
    assert words in described["problem"].lower(), described["problem"]
    assert described["playable"] is False
    stored = db.scalars(select(VaultObject).where(VaultObject.state == "complete")).all()
    assert stored == []
    db.rollback()
    assert filming.client.get(f"/api/films/{film['id']}/proxy").status_code == 409


def test_checksum_mismatch_is_refused(app: FastAPI, settings: Settings, filming: Filming) -> None:
    data = media_files.normal_film()
    started = filming.client.post(
        f"/api/filming-sessions/{filming.session_id}/uploads",
        json={"label": "x", "size": len(data)},
    ).json()
    filming.client.put(f"/api/uploads/{started['id']}/parts/0", content=data)
    film = filming.client.post(
        f"/api/uploads/{started['id']}/complete", json={"sha256": "0" * 64}
    ).json()
    run_jobs(app, settings)
    described = filming.client.get(f"/api/films/{film['id']}").json()
    assert described["state"] == "rejected" and "checksum" in described["problem"]


def test_empty_and_oversized_parts_and_early_completion(filming: Filming) -> None:
    client = filming.client
    started = client.post(
        f"/api/filming-sessions/{filming.session_id}/uploads", json={"label": "x", "size": 1000}
    ).json()
    assert client.put(f"/api/uploads/{started['id']}/parts/0", content=b"").status_code == 422
    too_big = client.put(f"/api/uploads/{started['id']}/parts/0", content=b"x" * 1001)
    assert too_big.status_code == 422
    early = client.post(f"/api/uploads/{started['id']}/complete", json={"sha256": "a" * 64})
    assert early.status_code == 422 and "0 bytes" in early.text
    assert client.delete(f"/api/uploads/{started['id']}").status_code == 204
    assert client.put(f"/api/uploads/{started['id']}/parts/0", content=b"x").status_code == 409


def test_other_people_cannot_upload_or_play(
    app: FastAPI, settings: Settings, world: World, filming: Filming
) -> None:
    film = upload(filming, media_files.normal_film())
    run_jobs(app, settings)
    outsider = world.client_for(world.user(Role.GUIDER, team=world.team()))
    assert outsider.get(f"/api/films/{film['id']}/proxy").status_code == 404
    assert (
        outsider.post(
            f"/api/filming-sessions/{filming.session_id}/uploads", json={"label": "x"}
        ).status_code
        == 404
    )
    manager_team = world.team()
    manager = world.client_for(world.user(Role.MANAGER, team=manager_team, manages=True))
    assert manager.get(f"/api/films/{film['id']}/proxy").status_code in (403, 404)


def test_cli_import_show_and_export(
    app: FastAPI,
    settings: Settings,
    filming: Filming,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import json

    from typer.testing import CliRunner

    from attunely.cli import app as cli_app
    from attunely.config import reset_settings_cache

    monkeypatch.setenv("ATTUNELY_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("ATTUNELY_DATABASE_URL", settings.database_url)
    reset_settings_cache()
    source = tmp_path / "clinic.mp4"
    source.write_bytes(media_files.portrait_film())
    with app.state.session_factory() as db:
        from attunely.cases.models import Case

        reference = db.get(Case, filming.case_id).reference  # type: ignore[union-attr]
    runner = CliRunner()
    made = runner.invoke(cli_app, ["media", "import", str(source), "--case", reference, "--wait"])
    assert made.exit_code == 0, made.output
    film_id = made.output.strip().splitlines()[-1]
    shown = json.loads(runner.invoke(cli_app, ["media", "show", film_id]).output)
    assert shown["state"] == "ready"
    assert shown["probe"]["video"]["rotation"] in (90, 270)
    assert shown["proxy"]["height"] > shown["proxy"]["width"], "portrait film comes out upright"
    out = tmp_path / "export.mp4"
    exported = runner.invoke(cli_app, ["media", "export", film_id, "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    assert out.read_bytes() == source.read_bytes()
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"")
    refused = runner.invoke(cli_app, ["media", "import", str(bad), "--case", reference])
    assert refused.exit_code == 2 and "empty" in refused.output
    reset_settings_cache()
    assert os.environ["ATTUNELY_DATA_DIR"]


def test_idle_uploads_are_abandoned_and_their_parts_destroyed(
    app: FastAPI, settings: Settings, filming: Filming, db: Session
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from attunely.db import utcnow
    from attunely.films.jobs import housekeeping
    from attunely.films.models import Upload

    client = filming.client
    started = client.post(
        f"/api/filming-sessions/{filming.session_id}/uploads", json={"label": "left behind"}
    ).json()
    assert (
        client.put(f"/api/uploads/{started['id']}/parts/0", content=b"x" * 5000).status_code == 200
    )
    db.execute(update(Upload).values(updated_at=utcnow() - timedelta(hours=49)))
    db.commit()
    housekeeping(settings, app.state.session_factory)
    assert client.get(f"/api/uploads/{started['id']}").json()["state"] == "abandoned"
    parts = db.scalars(select(VaultObject).where(VaultObject.kind == "upload")).all()
    assert parts == []
    db.rollback()
    resumed = client.put(f"/api/uploads/{started['id']}/parts/5000", content=b"y")
    assert resumed.status_code == 409 and "abandoned" in resumed.text

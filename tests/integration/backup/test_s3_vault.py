"""Backup and restore with the vault in S3-compatible storage (moto's S3 server over HTTP)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from typer.testing import CliRunner

from attunely.app import create_app
from attunely.cli import app as cli_app
from attunely.config import Settings, reset_settings_cache
from attunely.vault.storage import S3Store
from tests.integration.backup.conftest import family_with_film, plays, reopened, use_settings
from tests.support.factories import World


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_settings(settings: Settings, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    bucket = f"attunely-{uuid.uuid4().hex[:12]}"
    changed = settings.model_copy(
        update={
            "storage": "s3",
            "s3_endpoint": s3_endpoint,
            "s3_bucket": bucket,
            "s3_access_key": "test-access",
            "s3_secret_key": SecretStr("test-secret"),
            "s3_prefix": "vault",
        }
    )
    S3Store.from_settings(changed).ensure_bucket()
    for name, value in (
        ("STORAGE", "s3"),
        ("S3_ENDPOINT", s3_endpoint),
        ("S3_BUCKET", bucket),
        ("S3_ACCESS_KEY", "test-access"),
        ("S3_SECRET_KEY", "test-secret"),
        ("S3_PREFIX", "vault"),
    ):
        monkeypatch.setenv(f"ATTUNELY_{name}", value)
    use_settings(monkeypatch, changed)
    return changed


@pytest.fixture
def s3_app(s3_settings: Settings) -> Iterator[FastAPI]:
    application = create_app(s3_settings)
    yield application
    application.state.engine.dispose()


def test_round_trip_with_the_vault_in_s3(
    s3_app: FastAPI, s3_settings: Settings, tmp_path: Path
) -> None:
    world = World(s3_app)
    kept = family_with_film(world, s3_app, s3_settings, "S3-KEEP")
    out = tmp_path / "backup"
    runner = CliRunner()
    taken = runner.invoke(cli_app, ["backup", "--out", str(out)])
    assert taken.exit_code == 0, taken.output
    manifest = json.loads((out / "manifest.json").read_text())["manifest"]
    assert manifest["storage"] == "s3" and manifest["blobs"]
    store = S3Store.from_settings(s3_settings)
    for blob in manifest["blobs"]:
        assert (out / "vault" / blob["key"]).stat().st_size == store.size(blob["key"])
    later = family_with_film(world, s3_app, s3_settings, "S3-LATER")
    s3_app.state.engine.dispose()

    reset_settings_cache()
    restored = runner.invoke(cli_app, ["restore", "--from", str(out), "--yes"])
    assert restored.exit_code == 0, restored.output
    keys = {info.key for info in store.list()}
    assert keys == {blob["key"] for blob in manifest["blobs"]}
    assert not any(key.startswith(later.case_id) for key in keys)
    with reopened(s3_settings) as opened:
        assert plays(opened, kept)

"""Vault fixtures: a real local directory store and a real S3 protocol server over HTTP.

The S3 server is moto's standalone server (no S3 server package is available from our
registries), started on loopback for the run and spoken to with boto3 like production S3.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from attunely.config import Settings
from attunely.vault.keys import LocalKeyFileManager
from attunely.vault.service import Vault
from attunely.vault.storage import MIN_PART_SIZE, BlobStore, LocalDirStore, S3Store


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def make_s3_store(endpoint: str) -> S3Store:
    store = S3Store(
        bucket=f"attunely-{uuid.uuid4().hex[:12]}",
        endpoint_url=endpoint,
        access_key="test-access",
        secret_key="test-secret",
        region="us-east-1",
        prefix="vault",
        part_size=MIN_PART_SIZE,
    )
    store.ensure_bucket()
    return store


@pytest.fixture
def s3_store(s3_endpoint: str) -> S3Store:
    return make_s3_store(s3_endpoint)


@pytest.fixture(params=["local", "s3"])
def blob_store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalDirStore(tmp_path / "vault")
    store: S3Store = request.getfixturevalue("s3_store")
    return store


@pytest.fixture
def vault(app: FastAPI, settings: Settings) -> Vault:
    """The embedded default: local directory store, local master key files."""
    return Vault(
        store=LocalDirStore(settings.resolved_data_dir / "vault"),
        keys=LocalKeyFileManager(settings.keys_dir),
        sessions=app.state.session_factory,
    )


@pytest.fixture
def s3_vault(app: FastAPI, settings: Settings, s3_store: S3Store) -> Vault:
    return Vault(
        store=s3_store,
        keys=LocalKeyFileManager(settings.keys_dir),
        sessions=app.state.session_factory,
    )

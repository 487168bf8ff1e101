"""Fixtures shared by every test: real databases (SQLite and PostgreSQL), the app, factories.

Each test gets its own freshly migrated database, copied from a template migrated once
per run, so tests never see each other's rows and never mock the database.
Set ATTUNELY_TEST_BACKENDS=sqlite to skip PostgreSQL for a quick local run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from attunely.app import create_app
from attunely.config import Settings, reset_settings_cache
from attunely.db import upgrade
from tests.support import pg
from tests.support.factories import World

BACKENDS = [
    b for b in os.environ.get("ATTUNELY_TEST_BACKENDS", "sqlite,postgresql").split(",") if b
]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pg.PgServer]:
    server = pg.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sqlite-template")
    upgrade(Settings(data_dir=folder))
    return folder / "attunely.db"


@pytest.fixture(scope="session")
def pg_template(pg_server: pg.PgServer) -> str:
    name = "attunely_template"
    admin = create_engine(pg_server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    upgrade(Settings(database_url=pg_server.url_for(name)))
    return name


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """A fresh, migrated database for this test: None means SQLite in the data directory."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        data = tmp_path / "data"
        data.mkdir(mode=0o700)
        shutil.copyfile(template, data / "attunely.db")
        yield None
        return
    server: pg.PgServer = request.getfixturevalue("pg_server")
    template_name: str = request.getfixturevalue("pg_template")
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {template_name}"))
    yield server.url_for(name)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    reset_settings_cache()
    # No background workers unless a test starts them: they would race the test's own writes.
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, cookie_secure=True, job_workers=0
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def db(app: FastAPI) -> Iterator[Session]:
    session: Session = app.state.session_factory()
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver") as test_client:
        yield test_client


@pytest.fixture
def world(app: FastAPI) -> World:
    return World(app)

"""Backup fixtures: the command line on the test's settings, families with a played film."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner, Result

from attunely.accounts.models import User
from attunely.app import create_app
from attunely.cli import app as cli_app
from attunely.config import Settings, reset_settings_cache
from attunely.policy import Role
from tests.integration.films.conftest import Filming, run_jobs, upload
from tests.support import media_files
from tests.support.factories import World

Run = Callable[..., Result]


def use_settings(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    """Point the `attunely` command at these settings."""
    monkeypatch.setenv("ATTUNELY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ATTUNELY_OPERATOR", "backup-keeper")
    monkeypatch.setenv("ATTUNELY_JOB_WORKERS", "0")
    for name, value in (
        ("ATTUNELY_DATABASE_URL", settings.database_url),
        ("ATTUNELY_LEDGER_DIR", settings.ledger_dir),
    ):
        if value:
            monkeypatch.setenv(name, str(value))
        else:
            monkeypatch.delenv(name, raising=False)
    reset_settings_cache()


@pytest.fixture
def cli(settings: Settings, app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    use_settings(monkeypatch, settings)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli_app, list(args))

    yield invoke
    reset_settings_cache()


@dataclass
class Family:
    reference: str
    case_id: str
    guider: User
    film_id: str
    proxy: bytes
    parent_id: str


def family_with_film(world: World, app: FastAPI, settings: Settings, reference: str) -> Family:
    """A case whose guider filmed, uploaded and played one film."""
    team = world.team()
    guider = world.user(Role.GUIDER, team=team)
    case = world.case(team, guider=guider, reference=reference)
    parent = world.person(
        case, kind="caregiver", display_name="Parent", parental_responsibility=True
    )
    world.consent(case, parent)
    client = world.client_for(guider)
    session = client.post(
        f"/api/cases/{case.id}/filming-sessions",
        json={
            "filmed_on": "2026-11-01",
            "setting": "home",
            "activity": "play on the mat",
            "filmed_people": [parent],
        },
    )
    assert session.status_code == 201, session.text
    film = upload(Filming(client, case.id, session.json()["id"], guider.id), FILM)
    run_jobs(app, settings)
    proxy = client.get(f"/api/films/{film['id']}/proxy")
    assert proxy.status_code == 200, proxy.text
    return Family(reference, case.id, guider, film["id"], proxy.content, parent)


FILM = media_files.normal_film()


class Reopened:
    """A fresh app on restored data, and clients signed in to it."""

    def __init__(self, settings: Settings) -> None:
        reset_settings_cache()
        self.app = create_app(settings)
        self.world = World(self.app)

    def client_for(self, user: User) -> TestClient:
        return self.world.client_for(user)

    def close(self) -> None:
        self.app.state.engine.dispose()


@contextmanager
def reopened(settings: Settings) -> Iterator[Reopened]:
    opened = Reopened(settings)
    try:
        yield opened
    finally:
        opened.close()


def plays(opened: Reopened, family: Family) -> bool:
    """Say whether the family's guider can play the film, bit for bit as before."""
    got = opened.client_for(family.guider).get(f"/api/films/{family.film_id}/proxy")
    return got.status_code == 200 and got.content == family.proxy


def blank_target(settings: Settings, tmp_path: Path) -> Settings:
    """Settings for a new, empty installation with the key backup put back in place.

    The erasure ledger stays where it is (it lives apart from the data); the keys directory
    is copied, as an operator restores it from the separate key backup.
    """
    data = tmp_path / f"restored-{uuid.uuid4().hex[:6]}"
    data.mkdir(mode=0o700)
    shutil.copytree(settings.keys_dir, data / "keys")
    url = settings.database_url
    if url:
        name = f"r_{uuid.uuid4().hex[:16]}"
        admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        url = make_url(url).set(database=name).render_as_string(hide_password=False)
    return settings.model_copy(
        update={"data_dir": data, "database_url": url, "ledger_dir": settings.resolved_ledger_dir}
    )

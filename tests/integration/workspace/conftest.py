"""A guider's case with a ready film (really uploaded and processed), for workspace tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from attunely.accounts.models import Team, User
from attunely.config import Settings
from attunely.policy import Role
from tests.integration.films.conftest import Filming, run_jobs, upload
from tests.support import media_files
from tests.support.factories import World

#: A 2 s, 30 fps film: 60 frames, numbered 0..59.
FRAMES = 60


@dataclass
class Desk:
    """Where a test works: the guider's client, the case's ready film, the team's scheme."""

    world: World
    team: Team
    guider: User
    supervisor: User
    client: TestClient
    case_id: str
    session_id: str
    film_id: str
    scheme_version_id: str

    def annotate(self, **fields: Any) -> Any:
        body = {"scheme_version_id": self.scheme_version_id, "subject": "adult", **fields}
        return self.client.post(f"/api/films/{self.film_id}/annotations", json=body)

    def clip(self, **fields: Any) -> Any:
        body = {"title": "A moment", **fields}
        return self.client.post(f"/api/films/{self.film_id}/clips", json=body)


def tiny_film() -> bytes:
    return media_files.normal_film(width=320, height=180, seconds=FRAMES / 30)


def new_film(app: FastAPI, settings: Settings, filming: Filming, *, process: bool = True) -> str:
    film = upload(filming, tiny_film(), part=1024 * 1024)
    if process:
        run_jobs(app, settings)
    return str(film["id"])


@pytest.fixture
def desk(app: FastAPI, settings: Settings, world: World) -> Desk:
    team = world.team()
    guider = world.user(Role.GUIDER, team=team)
    supervisor = world.user(Role.SUPERVISOR, team=team)
    case = world.case(team, guider=guider, supervisor=supervisor)
    parent = world.person(
        case, kind="caregiver", display_name="Parent", parental_responsibility=True
    )
    world.consent(case, parent)
    client = world.client_for(guider)
    session = client.post(
        f"/api/cases/{case.id}/filming-sessions",
        json={"filmed_on": "2026-11-01", "setting": "home", "activity": "play"},
    )
    assert session.status_code == 201, session.text
    filming = Filming(client, case.id, session.json()["id"], guider.id)
    film_id = new_film(app, settings, filming)
    opened = client.get(f"/api/films/{film_id}/workspace")
    assert opened.status_code == 200, opened.text
    body = opened.json()
    assert body["film"]["frame_count"] == FRAMES, body["film"]
    return Desk(
        world=world,
        team=team,
        guider=guider,
        supervisor=supervisor,
        client=client,
        case_id=case.id,
        session_id=filming.session_id,
        film_id=film_id,
        scheme_version_id=body["schemes"][0]["id"],
    )

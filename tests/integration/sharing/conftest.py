"""A case with a ready film, a clip of it and every consent a share needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from attunely.accounts.models import User
from attunely.config import Settings
from attunely.jobs.runner import Worker
from attunely.policy import Role
from tests.integration.films.conftest import Filming, run_jobs, upload
from tests.support import media_files
from tests.support.factories import World

#: A 3 s, 30 fps film: 90 frames. The clip is frames 30..59 (one second).
FRAMES = 90
CLIP_IN, CLIP_OUT = 30, 60
ALL_PURPOSES = ("filming_feedback", "supervision", "professional_network")


@dataclass
class Sharing:
    world: World
    app: FastAPI
    settings: Settings
    guider: User
    supervisor: User
    client: TestClient
    case_id: str
    parent_id: str
    film_id: str
    clip_id: str

    def body(self, **fields: Any) -> dict[str, Any]:
        return {
            "clip_id": self.clip_id,
            "recipient_name": "Dr Ada Example",
            "recipient_organisation": "North Health Visiting",
            "recipient_email": "ada@example.org",
            "purpose": "professional_network",
            "agreement_reference": "DSA-2026-014",
            "expires_on": (date.today() + timedelta(days=14)).isoformat(),
            **fields,
        }

    def share(self, **fields: Any) -> Any:
        return self.client.post("/api/shares", json=self.body(**fields))

    def rendered(self, **fields: Any) -> tuple[dict[str, Any], str]:
        """Make a share and render it; return its description and its link."""
        made = self.share(**fields)
        assert made.status_code == 201, made.text
        run_render(self.app, self.settings, made.json()["share"]["id"])
        share = self.client.get(f"/api/shares/{made.json()['share']['id']}").json()
        assert share["status"] == "active", share
        return share, made.json()["link"]


@pytest.fixture
def sharing(app: FastAPI, settings: Settings, world: World) -> Sharing:
    team = world.team()
    guider = world.user(Role.GUIDER, team=team)
    supervisor = world.user(Role.SUPERVISOR, team=team)
    case = world.case(team, guider=guider, supervisor=supervisor)
    parent = world.person(
        case, kind="caregiver", display_name="Parent", parental_responsibility=True
    )
    world.consent(case, parent, purposes=ALL_PURPOSES)
    client = world.client_for(guider)
    session = client.post(
        f"/api/cases/{case.id}/filming-sessions",
        json={"filmed_on": "2026-11-01", "setting": "home", "activity": "play"},
    )
    assert session.status_code == 201, session.text
    filming = Filming(client, case.id, session.json()["id"], guider.id)
    film = upload(
        filming,
        media_files.normal_film(width=320, height=180, seconds=FRAMES / 30),
        part=1024 * 1024,
    )
    # Assemble and process only: the film's analysis is not needed here, and is slow.
    run_jobs(app, settings, limit=2)
    ready = client.get(f"/api/films/{film['id']}").json()
    assert ready["state"] == "ready", ready
    clip = client.post(
        f"/api/films/{film['id']}/clips",
        json={"title": "Turn-taking", "in_frame": CLIP_IN, "out_frame": CLIP_OUT},
    )
    assert clip.status_code == 201, clip.text
    return Sharing(
        world=world,
        app=app,
        settings=settings,
        guider=guider,
        supervisor=supervisor,
        client=client,
        case_id=case.id,
        parent_id=parent,
        film_id=film["id"],
        clip_id=clip.json()["id"],
    )


def run_render(app: FastAPI, settings: Settings, share_id: str) -> None:
    """Run the queued work of one share (its render), nothing else."""
    worker = Worker(settings=settings, sessions=app.state.session_factory, only_subject=share_id)
    while worker.run_once():
        pass


def visitor(app: FastAPI) -> TestClient:
    """A browser without an Attunely account: the recipient."""
    return TestClient(app, base_url="https://testserver")

"""Helpers for film tests: a guider with a case, and running the job queue to completion."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from attunely.config import Settings
from attunely.jobs.runner import Worker
from attunely.policy import Role
from tests.support.factories import World


@dataclass
class Filming:
    client: TestClient
    case_id: str
    session_id: str
    guider_id: str


@pytest.fixture
def filming(world: World) -> Filming:
    team = world.team()
    guider = world.user(Role.GUIDER, team=team)
    case = world.case(team, guider=guider)
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
    return Filming(client, case.id, session.json()["id"], guider.id)


def run_jobs(app: FastAPI, settings: Settings, limit: int = 20) -> int:
    """Run queued jobs in this process until none is left; return how many ran."""
    worker = Worker(settings=settings, sessions=app.state.session_factory)
    ran = 0
    while ran < limit and worker.run_once():
        ran += 1
    return ran


def upload(filming: Filming, data: bytes, *, part: int = 64 * 1024, label: str = "Play") -> dict:
    """Upload `data` in parts and complete it; return the film as the API describes it."""
    client = filming.client
    started = client.post(
        f"/api/filming-sessions/{filming.session_id}/uploads",
        json={"label": label, "size": len(data)},
    )
    assert started.status_code == 201, started.text
    upload_id = started.json()["id"]
    for offset in range(0, len(data), part):
        piece = data[offset : offset + part]
        sent = client.put(
            f"/api/uploads/{upload_id}/parts/{offset}",
            content=piece,
            headers={"content-type": "application/octet-stream"},
        )
        assert sent.status_code == 200, sent.text
    done = client.post(
        f"/api/uploads/{upload_id}/complete", json={"sha256": hashlib.sha256(data).hexdigest()}
    )
    assert done.status_code == 202, done.text
    return dict(done.json())

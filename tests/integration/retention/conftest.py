"""A family with one processed film, a DPO and an administrator, for retention tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from attunely.accounts.models import User
from attunely.cases.models import Case
from attunely.config import Settings
from attunely.policy import Role
from tests.integration.films.conftest import Filming, run_jobs, upload
from tests.support import media_files
from tests.support.factories import World

#: A grace period with a fraction, to show it is honoured exactly.
GRACE_DAYS = 2.5


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"shred_grace_days": GRACE_DAYS})


@dataclass
class Family:
    case: Case
    mum: str
    baby: str
    film_id: str
    guider: User
    supervisor: User
    guiding: TestClient

    def withdraw(self, *purposes: str) -> None:
        gone = self.guiding.post(
            f"/api/cases/{self.case.id}/consents/withdraw",
            json={"person_id": self.mum, "purposes": list(purposes)},
        )
        assert gone.status_code == 200, gone.text


@pytest.fixture
def family(app: FastAPI, settings: Settings, world: World) -> Family:
    team = world.team()
    guider = world.user(Role.GUIDER, team=team)
    supervisor = world.user(Role.SUPERVISOR, team=team)
    case = world.case(team, guider=guider, supervisor=supervisor)
    mum = world.person(case, kind="caregiver", display_name="Mum R", parental_responsibility=True)
    baby = world.person(
        case, kind="child", display_name="Baby R", born=date.today() - timedelta(days=300)
    )
    world.consent(case, mum, ("filming_feedback", "supervision"))
    guiding = world.client_for(guider)
    made = guiding.post(
        f"/api/cases/{case.id}/filming-sessions",
        json={"filmed_on": "2026-11-02", "setting": "home", "filmed_people": [mum, baby]},
    )
    assert made.status_code == 201, made.text
    film = upload(
        Filming(guiding, case.id, made.json()["id"], guider.id),
        media_files.normal_film(width=320, height=180, seconds=1),
    )
    run_jobs(app, settings)
    assert guiding.get(f"/api/films/{film['id']}/proxy").status_code == 200
    return Family(case, mum, baby, film["id"], guider, supervisor, guiding)

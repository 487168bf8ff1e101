"""A family with data about two caregivers planted in every holding, through the real API.

Marigold (the requester) and Zephyrina (the other caregiver) share a case. Marigold alone is
filmed in film A, Zephyrina alone in film B, both in film C. Each has consents, coded notes,
clips, stills, a subject access request and reads in the audit trail; every text about
Zephyrina carries a marker that must never reach Marigold's package.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert

from attunely.accounts.models import User
from attunely.config import Settings
from attunely.db import Base, new_id, unit_of_work, utcnow
from attunely.models import load_all
from attunely.policy import Role
from tests.integration.films.conftest import Filming, run_jobs, upload
from tests.support import media_files
from tests.support.factories import World

REQUESTER = "Marigold Fairweather"
OTHER = "Zephyrina Quillfeather"
#: Words that may only ever appear in packages about Zephyrina.
OTHER_MARKERS = ("Zephyrina", "Quillfeather", "ZEPHMARK")


@dataclass
class Family:
    world: World
    case_id: str
    reference: str
    guider: TestClient
    supervisor: TestClient
    dpo: User
    dpo_client: TestClient
    marigold: str
    zephyrina: str
    films: dict[str, str] = field(default_factory=dict)
    originals: dict[str, bytes] = field(default_factory=dict)
    markers: dict[str, list[str]] = field(default_factory=dict)
    other_ids: list[str] = field(default_factory=list)


def _film(
    app: FastAPI,
    settings: Settings,
    client: TestClient,
    case_id: str,
    *,
    people: list[str],
    activity: str,
    label: str,
    seconds: float,
) -> tuple[str, bytes]:
    session = client.post(
        f"/api/cases/{case_id}/filming-sessions",
        json={
            "filmed_on": "2026-11-01",
            "setting": "home",
            "activity": activity,
            "filmed_people": people,
        },
    )
    assert session.status_code == 201, session.text
    data = media_files.normal_film(width=320, height=180, seconds=seconds)
    film = upload(
        Filming(client, case_id, session.json()["id"], ""), data, part=1024 * 1024, label=label
    )
    return str(film["id"]), data


@pytest.fixture
def family(app: FastAPI, settings: Settings, world: World) -> Family:
    team = world.team()
    guider = world.user(Role.GUIDER, team=team)
    supervisor = world.user(Role.SUPERVISOR, team=team)
    dpo = world.user(Role.DPO)
    case = world.case(team, guider=guider, supervisor=supervisor)
    marigold = world.person(
        case, kind="caregiver", display_name=REQUESTER, parental_responsibility=True
    )
    zephyrina = world.person(
        case, kind="caregiver", display_name=OTHER, parental_responsibility=True
    )
    world.consent(case, marigold, given_by=REQUESTER)
    world.consent(case, zephyrina, given_by=OTHER)
    client = world.client_for(guider)
    fam = Family(
        world,
        case.id,
        case.reference,
        client,
        world.client_for(supervisor),
        dpo,
        world.client_for(dpo),
        marigold,
        zephyrina,
    )
    changed = client.patch(
        f"/api/cases/{case.id}",
        json={"suitability": f"{REQUESTER} and {OTHER} want help with bedtimes"},
    )
    assert changed.status_code == 200, changed.text
    plan = {
        "A": ([marigold], "MARIMARK-activity", "MARIMARK-label", 2.0),
        "B": ([zephyrina], "ZEPHMARK-activity", "ZEPHMARK-label", 2.5),
        "C": ([marigold, zephyrina], "both at play", "Joint play", 3.0),
    }
    for name, (people, activity, label, seconds) in plan.items():
        fam.films[name], fam.originals[name] = _film(
            app,
            settings,
            client,
            case.id,
            people=people,
            activity=activity,
            label=label,
            seconds=seconds,
        )
    run_jobs(app, settings, limit=30)
    # An upload still arriving (its first part is already sealed in the vault) in each
    # person's own visit.
    for name in ("A", "B"):
        visit = client.get(f"/api/films/{fam.films[name]}").json()["session_id"]
        started = client.post(
            f"/api/filming-sessions/{visit}/uploads", json={"label": f"{name} more", "size": 4096}
        )
        assert started.status_code == 201, started.text
        sent = client.put(
            f"/api/uploads/{started.json()['id']}/parts/0",
            content=b"\0" * 1024,
            headers={"content-type": "application/octet-stream"},
        )
        assert sent.status_code == 200, sent.text
    scheme = client.get(f"/api/films/{fam.films['A']}/workspace").json()["schemes"][0]["id"]
    for name, film_id in fam.films.items():
        mark = "ZEPHMARK" if name == "B" else "MARIMARK"
        note = f"{mark}-note-{name}" if name != "C" else f"MARIMARK-note-C with {OTHER}"
        made = client.post(
            f"/api/films/{film_id}/annotations",
            json={
                "scheme_version_id": scheme,
                "code": "receiving",
                "subject": "adult",
                "start_frame": 3,
                "note": note,
            },
        )
        assert made.status_code == 201, made.text
        caption = (
            f"{mark}-clip-{name}"
            if name != "C"
            else f"MARIMARK-clip-C: {REQUESTER} smiles at {OTHER}"
        )
        made = client.post(
            f"/api/films/{film_id}/clips",
            json={
                "in_frame": 35,
                "out_frame": 50,
                "title": f"{mark}-title-{name}",
                "caption": caption,
            },
        )
        assert made.status_code == 201, made.text
        made = client.post(
            f"/api/films/{film_id}/stills", json={"frame": 12, "caption": f"{mark}-still-{name}"}
        )
        assert made.status_code == 201, made.text
        # Someone watched each film: the audit trail records who.
        played = fam.supervisor.get(f"/api/films/{film_id}/proxy")
        assert played.status_code in (200, 206), played.text
    for person, note in ((marigold, "MARIMARK-request"), (zephyrina, "ZEPHMARK-request")):
        opened = fam.dpo_client.post(
            "/rights/requests",
            data={"person_id": person, "received_on": "2026-11-02", "note": note},
            follow_redirects=False,
        )
        assert opened.status_code == 303, opened.text
    _plant_elsewhere(app, fam)
    fam.markers = {
        "marigold": [
            "MARIMARK-activity",
            "MARIMARK-label",
            "MARIMARK-note-A",
            "MARIMARK-note-C",
            "MARIMARK-clip-A",
            "MARIMARK-clip-C",
            "MARIMARK-title-C",
            "MARIMARK-still-A",
            "MARIMARK-still-C",
            "MARIMARK-request",
            "want help with bedtimes",
        ],
    }
    fam.other_ids = [zephyrina, fam.films["B"]]
    return fam


def _plant_elsewhere(app: FastAPI, fam: Family) -> None:
    """Rows in the tables other features fill (holds, shares, reviews, regions …), written
    straight into the database: each feature's own tests cover how they get there."""
    load_all()
    tables = Base.metadata.tables
    now = utcnow()
    by = "test"
    with unit_of_work(app.state.session_factory) as db:
        for name, film_id in fam.films.items():
            mark = "ZEPHMARK" if name == "B" else "MARIMARK"
            db.execute(
                insert(tables["film_regions"]).values(
                    film_id=film_id, adult_box="[0,0,0.5,1]", updated_by=by
                )
            )
            db.execute(
                insert(tables["proposal_reviews"]).values(
                    id=new_id(),
                    film_id=film_id,
                    proposal_id="m01",
                    decision="rejected",
                    reason=f"{mark}-review-{name}",
                    created_by=by,
                    updated_by=by,
                )
            )
            db.execute(
                insert(tables["speaker_corrections"]).values(
                    id=new_id(),
                    film_id=film_id,
                    segment_index=0,
                    start_s=0.0,
                    end_s=1.0,
                    original_speaker="ADULT",
                    speaker="CHILD",
                    created_by=by,
                    updated_by=by,
                )
            )
            db.execute(
                insert(tables["clip_shares"]).values(
                    id=new_id(),
                    case_id=fam.case_id,
                    film_id=film_id,
                    clip_title=f"{mark}-shared-{name}",
                    in_frame=0,
                    out_frame=10,
                    recipient_name="Health Visitor",
                    recipient_organisation="Clinic",
                    purpose="professional_network",
                    agreement_reference="DSA-1",
                    expires_at=now,
                    token_hash=new_id().replace("-", "") * 2,
                    created_by=by,
                )
            )
            db.execute(
                insert(tables["retention_holds"]).values(
                    id=new_id(),
                    case_id=fam.case_id,
                    film_id=film_id,
                    reason=f"{mark}-hold-{name}",
                    set_by=by,
                    # Lifted: an active hold refuses erasure (test_erasure covers that).
                    lifted_at=now,
                    lifted_by=by,
                )
            )
            db.execute(
                insert(tables["retention_shred_schedules"]).values(
                    id=new_id(),
                    film_id=film_id,
                    case_id=fam.case_id,
                    trigger="consent_withdrawn",
                    rule="test",
                    due_at=now,
                    scheduled_by=by,
                    note=f"{mark}-shred-{name}",
                )
            )
        db.execute(
            insert(tables["helping_questions"]).values(
                id=new_id(),
                case_id=fam.case_id,
                text=f"How can {REQUESTER} settle him?",
                set_on=now.date(),
                created_by=by,
            )
        )


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

"""Consent records are the access rule: filming, upload, playback and analysis ask them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from attunely.audit.models import AuditEntry
from attunely.config import Settings
from attunely.consent.models import ConsentRecord
from attunely.policy import Role
from tests.integration.films.conftest import Filming, run_jobs, upload
from tests.support import media_files
from tests.support.factories import World

BORN = date.today() - timedelta(days=200)
VISIT = {"filmed_on": "2026-11-01", "setting": "home", "activity": "bath time"}


def _consent_body(person_id: str, *purposes: str, **fields: Any) -> dict[str, Any]:
    return {
        "person_id": person_id,
        "purposes": list(purposes),
        "basis": "consent",
        "text_version": "2026-11",
        "retention_months": 12,
        "access": "guider and supervisor",
        "method": "witnessed_typed_name",
        "given_by": "Parent Name",
        "witness": "Guider Name",
        "given_on": date.today().isoformat(),
        **fields,
    }


def _denials(db: Session) -> list[tuple[str, str, str]]:
    """(actor, purpose, object) of each refusal the gate audited."""
    found = [
        (e.actor_id, e.purpose, e.object_id)
        for e in db.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "consent.check", AuditEntry.outcome == "denied"
            )
        )
    ]
    db.rollback()  # on SQLite an open transaction holds the write lock
    return found


def test_filming_is_refused_until_every_parent_has_consented(world: World, db: Session) -> None:
    team = world.team()
    guider = world.user(Role.GUIDER, team=team)
    case = world.case(team, guider=guider)
    mum = world.person(case, kind="caregiver", display_name="Mum Q", parental_responsibility=True)
    dad = world.person(case, kind="caregiver", display_name="Dad Q", parental_responsibility=True)
    baby = world.person(case, kind="child", display_name="Baby Q", born=BORN)
    client = world.client_for(guider)
    visit = {**VISIT, "filmed_people": [mum, baby]}

    refused = client.post(f"/api/cases/{case.id}/filming-sessions", json=visit)
    assert refused.status_code == 403, refused.text
    error = refused.json()["error"]
    assert error["code"] == "consent_missing" and error["purpose"] == "filming_feedback"
    assert "filming_feedback" in error["message"]
    assert "Mum Q" not in refused.text and "Dad Q" not in refused.text
    assert len(_denials(db)) == 1

    # Supervision consent alone does not open filming; one parent of two is not enough.
    recorded = client.post(
        f"/api/cases/{case.id}/consents",
        json=_consent_body(mum, "filming_feedback", "supervision"),
    )
    assert recorded.status_code == 201, recorded.text
    assert [r["purpose"] for r in recorded.json()] == ["filming_feedback", "supervision"]
    assert all(r["current"] for r in recorded.json())
    client.post(f"/api/cases/{case.id}/consents", json=_consent_body(dad, "supervision"))
    again = client.post(f"/api/cases/{case.id}/filming-sessions", json=visit)
    assert again.status_code == 403 and again.json()["error"]["purpose"] == "filming_feedback"

    client.post(f"/api/cases/{case.id}/consents", json=_consent_body(dad, "filming_feedback"))
    made = client.post(f"/api/cases/{case.id}/filming-sessions", json=visit)
    assert made.status_code == 201, made.text

    # Withdrawal takes effect at once: no new upload into the session already made.
    gone = client.post(
        f"/api/cases/{case.id}/consents/withdraw",
        json={"person_id": dad, "purposes": ["filming_feedback"]},
    )
    assert gone.status_code == 200, gone.text
    assert gone.json()[0]["withdrawn_at"] and not gone.json()[0]["current"]
    blocked = client.post(
        f"/api/filming-sessions/{made.json()['id']}/uploads", json={"label": "x", "size": 10}
    )
    assert blocked.status_code == 403 and blocked.json()["error"]["purpose"] == "filming_feedback"
    # Records are never deleted: the withdrawn one is still listed.
    listed = client.get(f"/api/cases/{case.id}/consents").json()
    assert len(listed) == 4 and sum(1 for r in listed if r["withdrawn_at"]) == 1
    assert db.scalar(select(ConsentRecord).where(ConsentRecord.person_id == dad)) is not None


def test_expired_consent_does_not_count(world: World) -> None:
    team = world.team()
    guider = world.user(Role.GUIDER, team=team)
    case = world.case(team, guider=guider)
    mum = world.person(case, kind="caregiver", display_name="Mum", parental_responsibility=True)
    today = date.today()
    world.consent(
        case,
        mum,
        ("filming_feedback",),
        given_on=(today - timedelta(days=400)).isoformat(),
        expires_on=today.isoformat(),
    )
    client = world.client_for(guider)
    refused = client.post(f"/api/cases/{case.id}/filming-sessions", json=VISIT)
    assert refused.status_code == 403 and refused.json()["error"]["purpose"] == "filming_feedback"
    world.consent(case, mum, ("filming_feedback",), expires_on=(today + timedelta(1)).isoformat())
    assert client.post(f"/api/cases/{case.id}/filming-sessions", json=VISIT).status_code == 201


def test_withdrawing_supervision_stops_the_supervisor_at_once(
    app: FastAPI, settings: Settings, world: World, db: Session
) -> None:
    team = world.team()
    guider = world.user(Role.GUIDER, team=team)
    supervisor = world.user(Role.SUPERVISOR, team=team)
    case = world.case(team, guider=guider, supervisor=supervisor)
    mum = world.person(case, kind="caregiver", display_name="Mum", parental_responsibility=True)
    baby = world.person(case, kind="child", display_name="Baby", born=BORN)
    world.consent(case, mum, ("filming_feedback", "supervision"))
    guiding = world.client_for(guider)
    session = guiding.post(
        f"/api/cases/{case.id}/filming-sessions", json={**VISIT, "filmed_people": [baby]}
    )
    assert session.status_code == 201, session.text
    filming = Filming(guiding, case.id, session.json()["id"], guider.id)
    film = upload(filming, media_files.normal_film(width=320, height=180, seconds=1))
    run_jobs(app, settings)
    supervising = world.client_for(supervisor)
    assert supervising.get(f"/api/films/{film['id']}/proxy").status_code == 200
    assert supervising.get(f"/api/films/{film['id']}/analysis").status_code == 200

    withdrawn = guiding.post(
        f"/api/cases/{case.id}/consents/withdraw",
        json={"person_id": mum, "purposes": ["supervision"]},
    )
    assert withdrawn.status_code == 200, withdrawn.text

    for part in ("proxy", "thumbs", "waveform", "analysis"):
        refused = supervising.get(f"/api/films/{film['id']}/{part}")
        assert refused.status_code == 403, (part, refused.text)
        assert refused.json()["error"]["purpose"] == "supervision"
        assert "Mum" not in refused.text and "Baby" not in refused.text
    # The guider's purpose is feedback, which still stands.
    assert guiding.get(f"/api/films/{film['id']}/proxy").status_code == 200
    assert guiding.get(f"/api/films/{film['id']}/analysis").status_code == 200
    denied = _denials(db)
    assert set(denied) == {(supervisor.id, "supervision", film["id"])}

    # The other way round: feedback withdrawn, supervision given again.
    world.consent(case, mum, ("supervision",))
    guiding.post(
        f"/api/cases/{case.id}/consents/withdraw",
        json={"person_id": mum, "purposes": ["filming_feedback"]},
    )
    refused = guiding.get(f"/api/films/{film['id']}/proxy")
    assert refused.status_code == 403 and refused.json()["error"]["purpose"] == "filming_feedback"
    assert supervising.get(f"/api/films/{film['id']}/proxy").status_code == 200

    # A second holder of parental responsibility joins: the filmed child is covered only
    # once they agree too.
    dad = world.person(case, kind="caregiver", display_name="Dad", parental_responsibility=True)
    assert supervising.get(f"/api/films/{film['id']}/proxy").status_code == 403
    world.consent(case, dad, ("supervision",))
    assert supervising.get(f"/api/films/{film['id']}/proxy").status_code == 200


def test_who_may_record_and_what_is_refused(world: World) -> None:
    north, south = world.team(), world.team()
    guider = world.user(Role.GUIDER, team=north)
    supervisor = world.user(Role.SUPERVISOR, team=north)
    case = world.case(north, guider=guider, supervisor=supervisor)
    mum = world.person(case, kind="caregiver", display_name="Mum", parental_responsibility=True)
    baby = world.person(case, kind="child", display_name="Baby", born=BORN)
    body = _consent_body(mum, "training")

    sup = world.client_for(supervisor)
    assert sup.post(f"/api/cases/{case.id}/consents", json=body).status_code == 403
    assert sup.get(f"/api/cases/{case.id}/consents").status_code == 200
    outsider = world.client_for(world.user(Role.GUIDER, team=south))
    assert outsider.post(f"/api/cases/{case.id}/consents", json=body).status_code == 404
    assert outsider.get(f"/api/cases/{case.id}/consents").status_code == 404

    client = world.client_for(guider)
    child = client.post(f"/api/cases/{case.id}/consents", json=_consent_body(baby, "training"))
    assert child.status_code == 422 and "parental responsibility" in child.text
    unsigned = client.post(
        f"/api/cases/{case.id}/consents", json=_consent_body(mum, "training", method="signature")
    )
    assert unsigned.status_code == 422 and "signature is empty" in unsigned.text
    future = (date.today() + timedelta(days=3)).isoformat()
    later = client.post(
        f"/api/cases/{case.id}/consents", json=_consent_body(mum, "training", given_on=future)
    )
    assert later.status_code == 422
    unknown = client.post(f"/api/cases/{case.id}/consents", json=_consent_body(mum, "gossip"))
    assert unknown.status_code == 422
    nothing = client.post(
        f"/api/cases/{case.id}/consents/withdraw",
        json={"person_id": mum, "purposes": ["research"]},
    )
    assert nothing.status_code == 422 and "research" in nothing.text
    assert client.get(f"/api/cases/{case.id}/consents").json() == []


def test_withdrawal_stops_an_upload_already_under_way(world: World) -> None:
    team = world.team()
    guider = world.user(Role.GUIDER, team=team)
    case = world.case(team, guider=guider)
    mum = world.person(case, kind="caregiver", display_name="Mum", parental_responsibility=True)
    world.consent(case, mum, ("filming_feedback",))
    client = world.client_for(guider)
    session = client.post(f"/api/cases/{case.id}/filming-sessions", json=VISIT).json()
    started = client.post(
        f"/api/filming-sessions/{session['id']}/uploads", json={"label": "x", "size": 20}
    ).json()
    assert client.put(f"/api/uploads/{started['id']}/parts/0", content=b"a" * 10).status_code == 200
    client.post(
        f"/api/cases/{case.id}/consents/withdraw",
        json={"person_id": mum, "purposes": ["filming_feedback"]},
    )
    refused = client.put(f"/api/uploads/{started['id']}/parts/10", content=b"b" * 10)
    assert refused.status_code == 403 and refused.json()["error"]["purpose"] == "filming_feedback"
    assert client.get(f"/api/uploads/{started['id']}").json()["offset"] == 10
    finished = client.post(f"/api/uploads/{started['id']}/complete", json={"sha256": "a" * 64})
    assert finished.status_code == 403
    # Consent given again: the upload resumes where it stopped.
    world.consent(case, mum, ("filming_feedback",))
    assert (
        client.put(f"/api/uploads/{started['id']}/parts/10", content=b"b" * 10).status_code == 200
    )

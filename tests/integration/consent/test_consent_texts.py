"""The consent form on the tablet: the words shown are filled from the live settings, kept
with each record by hash, and a drawn signature is kept beside them; an empty one is refused."""

from __future__ import annotations

import json
import re
from datetime import date
from types import SimpleNamespace
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from attunely.audit.models import AuditEntry
from attunely.consent.models import ConsentRecord, ConsentText
from attunely.policy import Role
from tests.support.factories import World

SIGNED = json.dumps(
    {"v": 1, "w": 700, "h": 220, "strokes": [[40, 150, 90, 60, 160, 170, 240, 80], [300, 120]]}
)


def _family(world: World) -> tuple[Any, Any, Any, str]:
    team = world.team()
    guider = world.user(Role.GUIDER, team=team)
    supervisor = world.user(Role.SUPERVISOR, team=team)
    case = world.case(team, guider=guider, supervisor=supervisor)
    mum = world.person(case, kind="caregiver", display_name="Mum T", parental_responsibility=True)
    return guider, supervisor, case, mum


def _form(client: TestClient, person: str, **fields: Any) -> dict[str, Any]:
    shown = client.get("/api/consent-text")
    assert shown.status_code == 200, shown.text
    return {
        "person_id": person,
        "purposes": ["filming_feedback", "supervision"],
        "basis": "consent",
        "text_sha256": shown.json()["sha256"],
        "method": "signature",
        "given_by": "Mum T",
        "signature": SIGNED,
        "given_on": date.today().isoformat(),
        **fields,
    }


def _records(db: Session) -> list[SimpleNamespace]:
    """Snapshot the consent records (reading an expired row later would lock SQLite)."""
    columns = [c.name for c in ConsentRecord.__table__.columns]
    found = [
        SimpleNamespace(**{name: getattr(r, name) for name in columns})
        for r in db.scalars(select(ConsentRecord).order_by(ConsentRecord.purpose))
    ]
    db.rollback()
    return found


def test_a_drawn_signature_is_recorded_with_the_form_shown(
    world: World, db: Session, app: FastAPI
) -> None:
    guider, supervisor, case, mum = _family(world)
    client = world.client_for(guider)
    page = client.get(f"/cases/{case.id}/consent")
    assert page.status_code == 200
    shown = client.get("/api/consent-text").json()
    # The plain version is what the tablet shows first; the full one is one tap away.
    assert "You can change your mind" in page.text and 'id="consent-full"' in page.text
    assert f'name="text_sha256" value="{shown["sha256"]}"' in page.text
    assert 'id="signature-canvas"' in page.text and "/static/signature.js" in page.text
    assert app.state.settings.organisation_name in shown["plain"]

    # The form claims a witness; the witness is whoever is signed in, not what is typed.
    done = client.post(
        f"/cases/{case.id}/consent",
        data=_form(client, mum, witness="Someone Else"),
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    records = _records(db)
    assert [r.purpose for r in records] == ["filming_feedback", "supervision"]
    for record in records:
        assert record.method == "signature" and record.witness == guider.display_name
        assert record.text_sha256 == shown["sha256"] and record.text_version == shown["version"]
        assert json.loads(record.signature or "")["strokes"][0][:2] == [40, 150]
        assert record.retention_months == app.state.settings.retention_films_months
    assert records[1].access == "the supervisor assigned to the case"
    assert "the guider assigned to the family" in records[0].access
    stored = db.get(ConsentText, shown["sha256"])
    assert stored is not None and stored.plain_text == shown["plain"]
    db.rollback()

    listed = client.get(f"/api/cases/{case.id}/consents").json()
    assert all(r["signed"] and r["text_sha256"] == shown["sha256"] for r in listed)
    assert "strokes" not in json.dumps(listed)
    table = client.get(f"/cases/{case.id}/consent").text
    assert table.count(f"drawn signature, witnessed by {guider.display_name}") == 2

    # The record's page shows the exact words and redraws the signature.
    record_id = records[1].id
    detail = client.get(f"/cases/{case.id}/consent/{record_id}")
    assert detail.status_code == 200
    assert "Your guider has a supervisor." in detail.text
    assert 'd="M40 150 L90 60 L160 170 L240 80"' in detail.text
    given = client.get(f"/api/cases/{case.id}/consents/{record_id}/text").json()
    assert given == shown

    # The supervisor may read the record and the words, not see the signature itself.
    watching = world.client_for(supervisor)
    seen = watching.get(f"/cases/{case.id}/consent/{record_id}")
    assert seen.status_code == 200 and "Your guider has a supervisor." in seen.text
    assert "M40 150" not in seen.text and "drawn signature is kept" in seen.text


def test_an_empty_signature_is_refused_and_nothing_is_stored(world: World, db: Session) -> None:
    guider, _supervisor, case, mum = _family(world)
    client = world.client_for(guider)
    for empty in ("", json.dumps({"v": 1, "w": 700, "h": 220, "strokes": [[50, 50]]})):
        refused = client.post(f"/cases/{case.id}/consent", data=_form(client, mum, signature=empty))
        assert refused.status_code == 422, refused.text
        assert "the signature is empty: ask the caregiver to sign in the box" in refused.text
        # The caregiver's name and the purposes chosen are still there to try again.
        assert 'value="Mum T"' in refused.text and 'value="supervision" checked' in refused.text
    api = client.post(
        f"/api/cases/{case.id}/consents", json={**_form(client, mum), "signature": None}
    )
    assert api.status_code == 422 and api.json()["error"]["field"] == "signature"
    assert _records(db) == []
    assert db.scalar(select(func.count()).select_from(ConsentText)) == 0
    db.rollback()


def test_a_typed_name_is_witnessed_by_the_practitioner(world: World, db: Session) -> None:
    guider, _supervisor, case, mum = _family(world)
    client = world.client_for(guider)
    typed = _form(client, mum, method="witnessed_typed_name", signature=SIGNED)
    done = client.post(f"/cases/{case.id}/consent", data=typed, follow_redirects=False)
    assert done.status_code == 303, done.text
    records = _records(db)
    assert {r.method for r in records} == {"witnessed_typed_name"}
    # A signature sent along with another method is not kept.
    assert all(r.witness == guider.display_name and r.signature is None for r in records)


def test_a_changed_setting_changes_the_form_and_old_records_keep_theirs(
    world: World, db: Session, app: FastAPI
) -> None:
    guider, _supervisor, case, mum = _family(world)
    client = world.client_for(guider)
    first = _form(client, mum, purposes=["filming_feedback"])
    assert client.post(f"/api/cases/{case.id}/consents", json=first).status_code == 201
    old = app.state.settings
    app.state.settings = old.model_copy(
        update={"organisation_name": "Riverside Family Centre", "retention_films_months": 18}
    )
    try:
        now = client.get("/api/consent-text").json()
        assert now["sha256"] != first["text_sha256"]
        assert "Riverside Family Centre" in now["plain"] and "18 months" in now["plain"]
        # Words shown before the change are no longer true: that consent is asked again.
        stale = {**first, "purposes": ["supervision"]}
        refused = client.post(f"/api/cases/{case.id}/consents", json=stale)
        assert refused.status_code == 409 and "has changed since it was shown" in refused.text
        fresh = {**stale, "text_sha256": now["sha256"]}
        assert client.post(f"/api/cases/{case.id}/consents", json=fresh).status_code == 201
        records = {r.purpose: r for r in _records(db)}
        assert records["supervision"].retention_months == 18
        assert records["filming_feedback"].retention_months == old.retention_films_months
        given = client.get(f"/api/cases/{case.id}/consents/{records['filming_feedback'].id}/text")
        assert given.json()["sha256"] == first["text_sha256"]
        assert old.organisation_name in given.json()["plain"]
        assert "Riverside" not in given.json()["full"]
    finally:
        app.state.settings = old


def test_a_paper_consent_entered_at_the_server_shows_who_entered_it(
    world: World, db: Session
) -> None:
    guider, _supervisor, case, mum = _family(world)
    [record_id, _] = world.consent(case, mum, given_by="M. Paper")
    client = world.client_for(guider)
    page = client.get(f"/cases/{case.id}/consent").text
    assert re.search(r"paper form, entered by [^<]+", page)
    detail = client.get(f"/cases/{case.id}/consent/{record_id}")
    assert detail.status_code == 200 and "whose words Attunely does not hold" in detail.text
    missing = client.get(f"/api/cases/{case.id}/consents/{record_id}/text")
    assert missing.status_code == 404 and "paper form" in missing.text
    other = client.get(f"/cases/{case.id}/consent/{'0' * 8}-0000-0000-0000-{'0' * 12}")
    assert other.status_code == 404
    views = db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "consent.view", AuditEntry.object_id == record_id)
    )
    db.rollback()
    assert views == 1  # the page; the refused API read is rolled back with its answer


def test_a_printed_copy_of_the_form_is_recorded_with_its_hash(world: World, db: Session) -> None:
    guider, supervisor, case, mum = _family(world)
    client = world.client_for(guider)
    shown = client.get("/api/consent-text").json()
    printable = client.get(f"/cases/{case.id}/consent/form")
    assert printable.status_code == 200
    assert shown["label"] in printable.text and "What I say yes to" in printable.text
    assert "Your guider has a supervisor." in printable.text and "AES-256-GCM" in printable.text
    assert world.client_for(supervisor).get(f"/cases/{case.id}/consent/form").status_code == 200

    paper = _form(client, mum, method="paper", signature="")
    done = client.post(f"/cases/{case.id}/consent", data=paper, follow_redirects=False)
    assert done.status_code == 303, done.text
    records = _records(db)
    assert {r.text_sha256 for r in records} == {shown["sha256"]}
    assert all(r.method == "paper" and r.signature is None for r in records)
    page = client.get(f"/cases/{case.id}/consent").text
    assert page.count(f"paper form, entered by {guider.display_name}") == 2

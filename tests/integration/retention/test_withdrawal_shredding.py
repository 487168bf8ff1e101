"""Withdrawal of the last covering purpose schedules crypto-shredding after the grace period;
consent given again cancels it; when due, a retention run destroys the film for everyone."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from attunely.audit import service as audit
from attunely.audit.models import AuditEntry
from attunely.backup import ledger
from attunely.config import Settings
from attunely.consent.models import ConsentRecord
from attunely.db import utcnow
from attunely.errors import Conflict, NotFound
from attunely.films import service as films
from attunely.films.models import Film
from attunely.policy import Role, local_operator
from attunely.retention import holds, service
from attunely.retention.models import ErasureReceipt, ShredSchedule
from attunely.retention.shredding import film_object_ids
from attunely.vault import service as vault_service
from attunely.vault.models import ObjectState, VaultObject
from tests.integration.retention.conftest import GRACE_DAYS, Family
from tests.support.factories import World

OPERATOR = local_operator("dpo-at-server")


def _schedules(db: Session, film_id: str) -> list[ShredSchedule]:
    rows = list(
        db.scalars(
            select(ShredSchedule)
            .where(ShredSchedule.film_id == film_id)
            .order_by(ShredSchedule.scheduled_at)
        )
    )
    db.expunge_all()  # keep the values readable without a new transaction
    db.rollback()
    return rows


def _actions(db: Session, action: str) -> int:
    found = db.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    )
    db.rollback()
    return int(found or 0)


def _make_due(db: Session, schedule_id: str) -> None:
    db.execute(
        update(ShredSchedule)
        .where(ShredSchedule.id == schedule_id)
        .values(due_at=utcnow() - timedelta(minutes=1))
    )
    db.commit()


def test_withdrawal_schedules_and_consent_again_cancels(
    family: Family, world: World, db: Session
) -> None:
    # Feedback withdrawn, supervision still stands: the film is covered, nothing scheduled.
    family.withdraw("filming_feedback")
    assert _schedules(db, family.film_id) == []

    before = utcnow()
    family.withdraw("supervision")
    after = utcnow()
    [row] = _schedules(db, family.film_id)
    assert row.state == "scheduled" and row.trigger == "consent_withdrawn"
    grace = timedelta(days=GRACE_DAYS)
    assert before + grace <= row.due_at <= after + grace
    assert "2.5 days" in row.rule
    # Access stops at once, for the supervisor as for the guider.
    supervising = world.client_for(family.supervisor)
    assert supervising.get(f"/api/films/{family.film_id}/proxy").status_code == 403
    assert family.guiding.get(f"/api/films/{family.film_id}/proxy").status_code == 403

    # Supervision given again before the due date: the shredding is cancelled, and says why.
    world.consent(family.case, family.mum, ("supervision",))
    [row] = _schedules(db, family.film_id)
    assert row.state == "cancelled" and "consent recorded again" in row.note
    assert _actions(db, "retention.shred.cancel") == 1
    assert supervising.get(f"/api/films/{family.film_id}/proxy").status_code == 200

    # A second withdrawal schedules it again, from its own date.
    family.withdraw("supervision")
    rows = _schedules(db, family.film_id)
    assert [r.state for r in rows] == ["cancelled", "scheduled"]


def test_after_the_grace_period_the_film_is_unreadable_even_to_an_admin(
    app: FastAPI, settings: Settings, family: Family, world: World, db: Session
) -> None:
    vault = app.state.vault
    film = db.get(Film, family.film_id)
    assert film is not None
    object_ids = film_object_ids(db, film)
    kinds = {o.kind for o in db.scalars(select(VaultObject).where(VaultObject.id.in_(object_ids)))}
    assert {"original", "proxy", "thumbs", "waveform", "analysis"} <= kinds
    proxy_id, original_id = film.proxy_object_id, film.original_object_id
    storage = {o.id: o.storage_key for o in db.scalars(select(VaultObject))}
    db.rollback()

    family.withdraw("filming_feedback", "supervision")
    [row] = _schedules(db, family.film_id)
    # Not yet due: a run now leaves it alone.
    assert service.shred_due(db, vault=vault, actor=OPERATOR, settings=settings) == []
    _make_due(db, row.id)
    receipts = service.shred_due(db, vault=vault, actor=OPERATOR, settings=settings)

    [receipt] = receipts
    listed = json.loads(receipt.objects)
    assert sorted(o["id"] for o in listed) == sorted(object_ids)
    assert {o["kind"] for o in listed} == kinds
    assert receipt.record_class == "films" and receipt.trigger == "consent_withdrawn"
    assert receipt.film_id == family.film_id and receipt.case_reference == family.case.reference
    [row] = _schedules(db, family.film_id)
    assert row.state == "done" and row.receipt_id == receipt.id

    # Every key destroyed, every blob gone.
    for obj in db.scalars(select(VaultObject).where(VaultObject.id.in_(object_ids))):
        assert obj.state == ObjectState.SHREDDED and obj.wrapped_data_key is None
        assert not vault.store.exists(storage[obj.id])
    db.rollback()
    # The local administrator at the server cannot open it either, with or without consent.
    with pytest.raises(NotFound):
        vault_service.open_reader(
            db, vault=vault, actor=OPERATOR, object_id=str(proxy_id), purpose="administration"
        )
    with pytest.raises(NotFound):
        vault_service.open_reader(
            db, vault=vault, actor=OPERATOR, object_id=str(original_id), purpose="export"
        )
    with pytest.raises(NotFound):
        films.open_original(db, vault=vault, actor=OPERATOR, film_id=family.film_id)
    db.rollback()
    admin = world.client_for(world.user(Role.ADMIN))
    assert admin.get(f"/api/films/{family.film_id}/proxy").status_code in (403, 404)
    # Consent given again after the shredding brings nothing back.
    world.consent(family.case, family.mum, ("filming_feedback", "supervision"))
    again = family.guiding.get(f"/api/films/{family.film_id}/proxy")
    assert again.status_code == 409 and "destroyed" in again.text
    with pytest.raises(Conflict):
        films.open_film_object(
            db, vault=vault, actor=OPERATOR, film_id=family.film_id, which="proxy"
        )
    db.rollback()

    # The erasure ledger names the film and its objects; the audit chain still verifies.
    [entry] = [e for e in ledger.entries(settings) if e.op == "shred_film"]
    assert entry.target["film_id"] == family.film_id
    assert sorted(entry.target["object_ids"]) == sorted(object_ids)
    assert entry.target["receipt"]["id"] == receipt.id
    assert audit.verify(db).ok
    # A second run finds nothing more to do.
    assert service.shred_due(db, vault=vault, actor=OPERATOR, settings=settings) == []


def test_legal_hold_blocks_shredding_and_a_dry_run_changes_nothing(
    app: FastAPI, settings: Settings, family: Family, world: World, db: Session
) -> None:
    vault = app.state.vault
    family.withdraw("filming_feedback", "supervision")
    [row] = _schedules(db, family.film_id)
    _make_due(db, row.id)

    hold = holds.set_hold(db, actor=OPERATOR, case_id=family.case.id, reason="court order 2026/118")
    db.commit()
    held = service.run(db, vault=vault, actor=OPERATOR, settings=settings)
    assert held.done == 0 and held.held == 1 and held.receipts == []
    assert "court order 2026/118" in held.lines[0]
    [row] = _schedules(db, family.film_id)
    assert row.state == "scheduled"

    lifted = holds.lift_hold(db, actor=OPERATOR, hold_id=hold.id, reason="order discharged")
    assert lifted.lifted_at is not None
    db.commit()

    entries = audit.count(db)
    db.rollback()
    dry = service.run(db, vault=vault, actor=OPERATOR, settings=settings, dry_run=True)
    assert dry.done == 1 and dry.lines[0].startswith("would") and "shred film" in dry.lines[0]
    assert audit.count(db) == entries
    assert db.scalar(select(func.count()).select_from(ErasureReceipt)) == 0
    assert db.scalars(select(VaultObject.state).distinct()).all() == [ObjectState.COMPLETE]
    db.rollback()
    assert not [e for e in ledger.entries(settings) if e.op == "shred_film"]

    done = service.run(db, vault=vault, actor=OPERATOR, settings=settings)
    assert done.done == 1 and len(done.receipts) == 1
    assert audit.verify(db).ok


def test_expired_consent_is_scheduled_by_the_run_but_a_new_parent_is_not(
    app: FastAPI, settings: Settings, family: Family, world: World, db: Session
) -> None:
    vault = app.state.vault
    # A second parent joins and has not agreed yet: the film is refused, not shredded.
    dad = world.person(
        family.case, kind="caregiver", display_name="Dad R", parental_responsibility=True
    )
    report = service.run(db, vault=vault, actor=OPERATOR, settings=settings)
    assert report.lines == [] and _schedules(db, family.film_id) == []
    world.consent(family.case, dad, ("filming_feedback",))
    assert family.guiding.get(f"/api/films/{family.film_id}/proxy").status_code == 200

    # Every consent runs out today: the next run schedules the film, with the grace period.
    db.execute(update(ConsentRecord).values(expires_on=date.today()))
    db.commit()
    assert family.guiding.get(f"/api/films/{family.film_id}/proxy").status_code == 403
    dry = service.run(db, vault=vault, actor=OPERATOR, settings=settings, dry_run=True)
    assert dry.lines == [] and _schedules(db, family.film_id) == []
    before = utcnow()
    report = service.run(db, vault=vault, actor=OPERATOR, settings=settings)
    assert report.lines and "consent expired" in report.lines[0]
    [row] = _schedules(db, family.film_id)
    assert row.trigger == "consent_expired" and row.due_at >= before + timedelta(days=GRACE_DAYS)
    # Consent given again cancels it, as after a withdrawal.
    world.consent(family.case, family.mum, ("supervision",))
    world.consent(family.case, dad, ("supervision",))
    [row] = _schedules(db, family.film_id)
    assert row.state == "cancelled"


def test_withdrawal_on_the_consent_page_uses_the_configured_grace(
    family: Family, db: Session
) -> None:
    before = utcnow()
    for purpose in ("filming_feedback", "supervision"):
        gone = family.guiding.post(
            f"/cases/{family.case.id}/consent/withdraw",
            data={"person_id": family.mum, "purpose": purpose},
            follow_redirects=False,
        )
        assert gone.status_code == 303, gone.text
    [row] = _schedules(db, family.film_id)
    grace = timedelta(days=GRACE_DAYS)
    assert before + grace <= row.due_at <= utcnow() + grace

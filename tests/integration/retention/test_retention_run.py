"""Retention by record class: films, clips, stills and annotations expire after the case
closed, case records are anonymised later, audit details are blanked, and the chain verifies."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from attunely.audit import service as audit
from attunely.audit.models import AuditEntry
from attunely.backup import ledger
from attunely.cases.models import Case, CasePerson
from attunely.config import Settings
from attunely.consent.models import ConsentRecord
from attunely.db import utcnow
from attunely.films.models import Film
from attunely.policy import local_operator
from attunely.retention import service
from attunely.retention.models import ErasureReceipt
from attunely.vault.models import ObjectState, VaultObject
from attunely.workspace.models import Annotation, Clip, Still
from tests.integration.workspace.conftest import Desk, desk  # noqa: F401

OPERATOR = local_operator("records-officer")


def _close(db: Session, case_id: str, *, months_ago: int) -> None:
    db.execute(
        update(Case)
        .where(Case.id == case_id)
        .values(status="closed", updated_at=utcnow() - timedelta(days=31 * months_ago))
    )
    db.commit()


def _count(db: Session, table: type) -> int:
    found = db.scalar(select(func.count()).select_from(table))
    return int(found or 0)


def test_each_class_expires_by_its_rule_and_the_chain_still_verifies(
    app: FastAPI,
    settings: Settings,
    desk: Desk,  # noqa: F811
    db: Session,
) -> None:
    vault = app.state.vault
    assert desk.annotate(code="receiving", start_frame=8, note="lovely turn").status_code == 201
    assert desk.clip(in_frame=0, out_frame=10).status_code == 201
    still = desk.client.post(f"/api/films/{desk.film_id}/stills", json={"frame": 3})
    assert still.status_code == 201, still.text
    # An open case keeps its footage as long as the consent form said (24 months here).
    assert service.due(db, actor=OPERATOR, settings=settings, within_days=700) == []
    soon = service.due(db, actor=OPERATOR, settings=settings, within_days=800)
    assert sorted(i.subject_type for i in soon[:2]) == ["clip", "still"]
    assert soon[-1].subject_type == "film"
    assert "consent form: kept 24 months" in soon[-1].rule
    db.rollback()

    # Closed 14 months ago: films, clips and stills (12 months) are due; annotations (24) not.
    _close(db, desk.case_id, months_ago=14)
    items = service.due(db, actor=OPERATOR, settings=settings)
    assert sorted(i.record_class for i in items) == ["clips", "clips", "films"]
    assert all("after the case closed" in i.rule for i in items)
    report = service.run(db, vault=vault, actor=OPERATOR, settings=settings)
    assert report.done == 3 and report.failed == 0, report.lines
    assert sorted(r.record_class for r in report.receipts) == ["clips", "clips", "films"]
    assert _count(db, Clip) == 0 and _count(db, Still) == 0 and _count(db, Annotation) == 1
    film = db.get(Film, desk.film_id)
    assert film is not None and film.state == "rejected" and "destroyed" in film.problem
    states = set(db.scalars(select(VaultObject.state).where(VaultObject.case_id == desk.case_id)))
    assert states == {ObjectState.SHREDDED}
    db.rollback()

    # Annotations (24 months) fall due ten months later.
    later = utcnow() + timedelta(days=31 * 11)
    report = service.run(db, vault=vault, actor=OPERATOR, settings=settings, now=later)
    assert [r.record_class for r in report.receipts] == ["annotations"]
    assert json.loads(report.receipts[0].records) == {"annotations": 1}
    assert _count(db, Annotation) == 0
    db.rollback()

    # Seven years after closing the case records are erased and, years after each
    # entry, the audit details blanked; every entry stays, so the chain still verifies.
    entries = audit.count(db)
    far = utcnow() + timedelta(days=31 * 85)
    report = service.run(db, vault=vault, actor=OPERATOR, settings=settings, now=far)
    assert sorted(r.record_class for r in report.receipts) == ["audit", "case_records"]
    # The case went to the rights package's case erasure: every record of it is gone.
    assert db.get(Case, desk.case_id) is None
    assert _count(db, CasePerson) == 0 and _count(db, ConsentRecord) == 0
    [expired] = [r for r in report.receipts if r.record_class == "case_records"]
    assert expired.case_id == desk.case_id and expired.ledger_op == "erase_case"
    assert json.loads(expired.records)["films_deleted"] == 1
    assert audit.count(db) > entries
    blanked = db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.seq <= entries, AuditEntry.detail.is_not(None))
    )
    assert blanked == 0
    assert audit.verify(db).ok
    ops = [e.op for e in ledger.entries(settings)]
    assert ops.count("shred_film") == 1 and "erase_case" in ops and "audit_minimise" in ops
    assert ops.count("retention_delete") == 3
    assert _count(db, ErasureReceipt) == 6
    # Nothing is left to do (the audit entries just written are young).
    assert service.run(db, vault=vault, actor=OPERATOR, settings=settings, now=later).done == 0

"""Reading retention records: schedules, legal holds and erasure receipts."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from attunely.audit import service as audit
from attunely.cases.models import Case
from attunely.errors import NotFound
from attunely.guard import require
from attunely.inputs import is_id
from attunely.policy import Action, Actor
from attunely.retention.holds import active_holds, cases_of
from attunely.retention.models import ErasureReceipt, LegalHold, ShredSchedule


def schedules(db: Session, *, actor: Actor, state: str = "scheduled") -> list[ShredSchedule]:
    """List shredding schedules in a state, soonest due first."""
    require(db, actor=actor, action=Action.RETENTION_VIEW, object_type="retention")
    query = select(ShredSchedule).where(ShredSchedule.state == state)
    if not actor.local_operator:
        query = query.join(Case, Case.id == ShredSchedule.case_id).where(
            Case.organisation_id == actor.organisation_id
        )
    return list(db.scalars(query.order_by(ShredSchedule.due_at)))


def holds(db: Session, *, actor: Actor) -> list[LegalHold]:
    """List the legal holds in force."""
    require(db, actor=actor, action=Action.RETENTION_VIEW, object_type="retention")
    visible = {c.id for c in cases_of(db, actor=actor)}
    return [h for h in active_holds(db) if h.case_id in visible]


def receipts(db: Session, *, actor: Actor, limit: int = 100) -> list[ErasureReceipt]:
    """List the newest receipts (audited view)."""
    require(db, actor=actor, action=Action.RETENTION_VIEW, object_type="retention")
    rows = list(
        db.scalars(select(ErasureReceipt).order_by(ErasureReceipt.created_at.desc()).limit(limit))
    )
    if not actor.local_operator:
        visible = {c.id for c in cases_of(db, actor=actor)}
        rows = [r for r in rows if r.case_id is None or r.case_id in visible]
    return rows


def get_receipt(db: Session, *, actor: Actor, receipt_id: str) -> ErasureReceipt:
    """Return one receipt (audited)."""
    require(db, actor=actor, action=Action.RETENTION_VIEW, object_type="receipt")
    receipt = db.get(ErasureReceipt, receipt_id) if is_id(receipt_id) else None
    if receipt is None or (
        not actor.local_operator
        and receipt.case_id is not None
        and receipt.case_id not in {c.id for c in cases_of(db, actor=actor)}
    ):
        raise NotFound("no such receipt")
    audit.record(
        db,
        actor=actor,
        action="retention.receipt.view",
        object_type="receipt",
        object_id=receipt.id,
        purpose="governance",
    )
    return receipt


def receipt_lines(receipt: ErasureReceipt) -> list[str]:
    """Return a receipt as printable lines."""
    lines = [
        f"Erasure receipt {receipt.id}",
        f"When:    {receipt.created_at.isoformat(timespec='seconds')}",
        f"What:    {receipt.record_class}"
        + (f" of case {receipt.case_reference}" if receipt.case_reference else ""),
        f"Why:     {receipt.trigger.replace('_', ' ')}",
        f"Rule:    {receipt.rule}",
        f"By:      {receipt.actor}",
    ]
    if receipt.film_id:
        lines.append(f"Film:    {receipt.film_id}")
    for obj in json.loads(receipt.objects or "[]"):
        lines.append(f"Key destroyed: {obj['kind']:<9} {obj['id']} ({obj['length']} bytes)")
    for name, count in json.loads(receipt.records or "{}").items():
        lines.append(f"Records: {name.replace('_', ' ')}: {count}")
    if receipt.ledger_op:
        lines.append(f"Erasure ledger: {receipt.ledger_op} (re-applied by every restore)")
    return lines

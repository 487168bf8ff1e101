"""JSON routes of the retention package (the DPO page uses the same service)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Request

from attunely.policy import Action, Actor
from attunely.retention import holds, records, service
from attunely.retention.models import ErasureReceipt, LegalHold
from attunely.retention.schemas import (
    DueRead,
    HoldCreate,
    HoldLift,
    HoldRead,
    ReceiptRead,
    RunRead,
    RunRequest,
)
from attunely.web.deps import SessionDep, SettingsDep, allow

router = APIRouter(prefix="/retention", tags=["retention"])


def _hold(hold: LegalHold) -> HoldRead:
    return HoldRead.model_validate(hold, from_attributes=True)


def _receipt(receipt: ErasureReceipt) -> ReceiptRead:
    return ReceiptRead(
        id=receipt.id,
        created_at=receipt.created_at,
        record_class=receipt.record_class,
        trigger=receipt.trigger,
        rule=receipt.rule,
        case_id=receipt.case_id,
        case_reference=receipt.case_reference,
        film_id=receipt.film_id,
        objects=json.loads(receipt.objects or "[]"),
        records=json.loads(receipt.records or "{}"),
        actor=receipt.actor,
        ledger_op=receipt.ledger_op,
    )


@router.get("/due", response_model=list[DueRead])
def due(
    db: SessionDep,
    settings: SettingsDep,
    actor: Annotated[Actor, allow(Action.RETENTION_VIEW)],
    days: Annotated[float, Query(ge=0, le=3650)] = 0,
) -> list[DueRead]:
    """List what falls due now, or within `days`, with the rule and any legal hold."""
    items = service.due(db, actor=actor, settings=settings, within_days=days)
    return [DueRead(**asdict(i)) for i in items]


@router.post("/run", response_model=RunRead)
def run(
    body: RunRequest,
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    actor: Annotated[Actor, allow(Action.RETENTION_RUN)],
) -> RunRead:
    """Expire what is due now (or, with `dry_run`, say what would be expired)."""
    report = service.run(
        db, vault=request.app.state.vault, actor=actor, settings=settings, dry_run=body.dry_run
    )
    return RunRead(
        dry_run=report.dry_run,
        lines=report.lines,
        summary=report.summary(),
        receipts=[r.id for r in report.receipts],
    )


@router.get("/holds", response_model=list[HoldRead])
def list_holds(
    db: SessionDep, actor: Annotated[Actor, allow(Action.RETENTION_VIEW)]
) -> list[HoldRead]:
    """List the legal holds in force."""
    return [_hold(h) for h in records.holds(db, actor=actor)]


@router.post("/holds", response_model=HoldRead, status_code=201)
def set_hold(
    body: HoldCreate, db: SessionDep, actor: Annotated[Actor, allow(Action.RETENTION_HOLD)]
) -> HoldRead:
    """Put a case, or one of its films, on legal hold."""
    hold = holds.set_hold(
        db, actor=actor, case_id=body.case_id, film_id=body.film_id, reason=body.reason
    )
    return _hold(hold)


@router.post("/holds/{hold_id}/lift", response_model=HoldRead)
def lift_hold(
    hold_id: str,
    body: HoldLift,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.RETENTION_HOLD)],
) -> HoldRead:
    """Lift a legal hold, saying why."""
    return _hold(holds.lift_hold(db, actor=actor, hold_id=hold_id, reason=body.reason))


@router.get("/receipts", response_model=list[ReceiptRead])
def list_receipts(
    db: SessionDep, actor: Annotated[Actor, allow(Action.RETENTION_VIEW)]
) -> list[ReceiptRead]:
    """List the newest erasure receipts."""
    return [_receipt(r) for r in records.receipts(db, actor=actor)]


@router.get("/receipts/{receipt_id}", response_model=ReceiptRead)
def get_receipt(
    receipt_id: str, db: SessionDep, actor: Annotated[Actor, allow(Action.RETENTION_VIEW)]
) -> ReceiptRead:
    """Return one erasure receipt."""
    return _receipt(records.get_receipt(db, actor=actor, receipt_id=receipt_id))

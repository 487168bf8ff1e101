"""The DPO's retention page: what expires soon, scheduled shredding, legal holds, receipts."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from attunely.errors import AttunelyError, InvalidInput
from attunely.policy import Action, Actor
from attunely.retention import holds, records, service
from attunely.retention.rules import CLASS_LABELS, periods
from attunely.web.deps import FormDep, SessionDep, SettingsDep, allow
from attunely.web.errors import status_for
from attunely.web.templating import render

router = APIRouter(include_in_schema=False)

DEFAULT_DAYS = 30


def _days(text: str | None) -> float:
    try:
        days = float(text) if text else DEFAULT_DAYS
    except ValueError:
        raise InvalidInput("days is a number", field="days") from None
    if not 0 <= days <= 3650:
        raise InvalidInput("look between 0 and 3650 days ahead", field="days")
    return days


def _page(
    request: Request,
    db: Session,
    actor: Actor,
    settings: SettingsDep,
    *,
    days: float = DEFAULT_DAYS,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    items = service.due(db, actor=actor, settings=settings, within_days=days)
    return render(
        request,
        "retention.html",
        {
            "days": days,
            "items": [i for i in items if i.subject_type != "schedule"],
            "scheduled": records.schedules(db, actor=actor),
            "holds": records.holds(db, actor=actor),
            "receipts": records.receipts(db, actor=actor, limit=50),
            "periods": [(CLASS_LABELS[c], m) for c, m in periods(settings).items()],
            "grace_days": settings.shred_grace_days,
            "references": {c.id: c.reference for c in holds.cases_of(db, actor=actor)},
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/retention")
def retention_page(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    actor: Annotated[Actor, allow(Action.RETENTION_VIEW)],
) -> Response:
    """Show what expires in the next N days, scheduled shredding, holds and receipts."""
    try:
        days = _days(request.query_params.get("days"))
    except InvalidInput as exc:
        return _page(request, db, actor, settings, error=exc.message, status_code=422)
    return _page(request, db, actor, settings, days=days)


def _refused(
    request: Request, db: Session, actor: Actor, settings: SettingsDep, exc: AttunelyError
) -> Response:
    db.rollback()
    return _page(request, db, actor, settings, error=exc.message, status_code=status_for(exc))


@router.post("/retention/holds")
def set_hold(
    request: Request,
    form: FormDep,
    db: SessionDep,
    settings: SettingsDep,
    actor: Annotated[Actor, allow(Action.RETENTION_HOLD)],
) -> Response:
    """Put a case, or one of its films, on legal hold."""
    try:
        case = holds.find_case(db, actor=actor, reference=form.get("case"))
        holds.set_hold(
            db,
            actor=actor,
            case_id=case.id,
            film_id=form.get("film_id").strip() or None,
            reason=form.get("reason"),
        )
    except AttunelyError as exc:
        return _refused(request, db, actor, settings, exc)
    return RedirectResponse("/retention#holds", status_code=303)


@router.post("/retention/holds/{hold_id}/lift")
def lift_hold(
    request: Request,
    hold_id: str,
    form: FormDep,
    db: SessionDep,
    settings: SettingsDep,
    actor: Annotated[Actor, allow(Action.RETENTION_HOLD)],
) -> Response:
    """Lift a legal hold, saying why."""
    try:
        holds.lift_hold(db, actor=actor, hold_id=hold_id, reason=form.get("reason"))
    except AttunelyError as exc:
        return _refused(request, db, actor, settings, exc)
    return RedirectResponse("/retention#holds", status_code=303)


@router.get("/retention/receipts/{receipt_id}")
def receipt_page(
    request: Request,
    receipt_id: str,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.RETENTION_VIEW)],
) -> Response:
    """Show one erasure receipt, ready to print."""
    receipt = records.get_receipt(db, actor=actor, receipt_id=receipt_id)
    return render(
        request,
        "retention_receipt.html",
        {
            "receipt": receipt,
            "objects": json.loads(receipt.objects or "[]"),
            "records": json.loads(receipt.records or "{}"),
        },
    )

"""JSON routes for a case's consent records."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from attunely.consent import service
from attunely.consent.schemas import ConsentCreate, ConsentRead, ConsentWithdraw
from attunely.policy import Action, Actor
from attunely.web.deps import SessionDep, allow

router = APIRouter(tags=["consent"])


@router.get("/cases/{case_id}/consents", response_model=list[ConsentRead])
def list_consents(
    case_id: str, db: SessionDep, actor: Annotated[Actor, allow(Action.CONSENT_VIEW)]
) -> list[ConsentRead]:
    """List a case's consent records, withdrawn and expired ones included."""
    records = service.list_consents(db, actor=actor, case_id=case_id)
    return [service.consent_read(r) for r in records]


@router.post("/cases/{case_id}/consents", response_model=list[ConsentRead], status_code=201)
def record_consent(
    case_id: str,
    body: ConsentCreate,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.CONSENT_RECORD)],
) -> list[ConsentRead]:
    """Record a caregiver's consent (or other basis) for one or more purposes."""
    records = service.record_consent(db, actor=actor, case_id=case_id, data=body)
    return [service.consent_read(r) for r in records]


@router.post("/cases/{case_id}/consents/withdraw", response_model=list[ConsentRead])
def withdraw_consent(
    case_id: str,
    body: ConsentWithdraw,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.CONSENT_RECORD)],
) -> list[ConsentRead]:
    """Withdraw a caregiver's consent for some purposes; access stops at once."""
    records = service.withdraw_consent(db, actor=actor, case_id=case_id, data=body)
    return [service.consent_read(r) for r in records]

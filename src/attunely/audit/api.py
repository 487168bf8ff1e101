"""JSON routes for the audit trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from attunely.audit import service
from attunely.audit.schemas import AuditEntryRead, VerifyRead
from attunely.policy import Action, Actor
from attunely.web.deps import SessionDep, allow

router = APIRouter(tags=["audit"])


@router.get("/audit/entries", response_model=list[AuditEntryRead])
def entries(
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.AUDIT_VIEW)],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: Annotated[int | None, Query(ge=1)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
) -> list[AuditEntryRead]:
    """List entries, newest first."""
    rows = service.recent(db, limit=limit, before=before, action=action)
    service.record(
        db,
        actor=actor,
        action="audit.view",
        object_type="audit",
        object_id="-",
        purpose="governance",
    )
    return [AuditEntryRead.model_validate(r) for r in rows]


@router.get("/audit/verify", response_model=VerifyRead)
def verify(db: SessionDep, actor: Annotated[Actor, allow(Action.AUDIT_VERIFY)]) -> VerifyRead:
    """Recompute the hash chain and report the first broken entry, if any."""
    report = service.verify(db)
    service.record(
        db,
        actor=actor,
        action="audit.verify",
        object_type="audit",
        object_id="-",
        purpose="governance",
        outcome="success" if report.ok else "failure",
    )
    return VerifyRead(**report.__dict__)

"""The audit trail page for the data protection officer and administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from attunely.audit import service
from attunely.policy import Action, Actor
from attunely.web.deps import SessionDep, allow
from attunely.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/audit")
def audit_page(
    request: Request,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.AUDIT_VIEW)],
    before: int | None = None,
) -> Response:
    """Show the chain's state and the newest entries."""
    report = service.verify(db)
    rows = service.recent(db, limit=100, before=before if before and before > 0 else None)
    service.record(
        db,
        actor=actor,
        action="audit.view",
        object_type="audit",
        object_id="-",
        purpose="governance",
    )
    return render(request, "audit.html", {"report": report, "rows": rows})

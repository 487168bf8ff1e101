"""JSON routes for cases and people."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from attunely.cases import service
from attunely.cases.schemas import (
    CaseAssign,
    CaseCreate,
    CaseRead,
    CaseSummary,
    CaseUpdate,
    PersonCreate,
    PersonRead,
)
from attunely.policy import Action, Actor
from attunely.web.deps import SessionDep, allow

router = APIRouter(tags=["cases"])


@router.get("/cases", response_model=list[CaseSummary])
def my_cases(
    db: SessionDep, actor: Annotated[Actor, allow(Action.CASE_LIST_OWN)]
) -> list[CaseSummary]:
    """List the cases you guide or supervise."""
    return [service.to_summary(c) for c in service.list_my_cases(db, actor=actor)]


@router.post("/cases", response_model=CaseRead, status_code=201)
def create_case(
    body: CaseCreate, db: SessionDep, actor: Annotated[Actor, allow(Action.CASE_CREATE)]
) -> CaseRead:
    """Open a case."""
    return service.to_read(service.create_case(db, actor=actor, data=body))


@router.get("/caseload", response_model=list[CaseSummary])
def caseload(
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.CASE_LIST_TEAM)],
    team_id: str | None = None,
) -> list[CaseSummary]:
    """List the caseload of the teams you manage (or of one of them)."""
    cases = service.list_team_cases(db, actor=actor, team_id=team_id)
    return [service.to_summary(c) for c in cases]


@router.get("/cases/{case_id}", response_model=CaseRead)
def get_case(
    case_id: str, db: SessionDep, actor: Annotated[Actor, allow(Action.CASE_VIEW)]
) -> CaseRead:
    """Read a case with its people."""
    return service.to_read(service.view_case(db, actor=actor, case_id=case_id))


@router.patch("/cases/{case_id}", response_model=CaseRead)
def update_case(
    case_id: str, body: CaseUpdate, db: SessionDep, actor: Annotated[Actor, allow(Action.CASE_EDIT)]
) -> CaseRead:
    """Change a case's programme, status or assessment notes."""
    return service.to_read(service.update_case(db, actor=actor, case_id=case_id, data=body))


@router.put("/cases/{case_id}/assignment", response_model=CaseRead)
def assign_case(
    case_id: str,
    body: CaseAssign,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.CASE_ASSIGN)],
) -> CaseRead:
    """Set the case's guider and supervisor."""
    return service.to_read(service.assign_case(db, actor=actor, case_id=case_id, data=body))


@router.post("/cases/{case_id}/people", response_model=PersonRead, status_code=201)
def add_person(
    case_id: str,
    body: PersonCreate,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.PERSON_ADD)],
) -> PersonRead:
    """Add a caregiver or a child to the case."""
    return service.person_read(service.add_person(db, actor=actor, case_id=case_id, data=body))


# The helping questions' routes live in their own module; they are served with the cases'.
from attunely.cases.helping_api import router as _helping_router  # noqa: E402

router.include_router(_helping_router)

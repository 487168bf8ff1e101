"""JSON routes for a case's helping questions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from attunely.cases import helping
from attunely.cases.helping import (
    HelpingQuestionCreate,
    HelpingQuestionRead,
    HelpingQuestionUpdate,
)
from attunely.policy import Action, Actor
from attunely.web.deps import SessionDep, allow

router = APIRouter(tags=["cases"])


@router.get("/cases/{case_id}/helping-questions", response_model=list[HelpingQuestionRead])
def list_helping_questions(
    case_id: str, db: SessionDep, actor: Annotated[Actor, allow(Action.CASE_VIEW)]
) -> list[HelpingQuestionRead]:
    """The parent's helping questions for the case, active ones first."""
    return helping.list_questions(db, actor=actor, case_id=case_id)


@router.post(
    "/cases/{case_id}/helping-questions", response_model=HelpingQuestionRead, status_code=201
)
def add_helping_question(
    case_id: str,
    body: HelpingQuestionCreate,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.CASE_EDIT)],
) -> HelpingQuestionRead:
    """Write down a helping question the parent has set."""
    return helping.add_question(db, actor=actor, case_id=case_id, data=body)


@router.patch("/helping-questions/{question_id}", response_model=HelpingQuestionRead)
def update_helping_question(
    question_id: str,
    body: HelpingQuestionUpdate,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.CASE_EDIT)],
) -> HelpingQuestionRead:
    """Change a question's words, date or active flag; 409 if it changed since `revision`."""
    return helping.update_question(db, actor=actor, question_id=question_id, data=body)

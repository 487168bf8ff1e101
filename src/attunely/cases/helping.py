"""The parent's helping question(s) for a case: what they want help with, in their words.

The guider writes it down with the parent at the start (and again when it changes); clips
chosen to show the parent name the question they speak to. A question is never deleted while
a clip may name it: it is set inactive instead, and keeps its text for the clips that do.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from attunely.audit import service as audit
from attunely.cases.models import Case, HelpingQuestion
from attunely.cases.service import authorized_case
from attunely.db import utcnow
from attunely.errors import InvalidInput, NotFound
from attunely.guard import require
from attunely.inputs import InputModel, is_id, printable
from attunely.policy import Action, Actor
from attunely.workspace.errors import StaleRevision

MAX_QUESTIONS = 20


def _not_future(value: date | None) -> date | None:
    if value is not None and value > date.today():
        raise ValueError("the date it was set cannot be in the future")
    return value


class HelpingQuestionCreate(InputModel):
    text: str = Field(min_length=3, max_length=500)
    #: The day the parent set it (default: today).
    set_on: date | None = None
    active: bool = True

    _check_date = field_validator("set_on")(_not_future)


class HelpingQuestionUpdate(InputModel):
    """Change a question seen at `revision`; fields left out stay as they are."""

    revision: int = Field(ge=1)
    text: str | None = Field(default=None, min_length=3, max_length=500)
    set_on: date | None = None
    active: bool | None = None

    _check_date = field_validator("set_on")(_not_future)


class HelpingQuestionRead(BaseModel):
    id: str
    case_id: str
    text: str
    set_on: date
    active: bool
    revision: int
    created_at: datetime
    updated_at: datetime


def to_read(row: HelpingQuestion) -> HelpingQuestionRead:
    return HelpingQuestionRead(
        id=row.id,
        case_id=row.case_id,
        text=row.text,
        set_on=row.set_on,
        active=row.active,
        revision=row.revision,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _audit(db: Session, *, actor: Actor, action: str, row: HelpingQuestion) -> None:
    # Ids only: the question is the family's own words.
    audit.record(
        db,
        actor=actor,
        action=action,
        object_type="helping_question",
        object_id=row.id,
        purpose="casework",
        detail={"case": row.case_id},
    )


def questions_of(db: Session, *, case_id: str) -> list[HelpingQuestion]:
    """A case's questions: active ones first, newest first within each."""
    return list(
        db.scalars(
            select(HelpingQuestion)
            .where(HelpingQuestion.case_id == case_id)
            .order_by(
                HelpingQuestion.active.desc(),
                HelpingQuestion.set_on.desc(),
                HelpingQuestion.created_at.desc(),
            )
        )
    )


def list_questions(db: Session, *, actor: Actor, case_id: str) -> list[HelpingQuestionRead]:
    case = authorized_case(db, actor=actor, case_id=case_id, action=Action.CASE_VIEW)
    return [to_read(q) for q in questions_of(db, case_id=case.id)]


def add_question(
    db: Session, *, actor: Actor, case_id: str, data: HelpingQuestionCreate
) -> HelpingQuestionRead:
    """Write down a helping question for the case."""
    case = authorized_case(db, actor=actor, case_id=case_id, action=Action.CASE_EDIT)
    if len(questions_of(db, case_id=case.id)) >= MAX_QUESTIONS:
        raise InvalidInput(
            f"a case can have up to {MAX_QUESTIONS} helping questions; "
            "change one that is no longer active instead"
        )
    row = HelpingQuestion(
        case_id=case.id,
        text=data.text,
        set_on=data.set_on or date.today(),
        active=data.active,
        revision=1,
        created_by=actor.audit_id,
    )
    db.add(row)
    db.flush()
    _audit(db, actor=actor, action="helping_question.create", row=row)
    return to_read(row)


def _load(db: Session, *, actor: Actor, question_id: str, action: Action) -> HelpingQuestion:
    row = db.get(HelpingQuestion, question_id) if is_id(question_id) else None
    if row is None:
        require(
            db,
            actor=actor,
            action=action,
            object_type="helping_question",
            object_id=printable(question_id),
        )
        raise NotFound("no such helping question")
    authorized_case(db, actor=actor, case_id=row.case_id, action=action)
    return row


def update_question(
    db: Session, *, actor: Actor, question_id: str, data: HelpingQuestionUpdate
) -> HelpingQuestionRead:
    """Change a question's words, date or whether it is still active."""
    row = _load(db, actor=actor, question_id=question_id, action=Action.CASE_EDIT)
    if row.revision != data.revision:
        raise StaleRevision("helping question", to_read(row))
    if data.text is not None:
        row.text = data.text
    if data.set_on is not None:
        row.set_on = data.set_on
    if data.active is not None:
        row.active = data.active
    row.revision += 1
    row.updated_at = utcnow()
    db.flush()
    _audit(db, actor=actor, action="helping_question.edit", row=row)
    return to_read(row)


def check_for_clip(db: Session, *, case: Case, question_id: str | None) -> None:
    """Refuse a clip's link to a question that is not one of the case's own."""
    if question_id is None:
        return
    row = db.get(HelpingQuestion, question_id) if is_id(question_id) else None
    if row is None or row.case_id != case.id:
        raise InvalidInput(
            "that is not one of this case's helping questions", field="helping_question_id"
        )

"""The page where the guider writes down and updates the parent's helping questions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from attunely.cases import helping
from attunely.cases.helping import HelpingQuestionCreate, HelpingQuestionUpdate
from attunely.cases.service import authorized_case, scope_of
from attunely.errors import AttunelyError
from attunely.policy import Action, Actor, decide
from attunely.web.deps import FormDep, FormFields, SessionDep, allow
from attunely.web.errors import describe_validation, status_for
from attunely.web.templating import render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    db: Session,
    actor: Actor,
    case_id: str,
    *,
    error: str | None = None,
    form: FormFields | None = None,
    status_code: int = 200,
) -> Response:
    case = authorized_case(db, actor=actor, case_id=case_id, action=Action.CASE_VIEW)
    return render(
        request,
        "helping_questions.html",
        {
            "case": case,
            "questions": helping.questions_of(db, case_id=case.id),
            "may_edit": decide(actor, Action.CASE_EDIT, scope_of(case)).allowed,
            "error": error,
            "form": form,
        },
        status_code=status_code,
    )


def _problem(exc: Exception) -> tuple[str, int]:
    if isinstance(exc, ValidationError):
        return describe_validation(exc)[0], 422
    assert isinstance(exc, AttunelyError)
    return exc.message, status_for(exc)


@router.get("/cases/{case_id}/helping-questions")
def helping_page(
    request: Request,
    case_id: str,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.CASE_VIEW)],
) -> Response:
    """The parent's helping questions for the case."""
    return _page(request, db, actor, case_id)


@router.post("/cases/{case_id}/helping-questions")
def add_helping(
    request: Request,
    case_id: str,
    form: FormDep,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.CASE_EDIT)],
) -> Response:
    """Write down a new helping question."""
    try:
        data = HelpingQuestionCreate.model_validate(
            {"text": form.get("text"), "set_on": form.get("set_on") or None}
        )
        helping.add_question(db, actor=actor, case_id=case_id, data=data)
    except (ValidationError, AttunelyError) as exc:
        db.rollback()
        message, status = _problem(exc)
        return _page(request, db, actor, case_id, error=message, form=form, status_code=status)
    return RedirectResponse(f"/cases/{case_id}/helping-questions", status_code=303)


@router.post("/helping-questions/{question_id}/edit")
def edit_helping(
    request: Request,
    question_id: str,
    form: FormDep,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.CASE_EDIT)],
) -> Response:
    """Change a question's words or date, or set it (in)active."""
    case_id = form.get("case_id") or ""
    try:
        data = HelpingQuestionUpdate.model_validate(
            {
                "revision": form.get("revision"),
                "text": form.get("text"),
                "set_on": form.get("set_on") or None,
                "active": form.get("active") == "on",
            }
        )
        changed = helping.update_question(db, actor=actor, question_id=question_id, data=data)
    except (ValidationError, AttunelyError) as exc:
        db.rollback()
        message, status = _problem(exc)
        return _page(request, db, actor, case_id, error=message, form=form, status_code=status)
    return RedirectResponse(f"/cases/{changed.case_id}/helping-questions", status_code=303)

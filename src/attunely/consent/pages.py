"""The consent page of a case: what each caregiver agreed to, recording and withdrawing."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from attunely.cases.models import Case
from attunely.cases.service import authorized_case, scope_of
from attunely.consent import service
from attunely.consent.schemas import ConsentCreate, ConsentWithdraw, LawfulBasis, Purpose
from attunely.errors import AttunelyError
from attunely.policy import Action, Actor, decide
from attunely.web.deps import FormDep, FormFields, SessionDep, allow
from attunely.web.errors import describe_validation, status_for
from attunely.web.templating import render

router = APIRouter(include_in_schema=False)

PURPOSE_LABELS: dict[Purpose, str] = {
    Purpose.FILMING_FEEDBACK: "Filming and feedback with the family",
    Purpose.SUPERVISION: "Supervision of the guider",
    Purpose.PEER_INTERVISION: "Peer intervision in the team",
    Purpose.TRAINING: "Training events",
    Purpose.PROFESSIONAL_NETWORK: "Sharing clips with the professional network",
    Purpose.RESEARCH: "Evaluation and research",
}


def _page(
    request: Request,
    db: Session,
    actor: Actor,
    case: Case,
    *,
    error: str | None = None,
    form: FormFields | None = None,
    status_code: int = 200,
) -> Response:
    records = service.list_consents(db, actor=actor, case_id=case.id)
    names = {p.id: p.display_name for p in case.people}
    return render(
        request,
        "consent.html",
        {
            "case": case,
            "records": [service.consent_read(r) for r in records],
            "names": names,
            "caregivers": [p for p in case.people if p.kind == "caregiver"],
            "purposes": PURPOSE_LABELS,
            "bases": list(LawfulBasis),
            "today": date.today().isoformat(),
            "may_record": decide(actor, Action.CONSENT_RECORD, scope_of(case)).allowed,
            "error": error,
            "form": form,
        },
        status_code=status_code,
    )


def _refused(
    request: Request, db: Session, actor: Actor, case_id: str, exc: Exception, form: FormFields
) -> Response:
    db.rollback()
    if isinstance(exc, ValidationError):
        message, status = describe_validation(exc)[0], 422
    else:
        assert isinstance(exc, AttunelyError)
        message, status = exc.message, status_for(exc)
    case = authorized_case(db, actor=actor, case_id=case_id, action=Action.CONSENT_VIEW)
    return _page(request, db, actor, case, error=message, form=form, status_code=status)


@router.get("/cases/{case_id}/consent")
def consent_page(
    request: Request,
    case_id: str,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.CONSENT_VIEW)],
) -> Response:
    """Show what each caregiver agreed to, and when."""
    case = authorized_case(db, actor=actor, case_id=case_id, action=Action.CONSENT_VIEW)
    return _page(request, db, actor, case)


@router.post("/cases/{case_id}/consent")
def record_consent(
    request: Request,
    case_id: str,
    form: FormDep,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.CONSENT_RECORD)],
) -> Response:
    """Record a consent given on paper or as a witnessed typed name."""
    try:
        data = ConsentCreate.model_validate(
            {
                "person_id": form.get("person_id"),
                "purposes": form.getlist("purposes"),
                "basis": form.get("basis") or "consent",
                "text_version": form.get("text_version"),
                "retention_months": form.get("retention_months"),
                "access": form.get("access"),
                "method": form.get("method"),
                "given_by": form.get("given_by"),
                "witness": form.get("witness"),
                "given_on": form.get("given_on"),
                "expires_on": form.get("expires_on") or None,
            }
        )
        service.record_consent(db, actor=actor, case_id=case_id, data=data)
    except (ValidationError, AttunelyError) as exc:
        return _refused(request, db, actor, case_id, exc, form)
    return RedirectResponse(f"/cases/{case_id}/consent", status_code=303)


@router.post("/cases/{case_id}/consent/withdraw")
def withdraw_consent(
    request: Request,
    case_id: str,
    form: FormDep,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.CONSENT_RECORD)],
) -> Response:
    """Withdraw one purpose for one caregiver; access stops at once."""
    try:
        data = ConsentWithdraw.model_validate(
            {"person_id": form.get("person_id"), "purposes": [form.get("purpose")]}
        )
        service.withdraw_consent(db, actor=actor, case_id=case_id, data=data)
    except (ValidationError, AttunelyError) as exc:
        return _refused(request, db, actor, case_id, exc, form)
    return RedirectResponse(f"/cases/{case_id}/consent", status_code=303)

"""The consent page of a case: what each caregiver agreed to, recording and withdrawing."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from attunely.accounts.models import User
from attunely.cases.models import Case
from attunely.cases.service import authorized_case, scope_of
from attunely.config import Settings
from attunely.consent import service, signature, texts
from attunely.consent.models import ConsentRecord
from attunely.consent.schemas import ConsentCreate, ConsentWithdraw, LawfulBasis, Method, Purpose
from attunely.errors import AttunelyError
from attunely.inputs import is_id
from attunely.policy import Action, Actor, decide
from attunely.web.deps import FormDep, FormFields, SessionDep, SettingsDep, allow
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


def _recorders(db: Session, records: list[ConsentRecord]) -> dict[str, str]:
    """Name whoever entered each record: a user's name, or the operator's at the server."""
    names: dict[str, str] = {}
    for who in {r.recorded_by for r in records}:
        user = db.get(User, who) if is_id(who) else None
        names[who] = user.display_name if user else who.removeprefix("local:")
    return names


def how_given(record: ConsentRecord, recorders: dict[str, str]) -> str:
    """Say in words how a consent was given."""
    if record.method == Method.SIGNATURE:
        return f"drawn signature, witnessed by {record.witness}"
    if record.method == Method.WITNESSED_TYPED_NAME:
        return f"typed name, witnessed by {record.witness or 'nobody named'}"
    entered = recorders.get(record.recorded_by, record.recorded_by)
    return f"paper form, entered by {entered}"


def _page(
    request: Request,
    db: Session,
    actor: Actor,
    case: Case,
    settings: Settings,
    *,
    error: str | None = None,
    form: FormFields | None = None,
    status_code: int = 200,
) -> Response:
    records = service.list_consents(db, actor=actor, case_id=case.id)
    recorders = _recorders(db, records)
    shown = service.current_text(settings)
    return render(
        request,
        "consent.html",
        {
            "case": case,
            "records": [service.consent_read(r) for r in records],
            "how": {r.id: how_given(r, recorders) for r in records},
            "names": {p.id: p.display_name for p in case.people},
            "caregivers": [p for p in case.people if p.kind == "caregiver"],
            "purposes": PURPOSE_LABELS,
            "bases": list(LawfulBasis),
            "today": date.today().isoformat(),
            "may_record": decide(actor, Action.CONSENT_RECORD, scope_of(case)).allowed,
            "text": shown,
            "plain": texts.blocks(shown.plain),
            "full": texts.blocks(shown.full),
            "error": error,
            "form": form,
        },
        status_code=status_code,
    )


def _refused(
    request: Request,
    db: Session,
    actor: Actor,
    settings: Settings,
    case_id: str,
    exc: Exception,
    form: FormFields,
) -> Response:
    db.rollback()
    if isinstance(exc, ValidationError):
        message, status = describe_validation(exc)[0], 422
    else:
        assert isinstance(exc, AttunelyError)
        message, status = exc.message, status_for(exc)
    case = authorized_case(db, actor=actor, case_id=case_id, action=Action.CONSENT_VIEW)
    return _page(request, db, actor, case, settings, error=message, form=form, status_code=status)


@router.get("/cases/{case_id}/consent")
def consent_page(
    request: Request,
    case_id: str,
    db: SessionDep,
    settings: SettingsDep,
    actor: Annotated[Actor, allow(Action.CONSENT_VIEW)],
) -> Response:
    """Show what each caregiver agreed to, and the consent form to sign on the tablet."""
    case = authorized_case(db, actor=actor, case_id=case_id, action=Action.CONSENT_VIEW)
    return _page(request, db, actor, case, settings)


@router.get("/cases/{case_id}/consent/form")
def printable_form(
    request: Request,
    case_id: str,
    db: SessionDep,
    settings: SettingsDep,
    actor: Annotated[Actor, allow(Action.CONSENT_VIEW)],
) -> Response:
    """Show the current form ready to print, for a caregiver who signs on paper."""
    case = authorized_case(db, actor=actor, case_id=case_id, action=Action.CONSENT_VIEW)
    shown = service.current_text(settings)
    return render(
        request,
        "consent_print.html",
        {
            "case": case,
            "text": shown,
            "plain": texts.blocks(shown.plain),
            "full": texts.blocks(shown.full),
            "purposes": PURPOSE_LABELS,
            "organisation": settings.organisation_name,
        },
    )


@router.get("/cases/{case_id}/consent/{record_id}")
def consent_record_page(
    request: Request,
    case_id: str,
    record_id: str,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.CONSENT_VIEW)],
) -> Response:
    """Show one consent record with the exact form it was given on, and its signature."""
    record, text = service.text_given(db, actor=actor, case_id=case_id, record_id=record_id)
    case = authorized_case(db, actor=actor, case_id=case_id, action=Action.CONSENT_VIEW)
    person = next((p for p in case.people if p.id == record.person_id), None)
    may_record = decide(actor, Action.CONSENT_RECORD, scope_of(case)).allowed
    drawn = signature.svg_paths(record.signature) if record.signature and may_record else None
    return render(
        request,
        "consent_record.html",
        {
            "case": case,
            "record": service.consent_read(record),
            "person": person.display_name if person else "",
            "how": how_given(record, _recorders(db, [record])),
            "purpose": PURPOSE_LABELS[Purpose(record.purpose)],
            "text": text,
            "plain": texts.blocks(text.plain_text) if text else [],
            "full": texts.blocks(text.full_text) if text else [],
            "drawn": drawn,
        },
    )


@router.post("/cases/{case_id}/consent")
def record_consent(
    request: Request,
    case_id: str,
    form: FormDep,
    db: SessionDep,
    settings: SettingsDep,
    actor: Annotated[Actor, allow(Action.CONSENT_RECORD)],
) -> Response:
    """Record a consent given on the form shown: drawn signature, witnessed typed name or the
    paper copy of the same form."""
    try:
        data = ConsentCreate.model_validate(
            {
                "person_id": form.get("person_id"),
                "purposes": form.getlist("purposes"),
                "basis": form.get("basis") or "consent",
                "text_sha256": form.get("text_sha256"),
                "method": form.get("method"),
                "given_by": form.get("given_by"),
                "signature": form.get("signature") or None,
                "given_on": form.get("given_on"),
                "expires_on": form.get("expires_on") or None,
            }
        )
        service.record_consent(db, actor=actor, case_id=case_id, data=data, settings=settings)
    except (ValidationError, AttunelyError) as exc:
        return _refused(request, db, actor, settings, case_id, exc, form)
    return RedirectResponse(f"/cases/{case_id}/consent", status_code=303)


@router.post("/cases/{case_id}/consent/withdraw")
def withdraw_consent(
    request: Request,
    case_id: str,
    form: FormDep,
    db: SessionDep,
    settings: SettingsDep,
    actor: Annotated[Actor, allow(Action.CONSENT_RECORD)],
) -> Response:
    """Withdraw one purpose for one caregiver; access stops at once."""
    try:
        data = ConsentWithdraw.model_validate(
            {"person_id": form.get("person_id"), "purposes": [form.get("purpose")]}
        )
        service.withdraw_consent(
            db,
            actor=actor,
            case_id=case_id,
            data=data,
            shred_grace_days=settings.shred_grace_days,
        )
    except (ValidationError, AttunelyError) as exc:
        return _refused(request, db, actor, settings, case_id, exc, form)
    return RedirectResponse(f"/cases/{case_id}/consent", status_code=303)

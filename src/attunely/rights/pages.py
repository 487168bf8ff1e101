"""The DPO's data rights page: subject access requests against their deadline, the package,
and erasure with a receipt."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from attunely.errors import AttunelyError, InvalidInput
from attunely.policy import Action, Actor, decide
from attunely.rights import package, service
from attunely.rights.erasure import Outcome
from attunely.rights.schemas import CaseErasure, PersonErasure, RequestCreate
from attunely.vault import keyring
from attunely.web.deps import FormDep, FormFields, SessionDep, SettingsDep, allow
from attunely.web.errors import describe_validation, status_for
from attunely.web.templating import render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    db: Session,
    actor: Actor,
    *,
    error: str | None = None,
    form: FormFields | None = None,
    status_code: int = 200,
) -> Response:
    today = date.today()
    return render(
        request,
        "rights.html",
        {
            "requests": service.list_requests(db, actor=actor, today=today),
            "people": service.people(db, actor=actor),
            "receipts": service.receipts(db, actor=actor),
            "today": today.isoformat(),
            "may_export": decide(actor, Action.RIGHTS_EXPORT).allowed,
            "may_erase": decide(actor, Action.RIGHTS_ERASE).allowed,
            "error": error,
            "form": form,
        },
        status_code=status_code,
    )


def _refused(
    request: Request, db: Session, actor: Actor, exc: Exception, form: FormFields
) -> Response:
    db.rollback()
    if isinstance(exc, ValidationError):
        message, status = describe_validation(exc)[0], 422
    else:
        assert isinstance(exc, AttunelyError)
        message, status = exc.message, status_for(exc)
    return _page(request, db, actor, error=message, form=form, status_code=status)


@router.get("/rights")
def rights_page(
    request: Request, db: SessionDep, actor: Annotated[Actor, allow(Action.RIGHTS_VIEW)]
) -> Response:
    """Show open requests against their deadline, and past erasures."""
    return _page(request, db, actor)


@router.post("/rights/requests")
def open_request(
    request: Request,
    form: FormDep,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.RIGHTS_VIEW)],
) -> Response:
    """Record a subject access request; its deadline is counted from the day received."""
    try:
        data = RequestCreate.model_validate(
            {
                "person_id": form.get("person_id"),
                "received_on": form.get("received_on"),
                "note": form.get("note"),
            }
        )
        service.open_request(db, actor=actor, data=data)
    except (ValidationError, AttunelyError) as exc:
        return _refused(request, db, actor, exc, form)
    return RedirectResponse("/rights", status_code=303)


@router.post("/rights/requests/{request_id}/complete")
def complete_request(
    request: Request,
    request_id: str,
    form: FormDep,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.RIGHTS_VIEW)],
) -> Response:
    """Mark a request answered."""
    try:
        service.complete_request(db, actor=actor, request_id=request_id)
    except AttunelyError as exc:
        return _refused(request, db, actor, exc, form)
    return RedirectResponse("/rights", status_code=303)


@router.get("/rights/requests/{request_id}/package")
def download_package(
    request: Request,
    request_id: str,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.RIGHTS_EXPORT)],
) -> Response:
    """Stream the package (a .zip, footage decrypted) for the person the request is about."""
    built = service.prepare_package(
        db, vault=request.app.state.vault, actor=actor, request_id=request_id
    )
    # Commit the audit entries now: nothing may hold the database while bytes go out.
    db.commit()
    name = f"subject-access-{request_id[:8]}.zip"
    return StreamingResponse(
        package.iter_zip(built),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def _done(request: Request, db: Session, outcome: Outcome) -> Response:
    # The erasure and its ledger entry are durable before the ciphertext goes.
    receipt_id = outcome.receipt_id
    db.commit()
    keyring.purge_blobs(request.app.state.vault, storage_keys=outcome.storage_keys)
    return RedirectResponse(f"/rights/erasures/{receipt_id}", status_code=303)


@router.post("/rights/erase/person")
def erase_person(
    request: Request,
    form: FormDep,
    db: SessionDep,
    settings: SettingsDep,
    actor: Annotated[Actor, allow(Action.RIGHTS_ERASE)],
) -> Response:
    """Erase one person, once the DPO has typed ERASE to confirm."""
    try:
        if form.get("confirm").strip().upper() != "ERASE":
            raise InvalidInput("type ERASE to confirm the erasure", field="confirm")
        data = PersonErasure.model_validate(
            {"person_id": form.get("person_id"), "reason": form.get("reason")}
        )
        outcome = service.erase_person(db, settings=settings, actor=actor, data=data)
    except (ValidationError, AttunelyError) as exc:
        return _refused(request, db, actor, exc, form)
    return _done(request, db, outcome)


@router.post("/rights/erase/case")
def erase_case(
    request: Request,
    form: FormDep,
    db: SessionDep,
    settings: SettingsDep,
    actor: Annotated[Actor, allow(Action.RIGHTS_ERASE)],
) -> Response:
    """Erase a whole case, once the DPO has typed its reference again to confirm."""
    try:
        reference = form.get("reference")
        if form.get("confirm").strip() != reference or not reference:
            raise InvalidInput("type the case reference again to confirm", field="confirm")
        data = CaseErasure.model_validate({"reference": reference, "reason": form.get("reason")})
        outcome = service.erase_case(
            db, settings=settings, vault=request.app.state.vault, actor=actor, data=data
        )
    except (ValidationError, AttunelyError) as exc:
        return _refused(request, db, actor, exc, form)
    return _done(request, db, outcome)


@router.get("/rights/erasures/{receipt_id}")
def receipt_page(
    request: Request,
    receipt_id: str,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.RIGHTS_VIEW)],
) -> Response:
    """Show what one erasure destroyed."""
    row = service.receipt(db, actor=actor, receipt_id=receipt_id)
    return render(
        request, "rights_receipt.html", {"receipt": row, "summary": json.loads(row.receipt)}
    )

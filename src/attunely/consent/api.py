"""JSON routes for a case's consent records."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from attunely.consent import service
from attunely.consent.schemas import ConsentCreate, ConsentRead, ConsentTextRead, ConsentWithdraw
from attunely.consent.texts import ConsentText
from attunely.errors import NotFound
from attunely.policy import Action, Actor
from attunely.web.deps import SessionDep, SettingsDep, allow

router = APIRouter(tags=["consent"])


def _text_read(text: ConsentText) -> ConsentTextRead:
    return ConsentTextRead(
        version=text.version, sha256=text.sha256, label=text.label, plain=text.plain, full=text.full
    )


@router.get("/consent-text", response_model=ConsentTextRead)
def current_text(
    settings: SettingsDep, _actor: Annotated[Actor, allow(Action.CONSENT_VIEW)]
) -> ConsentTextRead:
    """Return the consent form as the live settings fill it now (to show, then name when
    recording by its `sha256`)."""
    return _text_read(service.current_text(settings))


@router.get("/cases/{case_id}/consents/{record_id}/text", response_model=ConsentTextRead)
def text_given(
    case_id: str,
    record_id: str,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.CONSENT_VIEW)],
) -> ConsentTextRead:
    """Return the exact form a consent was given on."""
    record, text = service.text_given(db, actor=actor, case_id=case_id, record_id=record_id)
    if text is None:
        raise NotFound(
            f"this consent was given on a paper form (version {record.text_version}) "
            "whose words Attunely does not hold"
        )
    return _text_read(
        ConsentText(
            version=text.version, sha256=text.sha256, plain=text.plain_text, full=text.full_text
        )
    )


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
    settings: SettingsDep,
    actor: Annotated[Actor, allow(Action.CONSENT_RECORD)],
) -> list[ConsentRead]:
    """Record a caregiver's consent (or other basis) for one or more purposes."""
    records = service.record_consent(db, actor=actor, case_id=case_id, data=body, settings=settings)
    return [service.consent_read(r) for r in records]


@router.post("/cases/{case_id}/consents/withdraw", response_model=list[ConsentRead])
def withdraw_consent(
    case_id: str,
    body: ConsentWithdraw,
    db: SessionDep,
    settings: SettingsDep,
    actor: Annotated[Actor, allow(Action.CONSENT_RECORD)],
) -> list[ConsentRead]:
    """Withdraw a caregiver's consent for some purposes; access stops at once."""
    records = service.withdraw_consent(
        db,
        actor=actor,
        case_id=case_id,
        data=body,
        shred_grace_days=settings.shred_grace_days,
    )
    return [service.consent_read(r) for r in records]

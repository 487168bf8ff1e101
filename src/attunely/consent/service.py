"""Record and withdraw consent, and the one gate every use of footage passes through.

The consent record *is* the access rule: `require_purpose` is called by the films service
before filming, upload, playback and reading an analysis. Withdrawal stamps the record and
takes effect on the next request (nothing is cached).

Exempt: export of a film's original by the local operator (`films.service.open_original`),
which exists for subject access requests. A person's right of access does not depend on their
consent, and must still work after they withdraw it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from attunely.audit import service as audit
from attunely.cases.models import Case, CasePerson
from attunely.cases.service import authorized_case
from attunely.consent.models import ConsentRecord
from attunely.consent.rules import CAREGIVER, Person, who_must_agree
from attunely.consent.schemas import (
    ConsentCreate,
    ConsentRead,
    ConsentWithdraw,
    LawfulBasis,
    Method,
    Purpose,
)
from attunely.db import utcnow
from attunely.errors import InvalidInput, PermissionDenied
from attunely.inputs import is_id
from attunely.policy import Action, Actor


class ConsentMissing(PermissionDenied):
    """No current consent or basis covers the purpose for everyone it must cover."""

    code = "consent_missing"

    def __init__(self, message: str, *, purpose: Purpose) -> None:
        super().__init__(message)
        self.purpose = purpose
        self.details = {"purpose": str(purpose)}


def is_current(record: ConsentRecord, *, today: date | None = None) -> bool:
    """A record covers its purpose from the day given until withdrawn or its expiry day."""
    day = today or date.today()
    if record.withdrawn_at is not None or record.given_on > day:
        return False
    return record.expires_on is None or day < record.expires_on


def _person(db: Session, *, case: Case, person_id: str) -> CasePerson:
    person = db.get(CasePerson, person_id) if is_id(person_id) else None
    if person is None or person.case_id != case.id:
        raise InvalidInput("choose a person in this case", field="person_id")
    return person


def record_consent(
    db: Session, *, actor: Actor, case_id: str, data: ConsentCreate
) -> list[ConsentRecord]:
    """Record one caregiver's agreement to each purpose; one audited record per purpose."""
    case = authorized_case(db, actor=actor, case_id=case_id, action=Action.CONSENT_RECORD)
    person = _person(db, case=case, person_id=data.person_id)
    if person.kind != CAREGIVER:
        raise InvalidInput(
            "children are covered by the consent of the caregivers with parental "
            "responsibility; record it for them",
            field="person_id",
        )
    if data.basis == LawfulBasis.CONSENT and data.method == Method.PAPER and not data.given_by:
        raise InvalidInput("say who signed the paper form", field="given_by")
    made = []
    for purpose in data.purposes:
        record = ConsentRecord(
            case_id=case.id,
            person_id=person.id,
            purpose=str(purpose),
            basis=str(data.basis),
            text_version=data.text_version,
            retention_months=data.retention_months,
            access=data.access,
            method=str(data.method),
            given_by=data.given_by,
            witness=data.witness,
            given_on=data.given_on,
            expires_on=data.expires_on,
            recorded_by=actor.audit_id,
        )
        db.add(record)
        made.append(record)
    db.flush()
    for record in made:
        audit.record(
            db,
            actor=actor,
            action="consent.record",
            object_type="consent",
            object_id=record.id,
            purpose="governance",
            detail={
                "case": case.id,
                "person": person.id,
                "purpose": record.purpose,
                "basis": record.basis,
                "method": record.method,
                "text_version": record.text_version,
                "expires_on": record.expires_on.isoformat() if record.expires_on else None,
            },
        )
    return made


def withdraw_consent(
    db: Session, *, actor: Actor, case_id: str, data: ConsentWithdraw
) -> list[ConsentRecord]:
    """Withdraw a caregiver's consent to each purpose, at once; the records stay, stamped."""
    case = authorized_case(db, actor=actor, case_id=case_id, action=Action.CONSENT_RECORD)
    person = _person(db, case=case, person_id=data.person_id)
    wanted = {str(p) for p in data.purposes}
    live = [
        r
        for r in db.scalars(
            select(ConsentRecord).where(
                ConsentRecord.person_id == person.id,
                ConsentRecord.purpose.in_(wanted),
                ConsentRecord.withdrawn_at.is_(None),
            )
        )
    ]
    missing = sorted(wanted - {r.purpose for r in live})
    if missing:
        raise InvalidInput(
            "there is no consent to withdraw for: " + ", ".join(missing), field="purposes"
        )
    now = utcnow()
    for record in live:
        record.withdrawn_at = now
        record.withdrawn_by = actor.audit_id
    db.flush()
    for record in live:
        audit.record(
            db,
            actor=actor,
            action="consent.withdraw",
            object_type="consent",
            object_id=record.id,
            purpose="governance",
            detail={"case": case.id, "person": person.id, "purpose": record.purpose},
        )
    return live


def list_consents(db: Session, *, actor: Actor, case_id: str) -> list[ConsentRecord]:
    """Return every consent record of a case, withdrawn ones included (audited view)."""
    case = authorized_case(db, actor=actor, case_id=case_id, action=Action.CONSENT_VIEW)
    records = list(
        db.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.case_id == case.id)
            .order_by(ConsentRecord.created_at, ConsentRecord.purpose)
        )
    )
    audit.record(
        db,
        actor=actor,
        action="consent.view",
        object_type="case",
        object_id=case.id,
        purpose="governance",
    )
    return records


def agreed(db: Session, *, case_id: str, purpose: Purpose, today: date | None = None) -> set[str]:
    """Return the ids of the case people whose consent currently covers `purpose`."""
    records = db.scalars(
        select(ConsentRecord).where(
            ConsentRecord.case_id == case_id,
            ConsentRecord.purpose == str(purpose),
            ConsentRecord.withdrawn_at.is_(None),
        )
    )
    return {r.person_id for r in records if is_current(r, today=today)}


def require_purpose(
    db: Session,
    *,
    actor: Actor,
    case_id: str,
    person_ids: Collection[str],
    purpose: Purpose,
    filming: bool = False,
    object_type: str = "case",
    object_id: str = "-",
) -> None:
    """Refuse (audited) unless a current consent or basis covers `purpose` for everyone
    identifiable among `person_ids` (see consent.rules for who must agree).

    The refusal names the purpose, never the people.
    """
    people = [
        Person(id=p.id, kind=p.kind, parental_responsibility=p.parental_responsibility)
        for p in db.scalars(select(CasePerson).where(CasePerson.case_id == case_id))
    ]
    requirement = who_must_agree(people, filmed=person_ids, filming=filming)
    if requirement.met_by(agreed(db, case_id=case_id, purpose=purpose)):
        return
    audit.record_failure(
        db,
        actor=actor,
        action="consent.check",
        object_type=object_type,
        object_id=object_id,
        outcome="denied",
        purpose=str(purpose),
        detail={"case": case_id, "missing_purpose": str(purpose)},
    )
    if filming:
        message = (
            f"filming needs current consent for {purpose} from every caregiver with "
            "parental responsibility in this case; record it first"
        )
    else:
        message = (
            f"there is no current consent for {purpose} from everyone who can be seen in this film"
        )
    raise ConsentMissing(message, purpose=purpose)


def consent_read(record: ConsentRecord) -> ConsentRead:
    return ConsentRead(
        id=record.id,
        case_id=record.case_id,
        person_id=record.person_id,
        purpose=Purpose(record.purpose),
        basis=LawfulBasis(record.basis),
        text_version=record.text_version,
        retention_months=record.retention_months,
        access=record.access,
        method=Method(record.method),
        given_by=record.given_by,
        witness=record.witness,
        given_on=record.given_on,
        expires_on=record.expires_on,
        withdrawn_at=record.withdrawn_at,
        recorded_by=record.recorded_by,
        created_at=record.created_at,
        current=is_current(record),
    )

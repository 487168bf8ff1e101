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
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from attunely.accounts.models import User
from attunely.audit import service as audit
from attunely.cases.models import Case, CasePerson
from attunely.cases.service import authorized_case
from attunely.config import Settings, get_settings
from attunely.consent import signature as signatures
from attunely.consent import texts
from attunely.consent.models import ConsentRecord, ConsentText
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
from attunely.errors import Conflict, InvalidInput, NotFound, PermissionDenied
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


def current_text(settings: Settings) -> texts.ConsentText:
    """Return the consent form as the live settings and access policy fill it today."""
    return texts.render(settings)


def _keep_text(db: Session, text: texts.ConsentText) -> None:
    """Store the form's words once; two recordings at the same moment may both try."""
    values = {
        "sha256": text.sha256,
        "version": text.version,
        "plain_text": text.plain,
        "full_text": text.full,
        "created_at": utcnow(),
    }
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    db.execute(
        dialect.insert(ConsentText)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["sha256"])
    )


def _witness(db: Session, *, actor: Actor, data: ConsentCreate) -> str:
    """On the tablet the witness is the signed-in practitioner, whatever the form says."""
    if data.method == Method.PAPER:
        return data.witness
    if not actor.local_operator:
        user = db.get(User, actor.id)
        return user.display_name if user is not None else actor.label
    if not data.witness:
        raise InvalidInput("a typed name must be witnessed: name the witness", field="witness")
    return data.witness


def _form(
    db: Session, *, data: ConsentCreate, settings: Settings | None
) -> tuple[str, str | None, int | None, str | None]:
    """Return (version, hash, retention months, access) of the form the consent was given on.

    A form Attunely showed is named by its hash and must still be the current form: words
    shown before a setting changed are no longer true, so that consent is asked again.
    """
    if data.text_sha256 is None:
        if data.method == Method.SIGNATURE:
            raise InvalidInput(
                "a drawn signature is given on the form shown on the tablet: name it",
                field="text_sha256",
            )
        assert data.text_version is not None  # the schema asks for one of the two
        return data.text_version, None, data.retention_months, data.access
    live = settings or get_settings()
    shown = current_text(live)
    if data.text_sha256 != shown.sha256:
        raise Conflict(
            "the consent form has changed since it was shown (a setting it describes "
            "changed): show the new form and ask again"
        )
    _keep_text(db, shown)
    return shown.version, shown.sha256, texts.film_retention_months(live), None


def record_consent(
    db: Session,
    *,
    actor: Actor,
    case_id: str,
    data: ConsentCreate,
    settings: Settings | None = None,
) -> list[ConsentRecord]:
    """Record one caregiver's agreement to each purpose; one audited record per purpose.

    `settings` fill the consent form that `data.text_sha256` names (default: the process's).
    """
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
    drawn = signatures.parse(data.signature) if data.method == Method.SIGNATURE else None
    witness = _witness(db, actor=actor, data=data)
    version, sha256, retention, access = _form(db, data=data, settings=settings)
    if retention is None or (access is None and sha256 is None):
        raise InvalidInput(
            "a paper form must state how long footage is kept and who has access",
            field="retention_months" if retention is None else "access",
        )
    made = []
    for purpose in data.purposes:
        record = ConsentRecord(
            case_id=case.id,
            person_id=person.id,
            purpose=str(purpose),
            basis=str(data.basis),
            text_version=version,
            text_sha256=sha256,
            retention_months=retention,
            access=access or texts.who_has_access(purpose),
            method=str(data.method),
            given_by=data.given_by,
            witness=witness,
            signature=drawn,
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
                "text_sha256": record.text_sha256,
                "expires_on": record.expires_on.isoformat() if record.expires_on else None,
            },
        )
    from attunely.retention import coverage

    # Consent given again within the grace period: the film is no longer shredded.
    coverage.cancel_covered(db, actor=actor, case_id=case.id)
    return made


def withdraw_consent(
    db: Session,
    *,
    actor: Actor,
    case_id: str,
    data: ConsentWithdraw,
    shred_grace_days: float | None = None,
) -> list[ConsentRecord]:
    """Withdraw a caregiver's consent to each purpose, at once; the records stay, stamped.

    A film no purpose covers any more is scheduled for crypto-shredding after
    `shred_grace_days` (default: the `shred_grace_days` setting); see attunely.retention.
    """
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
    from attunely.retention import coverage  # retention builds on consent, not the reverse

    coverage.schedule_uncovered(db, actor=actor, case_id=case.id, grace_days=shred_grace_days)
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


def text_given(
    db: Session, *, actor: Actor, case_id: str, record_id: str
) -> tuple[ConsentRecord, ConsentText | None]:
    """Return a consent record and the exact form it was given on (None: a paper form whose
    words Attunely never had); audited."""
    case = authorized_case(db, actor=actor, case_id=case_id, action=Action.CONSENT_VIEW)
    record = db.get(ConsentRecord, record_id) if is_id(record_id) else None
    if record is None or record.case_id != case.id:
        raise NotFound("no such consent record in this case")
    text = db.get(ConsentText, record.text_sha256) if record.text_sha256 else None
    audit.record(
        db,
        actor=actor,
        action="consent.view",
        object_type="consent",
        object_id=record.id,
        purpose="governance",
    )
    return record, text


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
        text_sha256=record.text_sha256,
        retention_months=record.retention_months,
        access=record.access,
        method=Method(record.method),
        given_by=record.given_by,
        witness=record.witness,
        signed=record.signature is not None,
        given_on=record.given_on,
        expires_on=record.expires_on,
        withdrawn_at=record.withdrawn_at,
        recorded_by=record.recorded_by,
        created_at=record.created_at,
        current=is_current(record),
    )

"""Legal holds: a case or film under one never expires and is never shredded (audited)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from attunely.audit import service as audit
from attunely.cases.models import Case
from attunely.db import utcnow
from attunely.errors import Conflict, InvalidInput, NotFound
from attunely.films.models import Film
from attunely.guard import require
from attunely.inputs import is_id
from attunely.policy import Action, Actor
from attunely.retention.models import LegalHold

MAX_REASON = 1000


def _reason(text: str, field: str = "reason") -> str:
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InvalidInput("say why (a legal hold is always explained)", field=field)
    if len(cleaned) > MAX_REASON:
        raise InvalidInput(f"keep the reason under {MAX_REASON} characters", field=field)
    return cleaned


def visible_case(db: Session, *, actor: Actor, case_id: str) -> Case:
    """Return a case of the actor's organisation (any case for the local operator)."""
    case = db.get(Case, case_id) if is_id(case_id) else None
    if case is None or (not actor.local_operator and case.organisation_id != actor.organisation_id):
        raise NotFound("no such case")
    return case


def cases_of(db: Session, *, actor: Actor) -> list[Case]:
    """Return the cases of the actor's organisation (every case for the local operator)."""
    query = select(Case).order_by(Case.reference)
    if not actor.local_operator:
        query = query.where(Case.organisation_id == actor.organisation_id)
    return list(db.scalars(query))


def active_holds(db: Session, *, case_id: str | None = None) -> list[LegalHold]:
    """Return the holds not yet lifted, of one case or all, oldest first."""
    query = select(LegalHold).where(LegalHold.lifted_at.is_(None))
    if case_id is not None:
        query = query.where(LegalHold.case_id == case_id)
    return list(db.scalars(query.order_by(LegalHold.set_at)))


def hold_on(db: Session, *, case_id: str, film_id: str | None = None) -> LegalHold | None:
    """Return the hold that blocks a case (any hold in it) or one film (its own or its
    case's), or None."""
    for hold in active_holds(db, case_id=case_id):
        if film_id is None or hold.film_id in (None, film_id):
            return hold
    return None


def set_hold(
    db: Session, *, actor: Actor, case_id: str, reason: str, film_id: str | None = None
) -> LegalHold:
    """Put a case, or one of its films, on legal hold (audited)."""
    require(db, actor=actor, action=Action.RETENTION_HOLD, object_type="case", object_id=case_id)
    case = visible_case(db, actor=actor, case_id=case_id)
    why = _reason(reason)
    if film_id:
        film = db.get(Film, film_id) if is_id(film_id) else None
        if film is None or film.case_id != case.id:
            raise InvalidInput("choose a film of this case", field="film_id")
    for hold in active_holds(db, case_id=case.id):
        if hold.film_id == (film_id or None):
            raise Conflict("this is already on legal hold")
    hold = LegalHold(case_id=case.id, film_id=film_id or None, reason=why, set_by=actor.audit_id)
    db.add(hold)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="retention.hold.set",
        object_type="film" if film_id else "case",
        object_id=film_id or case.id,
        purpose="governance",
        detail={"hold": hold.id, "case": case.id, "reason": why},
    )
    return hold


def lift_hold(db: Session, *, actor: Actor, hold_id: str, reason: str) -> LegalHold:
    """Lift a legal hold, saying why (audited); the hold stays on record, stamped."""
    require(db, actor=actor, action=Action.RETENTION_HOLD, object_type="hold", object_id=hold_id)
    hold = db.get(LegalHold, hold_id, with_for_update=True) if is_id(hold_id) else None
    if hold is None:
        raise NotFound("no such legal hold")
    visible_case(db, actor=actor, case_id=hold.case_id)
    if hold.lifted_at is not None:
        raise Conflict("this legal hold was already lifted")
    why = _reason(reason)
    hold.lifted_at = utcnow()
    hold.lifted_by = actor.audit_id
    hold.lift_reason = why
    audit.record(
        db,
        actor=actor,
        action="retention.hold.lift",
        object_type="film" if hold.film_id else "case",
        object_id=hold.film_id or hold.case_id,
        purpose="governance",
        detail={"hold": hold.id, "case": hold.case_id, "reason": why},
    )
    db.flush()
    return hold


def find_case(db: Session, *, actor: Actor, reference: str) -> Case:
    """Return the case with this reference in the actor's organisation."""
    query = select(Case).where(Case.reference == reference.strip())
    if not actor.local_operator:
        query = query.where(Case.organisation_id == actor.organisation_id)
    case = db.scalars(query).first()
    if case is None:
        raise InvalidInput("no case has this reference", field="case")
    return case

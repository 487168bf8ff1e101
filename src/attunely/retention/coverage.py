"""Which films no consent purpose covers any more: schedule them for shredding, or cancel.

A film is covered while at least one purpose has a current consent (or basis) from everyone
whose agreement covers the people identifiable in it (`consent.rules.who_must_agree`, the
same rule the playback gate uses). Access is refused by that gate at once; shredding waits
for the grace period, so a mistaken withdrawal can be put right.
"""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from attunely.audit import service as audit
from attunely.cases.models import CasePerson
from attunely.config import get_settings
from attunely.consent import service as consent
from attunely.consent.models import ConsentRecord
from attunely.consent.rules import Person, who_must_agree
from attunely.consent.schemas import Purpose
from attunely.db import utcnow
from attunely.films.models import Film, FilmingSession
from attunely.policy import Actor
from attunely.retention.models import ErasureReceipt, ShredSchedule
from attunely.retention.rules import grace_due

WITHDRAWN = "consent_withdrawn"
EXPIRED = "consent_expired"


class Coverage:
    """Answer "does any purpose still cover this film?" for the films of one case."""

    def __init__(self, db: Session, case_id: str, *, ignore_expiry: bool = False) -> None:
        self.db = db
        self.case_id = case_id
        self.people = [
            Person(id=p.id, kind=p.kind, parental_responsibility=p.parental_responsibility)
            for p in db.scalars(select(CasePerson).where(CasePerson.case_id == case_id))
        ]
        if ignore_expiry:
            self.agreed = _agreed_ignoring_expiry(db, case_id)
        else:
            self.agreed = {p: consent.agreed(db, case_id=case_id, purpose=p) for p in Purpose}

    def _filmed(self, film: Film) -> list[str]:
        session = self.db.get(FilmingSession, film.session_id)
        return list(json.loads(session.filmed_people or "[]")) if session else []

    def consenters(self, film: Film) -> frozenset[str]:
        """Return whose agreement covers the people identifiable in the film."""
        return who_must_agree(self.people, filmed=self._filmed(film)).consenters

    def covered(self, film: Film) -> bool:
        """Say whether any purpose currently covers everyone identifiable in the film."""
        need = who_must_agree(self.people, filmed=self._filmed(film))
        return any(need.met_by(agreed) for agreed in self.agreed.values())


def _agreed_ignoring_expiry(db: Session, case_id: str) -> dict[Purpose, set[str]]:
    """Who agreed to each purpose and has not withdrawn, expired or not."""
    today = date.today()
    found: dict[Purpose, set[str]] = {p: set() for p in Purpose}
    for record in db.scalars(
        select(ConsentRecord).where(
            ConsentRecord.case_id == case_id, ConsentRecord.withdrawn_at.is_(None)
        )
    ):
        if record.given_on <= today and record.purpose in found:
            found[Purpose(record.purpose)].add(record.person_id)
    return found


def destroyed_films(db: Session, case_id: str) -> set[str]:
    """Return the ids of the case's films already shredded (they have a film receipt)."""
    return set(
        i
        for i in db.scalars(
            select(ErasureReceipt.film_id).where(
                ErasureReceipt.case_id == case_id, ErasureReceipt.record_class == "films"
            )
        )
        if i
    )


def pending(db: Session, *, film_id: str) -> ShredSchedule | None:
    """Return the film's open shredding schedule, if any."""
    return db.scalars(
        select(ShredSchedule).where(
            ShredSchedule.film_id == film_id, ShredSchedule.state == "scheduled"
        )
    ).first()


def schedule_uncovered(
    db: Session,
    *,
    actor: Actor,
    case_id: str,
    grace_days: float | None = None,
    now: datetime | None = None,
    trigger: str = WITHDRAWN,
) -> list[ShredSchedule]:
    """Schedule every film of the case that no purpose covers any more (audited).

    `grace_days` defaults to the `shred_grace_days` setting of the process. With the
    `consent_expired` trigger only films that consent would still cover but for its expiry
    are scheduled (not, say, films waiting for a newly added parent to agree).
    """
    moment = now or utcnow()
    if grace_days is None:
        grace_days = get_settings().shred_grace_days
    films = list(db.scalars(select(Film).where(Film.case_id == case_id).order_by(Film.created_at)))
    if not films:
        return []
    coverage = Coverage(db, case_id)
    lenient = Coverage(db, case_id, ignore_expiry=True) if trigger == EXPIRED else None
    gone = destroyed_films(db, case_id)
    made: list[ShredSchedule] = []
    for film in films:
        if film.id in gone or pending(db, film_id=film.id) or coverage.covered(film):
            continue
        if lenient is not None and not lenient.covered(film):
            continue
        why = "consent withdrawn" if trigger == WITHDRAWN else "consent expired"
        row = ShredSchedule(
            film_id=film.id,
            case_id=case_id,
            trigger=trigger,
            rule=(
                f"{why}: no purpose covers everyone identifiable in the film; "
                f"shredded after a grace period of {grace_days:g} days"
            ),
            scheduled_at=moment,
            due_at=grace_due(moment, grace_days),
            scheduled_by=actor.audit_id,
        )
        db.add(row)
        db.flush()
        audit.record(
            db,
            actor=actor,
            action="retention.shred.schedule",
            object_type="film",
            object_id=film.id,
            purpose="erasure",
            detail={"case": case_id, "schedule": row.id, "due_at": row.due_at.isoformat()},
        )
        made.append(row)
    return made


def cancel_covered(db: Session, *, actor: Actor, case_id: str) -> list[ShredSchedule]:
    """Cancel the schedules of films a purpose covers again (consent re-recorded; audited)."""
    rows = list(
        db.scalars(
            select(ShredSchedule).where(
                ShredSchedule.case_id == case_id, ShredSchedule.state == "scheduled"
            )
        )
    )
    if not rows:
        return []
    coverage = Coverage(db, case_id)
    cancelled: list[ShredSchedule] = []
    for row in rows:
        film = db.get(Film, row.film_id)
        if film is None or not coverage.covered(film):
            continue
        row.state = "cancelled"
        row.settled_at = utcnow()
        row.settled_by = actor.audit_id
        row.note = "consent recorded again before the due date"
        audit.record(
            db,
            actor=actor,
            action="retention.shred.cancel",
            object_type="film",
            object_id=row.film_id,
            purpose="erasure",
            detail={"case": case_id, "schedule": row.id, "reason": row.note},
        )
        cancelled.append(row)
    db.flush()
    return cancelled


def schedule_expired(
    db: Session,
    *,
    actor: Actor,
    grace_days: float,
    now: datetime | None = None,
    case_ids: set[str] | None = None,
) -> list[ShredSchedule]:
    """Schedule the films that no purpose covers because consent expired (periodic run),
    in the cases `case_ids` (None: every case)."""
    cases = db.scalars(
        select(ConsentRecord.case_id)
        .where(
            ConsentRecord.withdrawn_at.is_(None),
            ConsentRecord.expires_on.is_not(None),
            ConsentRecord.expires_on <= date.today(),
        )
        .distinct()
    )
    return [
        row
        for case_id in list(cases)
        if case_ids is None or case_id in case_ids
        for row in schedule_uncovered(
            db, actor=actor, case_id=case_id, grace_days=grace_days, now=now, trigger=EXPIRED
        )
    ]

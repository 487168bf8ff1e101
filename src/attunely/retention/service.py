"""What falls due, and expiring it: scheduled shredding after withdrawal, and retention.

`due` lists what is due (or due within some days), each with the rule that says so and the
legal hold that blocks it, if any. `run` expires what is due now: films and clips are
crypto-shredded, annotations deleted, case records anonymised, audit details blanked; every
action leaves a receipt and an erasure-ledger entry. `shred_due` does only the scheduled
shredding. Both commit after each item (then delete its ciphertext), so one failure leaves
the others done; a dry run changes nothing at all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from attunely.audit import service as audit
from attunely.cases.models import Case
from attunely.cases.schemas import CaseStatus
from attunely.config import Settings
from attunely.consent.models import ConsentRecord
from attunely.db import utcnow
from attunely.errors import AttunelyError, NotFound
from attunely.films.models import Film
from attunely.guard import require
from attunely.policy import Action, Actor
from attunely.retention import coverage, expiry, shredding
from attunely.retention.coverage import Coverage, destroyed_films
from attunely.retention.holds import active_holds, cases_of
from attunely.retention.models import ErasureReceipt, ShredSchedule
from attunely.retention.rules import (
    RecordClass,
    add_months,
    closing_due,
    footage_due,
    periods,
)
from attunely.vault import keyring
from attunely.vault.context import Vault
from attunely.workspace.models import Annotation, Clip, Still

log = logging.getLogger("attunely.retention")

#: Items due at the same moment are handled in this order: a clip gets its own receipt
#: before its film goes, and a case expires after its films.
ORDER = {"clip": 0, "still": 0, "schedule": 1, "film": 1, "annotations": 2, "case": 3, "audit": 4}


class Gone(NotFound):
    """The record was erased earlier in the same run (with its film)."""


@dataclass(frozen=True)
class DueItem:
    """One thing that falls due: what, of which case, when, by which rule, and any hold."""

    record_class: str
    subject_type: str
    subject_id: str
    case_id: str | None
    case_reference: str
    due_at: datetime
    rule: str
    trigger: str = "retention"
    hold: str | None = None
    #: The film a schedule, clip, still or annotations belong to.
    film_id: str | None = None

    def describe(self) -> str:
        what = {
            "schedule": "film",
            "film": "film",
            "clip": "clip",
            "still": "still",
            "annotations": "annotations of film",
            "case": "case records of",
            "audit": "audit details",
        }[self.subject_type]
        where = f" (case {self.case_reference})" if self.case_reference else ""
        subject = self.case_reference if self.subject_type == "case" else self.subject_id[:8]
        if self.subject_type == "schedule" and self.film_id:
            subject = self.film_id[:8]
        return f"{what} {subject}{where}"


def closed_at(case: Case) -> datetime | None:
    """Return when a case closed: a closed case is never changed again, so its last update."""
    return case.updated_at if case.status == CaseStatus.CLOSED else None


def _consent_months(db: Session, case: Case) -> dict[str, int]:
    """Return each person's shortest stated retention across their consent records."""
    found: dict[str, int] = {}
    for person, months in db.execute(
        select(ConsentRecord.person_id, func.min(ConsentRecord.retention_months))
        .where(ConsentRecord.case_id == case.id)
        .group_by(ConsentRecord.person_id)
    ):
        found[person] = int(months)
    return found


def _case_items(db: Session, settings: Settings, case: Case) -> Iterator[DueItem]:
    months = periods(settings)
    closed = closed_at(case)
    holds = active_holds(db, case_id=case.id)
    case_hold = next((h.reason for h in holds if h.film_id is None), None)
    film_holds = {h.film_id: h.reason for h in holds if h.film_id}
    gone = destroyed_films(db, case.id)
    scheduled = {
        s.film_id: s
        for s in db.scalars(
            select(ShredSchedule).where(
                ShredSchedule.case_id == case.id, ShredSchedule.state == "scheduled"
            )
        )
    }
    stated = _consent_months(db, case)
    coverage: Coverage | None = None
    for film in db.scalars(select(Film).where(Film.case_id == case.id).order_by(Film.created_at)):
        base = {"case_id": case.id, "case_reference": case.reference, "film_id": film.id}
        hold = case_hold or film_holds.get(film.id)
        if film.id not in gone:
            if film.id in scheduled:
                row = scheduled[film.id]
                yield DueItem(
                    "films", "schedule", row.id, due_at=row.due_at, rule=row.rule,
                    trigger=row.trigger, hold=hold, **base,
                )  # fmt: skip
            coverage = coverage or Coverage(db, case.id)
            limits = [stated[p] for p in coverage.consenters(film) if p in stated]
            subjects = [(RecordClass.FILMS, "film", film.id)]
            subjects += [
                (RecordClass.CLIPS, "clip", c)
                for c in db.scalars(select(Clip.id).where(Clip.film_id == film.id))
            ]
            subjects += [
                (RecordClass.CLIPS, "still", c)
                for c in db.scalars(select(Still.id).where(Still.film_id == film.id))
            ]
            for cls, kind, subject in subjects:
                found = footage_due(
                    record_class=cls,
                    period_months=months[cls],
                    closed_at=closed,
                    uploaded_at=film.created_at,
                    consent_months=limits,
                )
                if found is not None:
                    yield DueItem(
                        str(cls), kind, subject, due_at=found.at, rule=found.rule,
                        hold=hold, **base,
                    )  # fmt: skip
        count = db.scalar(
            select(func.count()).select_from(Annotation).where(Annotation.film_id == film.id)
        )
        found = closing_due(
            record_class=RecordClass.ANNOTATIONS,
            period_months=months[RecordClass.ANNOTATIONS],
            closed_at=closed,
        )
        if count and found is not None:
            yield DueItem(
                "annotations", "annotations", film.id, due_at=found.at,
                rule=f"{found.rule}; {count} coded events", hold=hold, **base,
            )  # fmt: skip
    found = closing_due(
        record_class=RecordClass.CASE_RECORDS,
        period_months=months[RecordClass.CASE_RECORDS],
        closed_at=closed,
    )
    if found is not None and not _expired_case(db, case.id):
        any_hold = case_hold or next(iter(film_holds.values()), None)
        yield DueItem(
            "case_records", "case", case.id, due_at=found.at, rule=found.rule,
            hold=any_hold, case_id=case.id, case_reference=case.reference,
        )  # fmt: skip


def _expired_case(db: Session, case_id: str) -> bool:
    return (
        db.scalar(
            select(func.count())
            .select_from(ErasureReceipt)
            .where(ErasureReceipt.case_id == case_id, ErasureReceipt.record_class == "case_records")
        )
        or 0
    ) > 0


def audit_cutoff(moment: datetime, settings: Settings) -> datetime:
    """Return before when audit details are blanked at `moment`: whole days, so frequent
    runs make at most one receipt a day."""
    start = add_months(moment, -settings.retention_audit_months)
    return start.replace(hour=0, minute=0, second=0, microsecond=0)


def _audit_item(db: Session, settings: Settings, horizon: datetime) -> DueItem | None:
    months = settings.retention_audit_months
    count, oldest = expiry.audit_to_minimise(db, before=audit_cutoff(horizon, settings))
    if not count or oldest is None:
        return None
    return DueItem(
        "audit",
        "audit",
        "audit",
        case_id=None,
        case_reference="",
        due_at=add_months(datetime.fromisoformat(oldest), months),
        rule=f"audit: details blanked {months} months after each entry ({count} entries); "
        "entries are kept so the chain verifies",
    )


def due(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    now: datetime | None = None,
    within_days: float = 0.0,
) -> list[DueItem]:
    """List what falls due by `now` + `within_days`, soonest first (nothing is changed)."""
    require(db, actor=actor, action=Action.RETENTION_VIEW, object_type="retention")
    horizon = (now or utcnow()) + timedelta(days=within_days)
    items = [
        item
        for case in cases_of(db, actor=actor)
        for item in _case_items(db, settings, case)
        if item.due_at <= horizon
    ]
    audit_item = _audit_item(db, settings, horizon)
    if audit_item is not None:
        items.append(audit_item)
    return sorted(items, key=lambda i: (i.due_at, ORDER[i.subject_type], i.subject_id))


@dataclass
class RunReport:
    """One line per thing done (or that would be done), the receipts, and the counts."""

    dry_run: bool
    lines: list[str] = field(default_factory=list)
    receipts: list[ErasureReceipt] = field(default_factory=list)
    done: int = 0
    held: int = 0
    failed: int = 0

    def summary(self) -> str:
        verb = "would expire" if self.dry_run else "expired"
        return f"{verb} {self.done}, held {self.held}, failed {self.failed}" + (
            " (dry run: nothing changed)" if self.dry_run else ""
        )


def _apply(
    db: Session, *, vault: Vault, actor: Actor, settings: Settings, item: DueItem, now: datetime
) -> tuple[ErasureReceipt, list[str]]:
    if item.subject_type in ("schedule", "film"):
        # Locked and read afresh: another worker may be expiring the same film right now.
        schedule = (
            db.get(ShredSchedule, item.subject_id, with_for_update=True, populate_existing=True)
            if item.subject_type == "schedule"
            else None
        )
        if schedule is not None and schedule.state != "scheduled":
            raise Gone(f"the schedule was {schedule.state} meanwhile")
        film_id = schedule.film_id if schedule else item.subject_id
        film = db.get(Film, film_id, with_for_update=True, populate_existing=True)
        if film is None:
            raise Gone("the film is gone")
        if film.id in destroyed_films(db, film.case_id):
            raise Gone("the film was shredded already")
        erased = shredding.shred_film(
            db,
            actor=actor,
            settings=settings,
            film=film,
            trigger=item.trigger,
            rule=item.rule,
            drop_annotations=item.trigger != "retention",
        )
        if schedule is not None:
            schedule.state = "done"
            schedule.settled_at = now
            schedule.settled_by = actor.audit_id
            schedule.receipt_id = erased.receipt.id
        return erased.receipt, erased.storage_keys
    case = db.get(Case, item.case_id) if item.case_id else None
    if item.subject_type in ("clip", "still") and case is not None:
        made = db.get(Clip, item.subject_id) if item.subject_type == "clip" else None
        still = db.get(Still, item.subject_id) if item.subject_type == "still" else None
        parent = made.film_id if made else still.film_id if still else None
        if parent is None:
            raise Gone(f"the {item.subject_type} was erased with its film")
        erased = shredding.delete_records(
            db, actor=actor, settings=settings, case=case, record_class="clips",
            rule=item.rule, film_id=parent,
            clips=[made.id] if made else [], stills=[still.id] if still else [],
        )  # fmt: skip
        return erased.receipt, erased.storage_keys
    if item.subject_type == "annotations" and case is not None:
        ids = list(db.scalars(select(Annotation.id).where(Annotation.film_id == item.subject_id)))
        erased = shredding.delete_records(
            db, actor=actor, settings=settings, case=case, record_class="annotations",
            rule=item.rule, annotations=ids, film_id=item.subject_id,
        )  # fmt: skip
        return erased.receipt, erased.storage_keys
    if item.subject_type == "case" and case is not None:
        return expiry.expire_case(
            db, vault=vault, actor=actor, settings=settings, case=case, rule=item.rule
        )
    if item.subject_type == "audit":
        before = audit_cutoff(now, settings)
        receipt = expiry.minimise_audit(
            db, actor=actor, settings=settings, before=before, rule=item.rule
        )
        return receipt, []
    raise NotFound("nothing to expire")


def run(
    db: Session,
    *,
    vault: Vault,
    actor: Actor,
    settings: Settings,
    now: datetime | None = None,
    dry_run: bool = False,
    only_scheduled: bool = False,
) -> RunReport:
    """Expire everything due by `now` (only scheduled shredding with `only_scheduled`).

    Commits after each item and then deletes its ciphertext; with `dry_run` nothing is
    written and the transaction is rolled back.
    """
    moment = now or utcnow()
    require(db, actor=actor, action=Action.RETENTION_RUN, object_type="retention")
    scheduled = [] if dry_run else _schedule_expired(db, actor=actor, settings=settings, now=now)
    items = due(db, actor=actor, settings=settings, now=moment)
    if only_scheduled:
        items = [i for i in items if i.subject_type == "schedule"]
    report = RunReport(dry_run=dry_run)
    report.lines += [
        f"scheduled film {row.film_id[:8]}: consent expired; shredded from "
        f"{row.due_at.isoformat(timespec='minutes')} unless consent is given again"
        for row in scheduled
    ]
    for item in items:
        if item.hold is not None:
            report.held += 1
            report.lines.append(f"held      {item.describe()}: legal hold ({item.hold})")
            continue
        if dry_run:
            report.done += 1
            report.lines.append(f"would     {_verb(item)} {item.describe()}: {item.rule}")
            continue
        try:
            receipt, storage_keys = _apply(
                db, vault=vault, actor=actor, settings=settings, item=item, now=moment
            )
            db.commit()
        except Gone as exc:
            db.rollback()
            report.lines.append(f"gone      {item.describe()}: {exc.message}")
            continue
        except (AttunelyError, SQLAlchemyError) as exc:
            db.rollback()
            report.failed += 1
            message = exc.message if isinstance(exc, AttunelyError) else type(exc).__name__
            log.error("retention: %s failed: %s", item.describe(), message)
            report.lines.append(f"failed    {item.describe()}: {message}")
            continue
        removed = keyring.purge_blobs(vault, storage_keys=storage_keys)
        report.done += 1
        report.receipts.append(receipt)
        extra = f", {removed} blobs deleted" if removed else ""
        report.lines.append(f"{_verb(item):<9} {item.describe()}: receipt {receipt.id}{extra}")
    if dry_run:
        db.rollback()
    elif report.done or report.failed:
        audit.record(
            db,
            actor=actor,
            action="retention.run",
            object_type="retention",
            object_id="-",
            purpose="erasure",
            detail={"done": report.done, "held": report.held, "failed": report.failed},
        )
        db.commit()
    return report


def _schedule_expired(
    db: Session, *, actor: Actor, settings: Settings, now: datetime | None
) -> list[ShredSchedule]:
    visible = None if actor.local_operator else {c.id for c in cases_of(db, actor=actor)}
    rows = coverage.schedule_expired(
        db, actor=actor, grace_days=settings.shred_grace_days, now=now, case_ids=visible
    )
    if rows:
        db.commit()
    return rows


def _verb(item: DueItem) -> str:
    return {
        "schedule": "shred",
        "film": "shred",
        "clip": "delete",
        "still": "delete",
        "annotations": "delete",
        "case": "anonymise",
        "audit": "blank",
    }[item.subject_type]


def shred_due(
    db: Session,
    *,
    vault: Vault,
    actor: Actor,
    settings: Settings,
    now: datetime | None = None,
) -> list[ErasureReceipt]:
    """Shred the films whose grace period after withdrawal has ended; return the receipts."""
    report = run(db, vault=vault, actor=actor, settings=settings, now=now, only_scheduled=True)
    return report.receipts

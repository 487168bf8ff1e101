"""Data rights, the rules: subject access requests and their deadline, the package, erasure.

`inventory` (rights.inventory) answers "what do we hold about this person"; the package and
erasure are built on it. Every function here checks the policy and is audited.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from attunely.audit import service as audit
from attunely.cases.models import Case, CasePerson
from attunely.config import Settings
from attunely.db import utcnow
from attunely.errors import Conflict, NotFound
from attunely.guard import require
from attunely.inputs import is_id
from attunely.policy import Action, Actor
from attunely.rights import erasure, package
from attunely.rights.inventory import Inventory, find_person, inventory
from attunely.rights.models import AccessRequest, ErasureReceipt
from attunely.rights.schemas import CaseErasure, PersonErasure, RequestCreate
from attunely.vault.context import Vault

__all__ = ["Inventory", "inventory"]


def due_date(received: date) -> date:
    """Return the deadline: the same day next month (or that month's last day), moved off a
    weekend to the Monday. Public holidays are not known here; the DPO allows for them."""
    year, month = (
        (received.year + 1, 1) if received.month == 12 else (received.year, received.month + 1)
    )
    day = min(received.day, calendar.monthrange(year, month)[1])
    due = date(year, month, day)
    while due.weekday() >= 5:
        due += timedelta(days=1)
    return due


def _gate(db: Session, actor: Actor, action: Action, *, object_type: str, object_id: str) -> None:
    require(db, actor=actor, action=action, object_type=object_type, object_id=object_id)


def _own_case(actor: Actor, case: Case | None) -> Case:
    """Refuse a case of another organisation as if it did not exist."""
    if case is None or (not actor.local_operator and case.organisation_id != actor.organisation_id):
        raise NotFound("no such case")
    return case


def _person(db: Session, actor: Actor, person_id: str) -> tuple[CasePerson, Case]:
    person = find_person(db, person_id=person_id)
    case = _own_case(actor, db.get(Case, person.case_id))
    return person, case


# --- requests ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestView:
    """A request as the DPO page shows it."""

    id: str
    person_id: str
    person_name: str
    case_reference: str
    received_on: date
    due_on: date
    days_left: int
    overdue: bool
    state: str
    note: str
    packages_made: int
    completed_on: date | None


def open_request(db: Session, *, actor: Actor, data: RequestCreate) -> AccessRequest:
    """Record a subject access request received on `data.received_on`."""
    _gate(db, actor, Action.RIGHTS_VIEW, object_type="person", object_id=data.person_id)
    person, case = _person(db, actor, data.person_id)
    row = AccessRequest(
        person_id=person.id,
        case_id=case.id,
        received_on=data.received_on,
        due_on=due_date(data.received_on),
        note=data.note,
        created_by=actor.audit_id,
    )
    db.add(row)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="rights.request.open",
        object_type="rights_request",
        object_id=row.id,
        purpose="subject_access",
        detail={"person": person.id, "case": case.id, "due_on": row.due_on.isoformat()},
    )
    return row


def list_requests(db: Session, *, actor: Actor, today: date | None = None) -> list[RequestView]:
    """Return every request, open ones first by deadline, with days left."""
    _gate(db, actor, Action.RIGHTS_VIEW, object_type="rights_request", object_id="-")
    today = today or date.today()
    rows = list(db.scalars(select(AccessRequest)))
    people = {
        p.id: p
        for p in db.scalars(
            select(CasePerson).where(CasePerson.id.in_({r.person_id for r in rows}))
        )
    }
    cases = {
        c.id: c for c in db.scalars(select(Case).where(Case.id.in_({r.case_id for r in rows})))
    }
    views = []
    for r in rows:
        case = cases.get(r.case_id)
        if (
            case is not None
            and not actor.local_operator
            and case.organisation_id != actor.organisation_id
        ):
            continue
        person = people.get(r.person_id)
        done = r.state == "complete"
        views.append(
            RequestView(
                id=r.id,
                person_id=r.person_id,
                person_name=person.display_name if person else "erased person",
                case_reference=case.reference if case else "erased case",
                received_on=r.received_on,
                due_on=r.due_on,
                days_left=(r.due_on - today).days,
                overdue=not done and today > r.due_on,
                state=r.state,
                note=r.note,
                packages_made=r.packages_made,
                completed_on=r.completed_at.date() if r.completed_at else None,
            )
        )
    views.sort(key=lambda v: (v.state == "complete", v.due_on))
    audit.record(
        db,
        actor=actor,
        action="rights.request.list",
        object_type="rights_request",
        object_id="-",
        purpose="subject_access",
        detail={"shown": len(views)},
    )
    return views


def _request(db: Session, actor: Actor, request_id: str) -> AccessRequest:
    row = db.get(AccessRequest, request_id) if is_id(request_id) else None
    if row is None:
        raise NotFound("no such request")
    case = db.get(Case, row.case_id)
    if case is not None:
        _own_case(actor, case)
    return row


def complete_request(db: Session, *, actor: Actor, request_id: str) -> AccessRequest:
    """Mark a request answered."""
    _gate(db, actor, Action.RIGHTS_VIEW, object_type="rights_request", object_id=request_id)
    row = _request(db, actor, request_id)
    if row.state == "complete":
        raise Conflict("this request is already complete")
    row.state = "complete"
    row.completed_at = utcnow()
    row.completed_by = actor.audit_id
    audit.record(
        db,
        actor=actor,
        action="rights.request.complete",
        object_type="rights_request",
        object_id=row.id,
        purpose="subject_access",
        detail={"late": row.completed_at.date() > row.due_on},
    )
    return row


# --- the package --------------------------------------------------------------------------


def prepare_package(
    db: Session,
    *,
    vault: Vault,
    actor: Actor,
    person_id: str | None = None,
    request_id: str | None = None,
) -> package.Package:
    """Gather the subject access package about a person, or the person a request is about
    (audited). Commit, then stream it with `package.iter_zip`."""
    target = request_id or person_id or "-"
    _gate(db, actor, Action.RIGHTS_EXPORT, object_type="person", object_id=target)
    if request_id is not None:
        row = _request(db, actor, request_id)
        person_id = row.person_id
        row.packages_made += 1
        row.last_package_at = utcnow()
    person, case = _person(db, actor, person_id or "")
    inv = inventory(db, case_id=case.id, person_id=person.id)
    return package.build(db, vault=vault, actor=actor, inv=inv)


# --- erasure ------------------------------------------------------------------------------


def erase_person(
    db: Session, *, settings: Settings, actor: Actor, data: PersonErasure
) -> erasure.Outcome:
    """Erase a person (see rights.erasure). Commit, then purge `storage_keys`."""
    _gate(db, actor, Action.RIGHTS_ERASE, object_type="person", object_id=data.person_id)
    person, _case = _person(db, actor, data.person_id)
    return erasure.erase_person(
        db, settings=settings, actor=actor, person_id=person.id, reason=data.reason
    )


def find_case(db: Session, *, actor: Actor, reference: str) -> Case:
    """Return the actor's organisation's case with this reference."""
    query = select(Case).where(Case.reference == reference)
    if not actor.local_operator:
        query = query.where(Case.organisation_id == actor.organisation_id)
    found = list(db.scalars(query))
    if len(found) != 1:
        raise NotFound(f"no case {reference}" if not found else "several cases have that reference")
    return found[0]


def erase_case(
    db: Session, *, settings: Settings, vault: Vault, actor: Actor, data: CaseErasure
) -> erasure.Outcome:
    """Erase a whole case by reference (see rights.erasure). Commit, then purge."""
    _gate(db, actor, Action.RIGHTS_ERASE, object_type="case", object_id=data.reference)
    case = find_case(db, actor=actor, reference=data.reference)
    return erasure.erase_case(
        db, settings=settings, vault=vault, actor=actor, case_id=case.id, reason=data.reason
    )


def receipts(db: Session, *, actor: Actor, limit: int = 50) -> list[ErasureReceipt]:
    """Return the newest erasure receipts."""
    _gate(db, actor, Action.RIGHTS_VIEW, object_type="rights_erasure", object_id="-")
    query = select(ErasureReceipt).order_by(ErasureReceipt.erased_at.desc()).limit(limit)
    return list(db.scalars(query))


def receipt(db: Session, *, actor: Actor, receipt_id: str) -> ErasureReceipt:
    """Return one erasure receipt."""
    _gate(db, actor, Action.RIGHTS_VIEW, object_type="rights_erasure", object_id=receipt_id)
    row = db.get(ErasureReceipt, receipt_id) if is_id(receipt_id) else None
    if row is None:
        raise NotFound("no such erasure receipt")
    return row


def people(db: Session, *, actor: Actor) -> list[dict[str, Any]]:
    """Everyone in the organisation's cases, for choosing whom a request is about."""
    _gate(db, actor, Action.RIGHTS_VIEW, object_type="person", object_id="-")
    query = select(CasePerson, Case).join(Case, Case.id == CasePerson.case_id)
    if not actor.local_operator:
        query = query.where(Case.organisation_id == actor.organisation_id)
    return [
        {"id": p.id, "name": p.display_name, "kind": p.kind, "case": c.reference, "case_id": c.id}
        for p, c in db.execute(query.order_by(Case.reference, CasePerson.created_at))
    ]

"""Write and verify the hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from attunely.audit.models import AuditEntry, AuditHead
from attunely.db import utcnow
from attunely.inputs import printable
from attunely.policy import Actor

GENESIS_HASH = "0" * 64
_BATCH = 2000


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_detail(detail: dict[str, Any] | None) -> str | None:
    """Serialise a detail mapping so the same content always gives the same digest."""
    if detail is None:
        return None
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(
    *,
    seq: int,
    at: str,
    actor_id: str,
    action: str,
    object_type: str,
    object_id: str,
    purpose: str,
    outcome: str,
    detail_digest: str,
    prev_hash: str,
) -> str:
    """Hash one entry's identifying fields together with the previous entry's hash."""
    # A JSON array keeps field boundaries unambiguous ("ab","c" never equals "a","bc").
    payload = json.dumps(
        [
            seq,
            at,
            actor_id,
            action,
            object_type,
            object_id,
            purpose,
            outcome,
            detail_digest,
            prev_hash,
        ],
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return _digest(payload)


def hash_of(entry: AuditEntry) -> str:
    """Return the hash an entry should carry, from its own fields."""
    return entry_hash(
        seq=entry.seq,
        at=entry.at,
        actor_id=entry.actor_id,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        purpose=entry.purpose,
        outcome=entry.outcome,
        detail_digest=entry.detail_digest,
        prev_hash=entry.prev_hash,
    )


def record(
    db: Session,
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str,
    outcome: str = "success",
    purpose: str = "operations",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry inside the caller's transaction; it commits or rolls back with it."""
    # Lock the head row: writers queue here, so sequence numbers have no gaps or forks.
    head = db.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    detail_text = canonical_detail(detail)
    seq = head.seq + 1
    at = utcnow().isoformat(timespec="microseconds")
    digest = _digest(detail_text or "")
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor_id=printable(actor.audit_id),
        action=printable(action, 64),
        object_type=printable(object_type, 40),
        object_id=printable(object_id),
        purpose=purpose,
        outcome=outcome,
        detail=detail_text,
        detail_digest=digest,
        prev_hash=head.hash,
    )
    entry.hash = hash_of(entry)
    db.add(entry)
    head.seq = seq
    head.hash = entry.hash
    db.flush()
    return entry


def record_failure(
    db: Session,
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str,
    outcome: str,
    purpose: str = "operations",
    detail: dict[str, Any] | None = None,
) -> None:
    """Record a refusal or failure durably, apart from the failed unit of work.

    The failed work is rolled back first, so nothing half-done is committed with it.
    """
    db.rollback()
    record(
        db,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        outcome=outcome,
        purpose=purpose,
        detail=detail,
    )
    db.commit()


@dataclass(frozen=True)
class VerifyReport:
    """What verification found. `first_broken` is the sequence number of the first bad entry."""

    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    first_broken: int | None = None
    problem: str | None = None


def _iter_entries(db: Session) -> Iterator[AuditEntry]:
    last = 0
    while True:
        batch = db.scalars(
            select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(_BATCH)
        ).all()
        if not batch:
            return
        yield from batch
        last = batch[-1].seq


def verify(db: Session) -> VerifyReport:
    """Recompute the whole chain and report the first entry that does not fit."""
    head = db.get(AuditHead, 1)
    head_seq = head.seq if head else 0
    head_hash = head.hash if head else GENESIS_HASH
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0

    def broken(seq: int, problem: str) -> VerifyReport:
        return VerifyReport(False, checked, head_seq, head_hash, seq, problem)

    for entry in _iter_entries(db):
        if entry.seq != expected_seq:
            return broken(expected_seq, f"entry {expected_seq} is missing")
        if entry.prev_hash != prev_hash:
            return broken(entry.seq, f"entry {entry.seq} does not follow entry {entry.seq - 1}")
        if entry.detail is not None and _digest(entry.detail) != entry.detail_digest:
            return broken(entry.seq, f"entry {entry.seq} has altered detail")
        recomputed = hash_of(entry)
        if recomputed != entry.hash:
            return broken(entry.seq, f"entry {entry.seq} was altered")
        prev_hash = entry.hash
        expected_seq += 1
        checked += 1

    if checked != head_seq or prev_hash != head_hash:
        return broken(checked + 1, f"entries after {checked} are missing (head is {head_seq})")
    return VerifyReport(True, checked, head_seq, head_hash)


def recent(
    db: Session, *, limit: int = 100, before: int | None = None, action: str | None = None
) -> list[AuditEntry]:
    """Return the newest entries first, optionally before a sequence number or of one action."""
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(max(1, min(limit, 500)))
    if before is not None:
        query = query.where(AuditEntry.seq < before)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.scalars(query))


def count(db: Session) -> int:
    """Return the number of entries."""
    return int(db.scalar(select(func.count()).select_from(AuditEntry)) or 0)

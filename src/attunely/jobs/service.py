"""Enqueue, claim, lease and finish jobs. Works on SQLite (one writer) and PostgreSQL (many).

A worker claims a job by taking a time-limited lease. While it works it renews the lease; if the
worker dies, the lease runs out and the job is queued again (or failed after its last attempt).
Handlers must therefore be idempotent: running a job twice gives the same result as once.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from attunely.db import utcnow
from attunely.errors import NotFound
from attunely.jobs.models import Job

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


def enqueue(
    db: Session,
    *,
    kind: str,
    subject_id: str,
    payload: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = 3,
) -> Job:
    """Add a job in the caller's transaction, so it exists exactly when the work's subject does."""
    if dedupe_key:
        existing = db.scalars(select(Job).where(Job.dedupe_key == dedupe_key)).first()
        if existing is not None:
            return existing
    job = Job(
        kind=kind,
        subject_id=subject_id,
        payload=json.dumps(payload or {}, sort_keys=True),
        dedupe_key=dedupe_key,
        max_attempts=max_attempts,
        state=QUEUED,
        run_after=utcnow(),
    )
    db.add(job)
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:
        # Another transaction enqueued the same key first: return theirs.
        found = db.scalars(select(Job).where(Job.dedupe_key == dedupe_key)).first()
        if found is None:
            raise
        return found
    return job


def claim(
    db: Session,
    *,
    worker: str,
    kinds: set[str],
    lease_seconds: float,
    subject_id: str | None = None,
) -> Job | None:
    """Take the oldest due job of the given kinds (and subject), or None. Commits the claim."""
    now = utcnow()
    query = (
        select(Job)
        .where(Job.state == QUEUED, Job.run_after <= now, Job.kind.in_(sorted(kinds)))
        .order_by(Job.run_after, Job.created_at)
        .limit(1)
        # PostgreSQL: concurrent workers skip rows another worker is claiming.
        .with_for_update(skip_locked=True)
    )
    if subject_id is not None:
        query = query.where(Job.subject_id == subject_id)
    job = db.scalars(query).first()
    if job is None:
        db.rollback()
        return None
    job.state = RUNNING
    job.attempts += 1
    job.lease_owner = worker
    job.lease_expires_at = now + timedelta(seconds=lease_seconds)
    job.started_at = job.started_at or now
    job.message = "started"
    db.commit()
    return job


def renew(
    db: Session,
    *,
    job_id: str,
    worker: str,
    lease_seconds: float,
    progress: float | None = None,
    message: str | None = None,
) -> bool:
    """Extend the lease and record progress; False when the lease was lost to another worker."""
    values: dict[str, Any] = {"lease_expires_at": utcnow() + timedelta(seconds=lease_seconds)}
    if progress is not None:
        values["progress"] = max(0.0, min(1.0, float(progress)))
    if message is not None:
        values["message"] = message[:500]
    result = db.execute(
        update(Job)
        .where(Job.id == job_id, Job.lease_owner == worker, Job.state == RUNNING)
        .values(**values)
    )
    db.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def complete(db: Session, *, job_id: str, worker: str, message: str = "done") -> bool:
    """Mark the job done, if this worker still holds it."""
    result = db.execute(
        update(Job)
        .where(Job.id == job_id, Job.lease_owner == worker, Job.state == RUNNING)
        .values(
            state=DONE,
            progress=1.0,
            message=message[:500],
            finished_at=utcnow(),
            lease_owner=None,
            lease_expires_at=None,
        )
    )
    db.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def fail(db: Session, *, job_id: str, worker: str, message: str, retry: bool) -> str | None:
    """Record a failure: queue again after a back-off while attempts remain, else fail."""
    job = db.get(Job, job_id)
    if job is None or job.lease_owner != worker or job.state != RUNNING:
        db.rollback()
        return None
    now = utcnow()
    if retry and job.attempts < job.max_attempts:
        job.state = QUEUED
        # Back off 2, 4, 8 … seconds so a flapping dependency gets time to recover.
        job.run_after = now + timedelta(seconds=2**job.attempts)
    else:
        job.state = FAILED
        job.finished_at = now
    job.message = message[:500]
    job.lease_owner = None
    job.lease_expires_at = None
    db.commit()
    return job.state


def recover_expired(db: Session) -> int:
    """Queue again (or fail) jobs whose worker stopped renewing its lease. Returns how many."""
    now = utcnow()
    stale = db.scalars(
        select(Job)
        .where(Job.state == RUNNING, Job.lease_expires_at < now)
        .with_for_update(skip_locked=True)
    ).all()
    for job in stale:
        job.lease_owner = None
        job.lease_expires_at = None
        if job.attempts < job.max_attempts:
            job.state = QUEUED
            job.run_after = now
            job.message = "the worker stopped; trying again"
        else:
            job.state = FAILED
            job.finished_at = now
            job.message = "the worker stopped on the last attempt; use retry to run it again"
    db.commit()
    return len(stale)


def retry(db: Session, *, job_id: str) -> Job:
    """Queue a failed job again with a fresh set of attempts."""
    job = db.get(Job, job_id)
    if job is None:
        raise NotFound("no such job")
    if job.state == FAILED:
        job.state = QUEUED
        job.attempts = 0
        job.run_after = utcnow()
        job.message = "queued again"
        job.finished_at = None
        db.flush()
    return job


def jobs_for(db: Session, *, subject_id: str) -> list[Job]:
    """Return a subject's jobs, oldest first (for progress displays)."""
    return list(
        db.scalars(select(Job).where(Job.subject_id == subject_id).order_by(Job.created_at))
    )


def payload_of(job: Job) -> dict[str, Any]:
    """Decode a job's payload."""
    data = json.loads(job.payload or "{}")
    return data if isinstance(data, dict) else {}

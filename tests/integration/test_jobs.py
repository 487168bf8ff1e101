"""The job queue: idempotent enqueue, leases, retries, and workers that die mid-job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from attunely.config import Settings
from attunely.db import utcnow
from attunely.errors import InvalidInput
from attunely.jobs import service
from attunely.jobs.models import Job
from attunely.jobs.registry import HANDLERS, JobContext, register
from attunely.jobs.runner import Worker


@pytest.fixture
def sessions(app: object) -> sessionmaker[Session]:
    return app.state.session_factory  # type: ignore[attr-defined, no-any-return]


def _job(sessions: sessionmaker[Session], job_id: str) -> Job:
    with sessions() as db:
        job = db.get(Job, job_id)
        assert job is not None
        db.expunge(job)
        return job


def _enqueue(sessions: sessionmaker[Session], kind: str, **payload: object) -> str:
    with sessions() as db:
        job = service.enqueue(db, kind=kind, subject_id="subject-1", payload=payload)
        db.commit()
        return job.id


def test_enqueue_with_a_key_is_idempotent(sessions: sessionmaker[Session]) -> None:
    with sessions() as db:
        first = service.enqueue(db, kind="system.wait", subject_id="s", dedupe_key="k1")
        again = service.enqueue(db, kind="system.wait", subject_id="s", dedupe_key="k1")
        db.commit()
        assert first.id == again.id
        assert len(db.scalars(select(Job)).all()) == 1


def test_worker_runs_a_job_to_done_with_progress(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    job_id = _enqueue(sessions, "system.wait", seconds=0.2)
    worker = Worker(settings=settings, sessions=sessions)
    assert worker.run_once() is True
    job = _job(sessions, job_id)
    assert (job.state, job.progress, job.attempts) == ("done", 1.0, 1)
    assert job.message == "waited 0.2 s"
    assert worker.run_once() is False


def test_bad_input_fails_at_once_with_its_message(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    job_id = _enqueue(sessions, "system.wait", seconds=10_000)
    Worker(settings=settings, sessions=sessions).run_once()
    job = _job(sessions, job_id)
    assert job.state == "failed" and job.attempts == 1
    assert "between 0 and 600" in job.message


def test_unexpected_errors_retry_with_backoff_then_fail(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    calls: list[int] = []

    @register("test.flaky")
    def flaky(ctx: JobContext) -> str:
        calls.append(ctx.attempt)
        raise RuntimeError("boom")

    try:
        job_id = _enqueue(sessions, "test.flaky")
        worker = Worker(settings=settings, sessions=sessions)
        for _ in range(3):
            worker.run_once()
            with sessions() as db:  # skip the back-off wait
                db.execute(update(Job).values(run_after=utcnow()))
                db.commit()
        job = _job(sessions, job_id)
        assert calls == [1, 2, 3]
        assert job.state == "failed" and "unexpected" in job.message
        with sessions() as db:
            service.retry(db, job_id=job_id)
            db.commit()
        assert _job(sessions, job_id).state == "queued"
    finally:
        HANDLERS.pop("test.flaky", None)


def test_expired_lease_is_recovered(sessions: sessionmaker[Session]) -> None:
    job_id = _enqueue(sessions, "system.wait", seconds=1)
    with sessions() as db:
        claimed = service.claim(db, worker="ghost", kinds={"system.wait"}, lease_seconds=30)
        assert claimed is not None and claimed.id == job_id
    with sessions() as db:
        assert service.recover_expired(db) == 0
        db.execute(update(Job).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
        db.commit()
        assert service.recover_expired(db) == 1
    job = _job(sessions, job_id)
    assert job.state == "queued" and job.lease_owner is None
    # A worker that lost its lease can no longer finish the job.
    with sessions() as db:
        assert service.complete(db, job_id=job_id, worker="ghost") is False


def test_invalid_payload_values_are_refused_by_the_handler() -> None:
    from attunely.jobs.builtin import wait

    ctx = JobContext(
        job_id="j",
        kind="system.wait",
        subject_id="s",
        payload={"seconds": -1},
        attempt=1,
        settings=Settings(),
        sessions=None,  # type: ignore[arg-type]
        report=lambda f, m: True,
    )
    with pytest.raises(InvalidInput):
        wait(ctx)


def _start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        ATTUNELY_DATA_DIR=str(settings.data_dir),
        ATTUNELY_JOB_LEASE_SECONDS="2",
        ATTUNELY_JOB_POLL_SECONDS="0.1",
        ATTUNELY_OPERATOR="test",
    )
    if settings.database_url:
        env["ATTUNELY_DATABASE_URL"] = settings.database_url
    return subprocess.Popen(
        [sys.executable, "-m", "attunely", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_two_worker_processes_and_one_is_killed_mid_job(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    job_ids = [_enqueue(sessions, "system.wait", seconds=0.6) for _ in range(8)]
    workers = [_start_worker(settings), _start_worker(settings)]
    try:
        # Wait until some job is running, then kill the worker that holds it.
        deadline = time.time() + 30
        victim_job = None
        while time.time() < deadline and victim_job is None:
            with sessions() as db:
                victim_job = db.scalars(select(Job).where(Job.state == "running")).first()
                if victim_job is not None:
                    db.expunge(victim_job)
            time.sleep(0.05)
        assert victim_job is not None, "no worker picked a job up"
        pid = int(str(victim_job.lease_owner).split(":")[1])
        victim = next(w for w in workers if w.pid == pid)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        deadline = time.time() + 60
        while time.time() < deadline:
            with sessions() as db:
                states = db.scalars(select(Job.state).where(Job.id.in_(job_ids))).all()
            if all(s == "done" for s in states):
                break
            time.sleep(0.2)
        assert all(s == "done" for s in states), states
        again = _job(sessions, victim_job.id)
        assert again.attempts == 2, "the killed worker's job must be picked up again"
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=15)

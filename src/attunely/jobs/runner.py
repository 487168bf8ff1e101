"""Workers: threads inside the web app (embedded default) or `attunely worker` processes."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from attunely.config import Settings
from attunely.errors import AttunelyError
from attunely.jobs import service
from attunely.jobs.registry import MAINTENANCE, JobContext, LeaseLost, load_handlers

log = logging.getLogger("attunely.jobs")


@dataclass
class Worker:
    """Claims jobs and runs their handlers until stopped."""

    settings: Settings
    sessions: sessionmaker[Session]
    name: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    )
    stop_event: threading.Event = field(default_factory=threading.Event)
    #: Only run jobs about this subject (the command line waiting for one film).
    only_subject: str | None = None
    _last_maintenance: float = field(default=float("-inf"))

    @property
    def lease_seconds(self) -> float:
        return float(self.settings.job_lease_seconds)

    def run_forever(self) -> None:
        """Work until `stop()`; sleep briefly when the queue is empty."""
        while not self.stop_event.is_set():
            try:
                worked = self.run_once()
            except Exception as exc:  # a broken database must not kill the thread
                log.error("job worker error: %s", type(exc).__name__)
                worked = False
            if not worked:
                self.stop_event.wait(self.settings.job_poll_seconds)

    def stop(self) -> None:
        self.stop_event.set()

    def maintain(self) -> None:
        """Run the registered housekeeping, at most once per `maintenance_seconds`."""
        now = time.monotonic()
        if self.only_subject is not None:
            return
        if now - self._last_maintenance < self.settings.maintenance_seconds:
            return
        self._last_maintenance = now
        for task in MAINTENANCE:
            try:
                task(self.settings, self.sessions)
            except Exception as exc:
                log.error("housekeeping %s failed: %s", task.__name__, type(exc).__name__)

    def run_once(self) -> bool:
        """Recover stalled jobs, then claim and run one; True if a job ran."""
        handlers = load_handlers()
        self.maintain()
        with self.sessions() as db:
            service.recover_expired(db)
            job = service.claim(
                db, worker=self.name, kinds=set(handlers), lease_seconds=self.lease_seconds
            )
            if job is None:
                return False
            job_id, kind, subject = job.id, job.kind, job.subject_id
            payload, attempt = service.payload_of(job), job.attempts
        self._run(job_id, kind, subject, payload, attempt, handlers[kind])
        return True

    def _report(self, job_id: str, fraction: float | None, message: str | None) -> bool:
        with self.sessions() as db:
            return service.renew(
                db,
                job_id=job_id,
                worker=self.name,
                lease_seconds=self.lease_seconds,
                progress=fraction,
                message=message,
            )

    def _run(
        self,
        job_id: str,
        kind: str,
        subject: str,
        payload: dict[str, object],
        attempt: int,
        handler: object,
    ) -> None:
        ctx = JobContext(
            job_id=job_id,
            kind=kind,
            subject_id=subject,
            payload=dict(payload),
            attempt=attempt,
            settings=self.settings,
            sessions=self.sessions,
            report=lambda f, m: self._report(job_id, f, m or None),
        )
        # Keep the lease alive even while a handler computes without reporting.
        done = threading.Event()
        keeper = threading.Thread(target=self._keep_alive, args=(job_id, done), daemon=True)
        keeper.start()
        try:
            message = handler(ctx)  # type: ignore[operator]
        except LeaseLost:
            log.warning("job %s was taken over by another worker", job_id)
            return
        except AttunelyError as exc:
            # A known problem with the input: retrying will not help; say why.
            with self.sessions() as db:
                service.fail(db, job_id=job_id, worker=self.name, message=exc.message, retry=False)
            return
        except Exception as exc:
            log.error("job %s (%s) failed: %s", job_id, kind, type(exc).__name__)
            with self.sessions() as db:
                service.fail(
                    db,
                    job_id=job_id,
                    worker=self.name,
                    message="stopped by an unexpected error; it will be retried",
                    retry=True,
                )
            return
        finally:
            done.set()
            keeper.join(timeout=5)
        with self.sessions() as db:
            service.complete(db, job_id=job_id, worker=self.name, message=message or "done")

    def _keep_alive(self, job_id: str, done: threading.Event) -> None:
        interval = max(0.5, self.lease_seconds / 3)
        while not done.wait(interval):
            try:
                if not self._report(job_id, None, None):
                    return
            except Exception as exc:
                log.error("lease renewal failed: %s", type(exc).__name__)


class InProcessWorkers:
    """The embedded default: a few worker threads inside the web process."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session], count: int) -> None:
        self.workers = [Worker(settings=settings, sessions=sessions) for _ in range(count)]
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        for worker in self.workers:
            thread = threading.Thread(
                target=worker.run_forever, name=f"job-{worker.name}", daemon=True
            )
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        for thread in self.threads:
            thread.join(timeout=10)

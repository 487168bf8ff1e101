"""Which function runs which kind of job. Feature packages register theirs in `jobs.py`."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from attunely.config import Settings


@dataclass
class JobContext:
    """What a handler gets: the job's subject and payload, sessions, and a progress reporter."""

    job_id: str
    kind: str
    subject_id: str
    payload: dict[str, Any]
    attempt: int
    settings: Settings
    sessions: sessionmaker[Session]
    report: Callable[[float, str], bool]

    def progress(self, fraction: float, message: str = "") -> None:
        """Report progress (0..1); raises `LeaseLost` if another worker has taken over."""
        if not self.report(fraction, message):
            raise LeaseLost(self.job_id)


class LeaseLost(Exception):
    """The worker no longer holds the job; stop quietly."""


Handler = Callable[[JobContext], str | None]
HANDLERS: dict[str, Handler] = {}

#: Modules whose import registers handlers (each feature's jobs.py).
HANDLER_MODULES: list[str] = [
    "attunely.jobs.builtin",
    "attunely.films.jobs",
    "attunely.films.analysis",
    "attunely.workspace.motion_job",
    "attunely.sharing.jobs",
    "attunely.retention.jobs",
]

Maintenance = Callable[[Settings, sessionmaker[Session]], None]
#: Housekeeping that workers run now and then (expire uploads, remove orphans).
MAINTENANCE: list[Maintenance] = []


def register_maintenance(fn: Maintenance) -> Maintenance:
    """Register a housekeeping function for workers to run periodically."""
    MAINTENANCE.append(fn)
    return fn


def register(kind: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of `kind`."""

    def decorate(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return decorate


def load_handlers() -> dict[str, Handler]:
    """Import every feature's jobs module and return the registry."""
    for module in HANDLER_MODULES:
        importlib.import_module(module)
    return HANDLERS

"""Helpers shared by every command module: one error line, the operator, a checked session.

Feature packages keep their commands in their own `cli.py` with a `register(app)` function;
`attunely.cli` calls each one.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.orm import Session

from attunely.config import Settings, get_settings
from attunely.db import make_engine, make_session_factory, unit_of_work
from attunely.errors import AttunelyError, ConfigurationError
from attunely.policy import Actor, local_operator

T = TypeVar("T")
#: Options given to the top-level command (the operator's name).
state: dict[str, str] = {}


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one error line and return the exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def run(fn: Callable[[], T]) -> T:
    """Run a command body, turning known errors into one clear line and an exit status."""
    try:
        return fn()
    except ValidationError as exc:
        from attunely.web.errors import describe_validation

        raise fail(describe_validation(exc)[0]) from None
    except AttunelyError as exc:
        raise fail(exc.message) from None


def operator() -> Actor:
    """Return the local operator running this command (checked by the policy, audited)."""
    return local_operator(state.get("operator") or getpass.getuser())


@contextmanager
def session(settings: Settings | None = None) -> Iterator[Session]:
    """Yield a unit of work on an up-to-date database."""
    settings = settings or get_settings()
    engine = make_engine(settings)
    try:
        from attunely.db import current_revision, head_revision

        if current_revision(engine) != head_revision():
            raise ConfigurationError("the database is not up to date; run `attunely db upgrade`")
        with unit_of_work(make_session_factory(engine)) as db:
            yield db
    finally:
        engine.dispose()

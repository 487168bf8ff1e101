"""Bring a film file from the server's own disk into the vault (bulk and clinic imports)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from attunely import faults
from attunely.audit import service as audit
from attunely.cases import service as cases
from attunely.db import unit_of_work
from attunely.errors import InvalidInput
from attunely.films import service
from attunely.films.models import Film
from attunely.films.schemas import FilmingSessionCreate, FilmState, Setting
from attunely.jobs import service as jobs
from attunely.media.probe import ProbeResult, probe
from attunely.policy import Actor
from attunely.vault import service as vault_service
from attunely.vault.context import Vault
from attunely.vault.models import ObjectKind


def check_file(path: Path) -> ProbeResult:
    """Refuse a file that is not a usable film before anything is stored."""
    if not path.is_file():
        raise InvalidInput(f"no such file: {path}", field="file")
    with path.open("rb") as handle:
        return probe(handle)


def import_film(
    sessions: sessionmaker[Session],
    *,
    vault: Vault,
    actor: Actor,
    case_reference: str,
    path: Path,
    label: str | None = None,
    filmed_on: date | None = None,
    setting: Setting = Setting.OTHER,
    progress: Callable[[int], None] | None = None,
) -> Film:
    """Probe, encrypt and store a film, then queue its processing. Returns the new film."""
    info = check_file(path)
    with unit_of_work(sessions) as db:
        case = cases.find_by_reference(db, actor=actor, reference=case_reference)
        filming = service.create_session(
            db,
            actor=actor,
            case_id=case.id,
            data=FilmingSessionCreate(
                filmed_on=filmed_on or date.today(), setting=setting, activity="imported"
            ),
        )
        case_id, session_id = case.id, filming.id
    with path.open("rb") as handle:
        original = vault_service.store_stream(
            vault,
            actor=actor,
            case_id=case_id,
            kind=ObjectKind.ORIGINAL,
            source=handle,
            purpose="feedback",
            progress=progress,
        )
    faults.point("import.before_film_row")
    with unit_of_work(sessions) as db:
        film = Film(
            case_id=case_id,
            session_id=session_id,
            label=(label or path.stem)[:120],
            state=str(FilmState.PROCESSING),
            original_object_id=original.id,
            size_bytes=original.length,
            sha256=original.sha256,
            duration_s=info.duration_s,
            probe=info.model_dump_json(),
            created_by=actor.audit_id,
        )
        db.add(film)
        db.flush()
        jobs.enqueue(
            db, kind="films.process", subject_id=film.id, dedupe_key=f"films.process:{film.id}"
        )
        audit.record(
            db,
            actor=actor,
            action="film.import",
            object_type="film",
            object_id=film.id,
            purpose="feedback",
            detail={"case": case_id, "bytes": original.length},
        )
    return film

"""Filming sessions, resumable uploads, films and their playback: the rules.

Long work never holds a database transaction open: before bytes are stored or streamed the
caller's session is committed (on SQLite an open transaction holds the write lock), and the
vault commits its own work.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from attunely.audit import service as audit
from attunely.cases.models import Case, CasePerson
from attunely.cases.service import authorized_case
from attunely.consent import service as consent
from attunely.consent.schemas import Purpose
from attunely.db import utcnow
from attunely.errors import Conflict, InvalidInput, NotFound
from attunely.films.models import Film, FilmingSession, Upload, UploadPart
from attunely.films.schemas import (
    MAX_FILM_BYTES,
    MAX_PART_BYTES,
    FilmingSessionCreate,
    FilmingSessionRead,
    FilmRead,
    FilmState,
    JobRead,
    UploadCreate,
    UploadRead,
    UploadSource,
)
from attunely.inputs import is_id, printable
from attunely.jobs import service as jobs
from attunely.policy import Action, Actor, Role
from attunely.vault import service as vault_service
from attunely.vault.context import Vault
from attunely.vault.models import ObjectKind


def purpose_for(actor: Actor, case: Case) -> str:
    """Say why this actor reads this case's footage (consent purposes build on this)."""
    if actor.local_operator:
        return "administration"
    if actor.id == case.supervisor_id and Role.SUPERVISOR in actor.roles:
        return "supervision"
    return "feedback"


#: The consent purpose that must cover each reason for reading footage. The local operator's
#: playback serves the feedback service itself, so it needs at least that consent.
CONSENT_PURPOSES: dict[str, Purpose] = {
    "feedback": Purpose.FILMING_FEEDBACK,
    "supervision": Purpose.SUPERVISION,
    "administration": Purpose.FILMING_FEEDBACK,
}


def consented_purpose(db: Session, *, actor: Actor, film: Film, case: Case) -> str:
    """Return why the actor reads this film's footage, once consent covers that purpose for
    everyone identifiable in it; otherwise refuse (audited, naming the purpose)."""
    purpose = purpose_for(actor, case)
    session = db.get(FilmingSession, film.session_id)
    filmed = json.loads(session.filmed_people or "[]") if session else []
    consent.require_purpose(
        db,
        actor=actor,
        case_id=case.id,
        person_ids=filmed,
        purpose=CONSENT_PURPOSES[purpose],
        object_type="film",
        object_id=film.id,
    )
    return purpose


# --- filming sessions ---------------------------------------------------------------------


def create_session(
    db: Session, *, actor: Actor, case_id: str, data: FilmingSessionCreate
) -> FilmingSession:
    """Record a filming visit; everyone filmed must be a person in the case."""
    case = authorized_case(db, actor=actor, case_id=case_id, action=Action.FILM_UPLOAD)
    if case.status == "closed":
        raise InvalidInput("a closed case cannot be filmed")
    people = {p.id for p in case.people}
    unknown = [p for p in data.filmed_people if p not in people]
    if unknown:
        raise InvalidInput("everyone filmed must be a person in this case", field="filmed_people")
    consent.require_purpose(
        db,
        actor=actor,
        case_id=case.id,
        person_ids=data.filmed_people,
        purpose=Purpose.FILMING_FEEDBACK,
        filming=True,
    )
    session = FilmingSession(
        case_id=case.id,
        filmed_on=data.filmed_on,
        setting=str(data.setting),
        activity=data.activity,
        filmed_people=json.dumps(sorted(set(data.filmed_people))),
        created_by=actor.audit_id,
    )
    db.add(session)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="filming.create",
        object_type="filming_session",
        object_id=session.id,
        purpose="casework",
        detail={"case": case.id},
    )
    return session


def session_read(session: FilmingSession) -> FilmingSessionRead:
    return FilmingSessionRead(
        id=session.id,
        case_id=session.case_id,
        filmed_on=session.filmed_on,
        setting=session.setting,
        activity=session.activity,
        filmed_people=json.loads(session.filmed_people or "[]"),
        created_at=session.created_at,
    )


def _session(db: Session, *, actor: Actor, session_id: str, action: Action) -> FilmingSession:
    session = db.get(FilmingSession, session_id) if is_id(session_id) else None
    if session is None:
        raise NotFound("no such filming session")
    authorized_case(db, actor=actor, case_id=session.case_id, action=action)
    return session


def list_sessions(db: Session, *, actor: Actor, case_id: str) -> list[FilmingSession]:
    """Return a case's filming sessions, newest first."""
    authorized_case(db, actor=actor, case_id=case_id, action=Action.FILM_LIST)
    return list(
        db.scalars(
            select(FilmingSession)
            .where(FilmingSession.case_id == case_id)
            .order_by(FilmingSession.filmed_on.desc(), FilmingSession.created_at.desc())
        )
    )


# --- uploads ------------------------------------------------------------------------------


def _may_film(
    db: Session, *, actor: Actor, session_id: str, object_type: str, object_id: str
) -> None:
    """Refuse (audited) unless filming consent still stands: asked on every step of an
    upload, so a withdrawal stops one already under way."""
    session = db.get(FilmingSession, session_id)
    if session is None:
        raise NotFound("no such filming session")
    consent.require_purpose(
        db,
        actor=actor,
        case_id=session.case_id,
        person_ids=json.loads(session.filmed_people or "[]"),
        purpose=Purpose.FILMING_FEEDBACK,
        filming=True,
        object_type=object_type,
        object_id=object_id,
    )


def start_upload(db: Session, *, actor: Actor, session_id: str, data: UploadCreate) -> Upload:
    """Open a resumable upload into a filming session."""
    session = _session(db, actor=actor, session_id=session_id, action=Action.FILM_UPLOAD)
    _may_film(
        db, actor=actor, session_id=session.id, object_type="filming_session", object_id=session.id
    )
    upload = Upload(
        case_id=session.case_id,
        session_id=session.id,
        label=data.label,
        source=str(data.source),
        expected_size=data.size,
        created_by=actor.audit_id,
        updated_at=utcnow(),
    )
    db.add(upload)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="upload.start",
        object_type="upload",
        object_id=upload.id,
        purpose="feedback",
        detail={"case": session.case_id},
    )
    return upload


def _upload(db: Session, *, actor: Actor, upload_id: str) -> Upload:
    upload = db.get(Upload, upload_id) if is_id(upload_id) else None
    if upload is None:
        raise NotFound("no such upload")
    authorized_case(db, actor=actor, case_id=upload.case_id, action=Action.FILM_UPLOAD)
    return upload


def get_upload(db: Session, *, actor: Actor, upload_id: str) -> Upload:
    """Return an upload's state (how many bytes arrived) so a client can resume."""
    return _upload(db, actor=actor, upload_id=upload_id)


def upload_read(upload: Upload) -> UploadRead:
    return UploadRead(
        id=upload.id,
        session_id=upload.session_id,
        label=upload.label,
        source=UploadSource(upload.source),
        state=upload.state,
        offset=upload.received,
        expected_size=upload.expected_size,
        film_id=upload.film_id,
    )


class OffsetMismatch(Conflict):
    """The part does not start where the upload stands; the client resumes from `offset`."""

    code = "offset_mismatch"

    def __init__(self, offset: int) -> None:
        super().__init__(f"the upload stands at byte {offset}; send from there")
        self.offset = offset
        self.details = {"offset": offset}


def receive_part(
    db: Session, *, vault: Vault, actor: Actor, upload_id: str, offset: int, data: bytes
) -> Upload:
    """Seal one part in the vault and add it to the upload. Idempotent for a resent part."""
    upload = _upload(db, actor=actor, upload_id=upload_id)
    if upload.state != "open":
        raise Conflict(f"this upload is {upload.state}; start a new one")
    if not data:
        raise InvalidInput("the part is empty")
    if len(data) > MAX_PART_BYTES:
        raise InvalidInput(f"a part holds at most {MAX_PART_BYTES} bytes")
    if offset != upload.received:
        raise OffsetMismatch(upload.received)
    _may_film(
        db, actor=actor, session_id=upload.session_id, object_type="upload", object_id=upload.id
    )
    end = offset + len(data)
    if end > (upload.expected_size or MAX_FILM_BYTES):
        raise InvalidInput("the upload is longer than announced")
    upload_key, case_id = upload.id, upload.case_id
    # Nothing may hold the database while the part is sealed (the vault commits its own rows).
    db.commit()
    stored = vault_service.store_stream(
        vault,
        actor=actor,
        case_id=case_id,
        kind=ObjectKind.UPLOAD,
        source=[data],
        purpose="feedback",
        detail={"upload": upload_key, "offset": str(offset)},
    )
    upload = db.get(Upload, upload_key)  # type: ignore[assignment]
    if upload is None or upload.state != "open" or upload.received != offset:
        # Another request added this part meanwhile: drop ours, report where things stand.
        _drop_object(db, vault=vault, actor=actor, object_id=stored.id)
        db.rollback()
        current = db.get(Upload, upload_key)
        raise OffsetMismatch(current.received if current else 0)
    db.add(UploadPart(upload_id=upload.id, offset=offset, length=len(data), object_id=stored.id))
    upload.received = end
    upload.updated_at = utcnow()
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        _drop_object(db, vault=vault, actor=actor, object_id=stored.id)
        current = db.get(Upload, upload_key)
        raise OffsetMismatch(current.received if current else 0) from None
    return upload


def _drop_object(db: Session, *, vault: Vault, actor: Actor, object_id: str) -> None:
    vault_service.delete_object(
        db, vault=vault, actor=actor, object_id=object_id, purpose="feedback"
    )
    db.commit()


def complete_upload(db: Session, *, actor: Actor, upload_id: str, sha256: str) -> Film:
    """Close the upload; a job joins the parts into the film and checks the SHA-256."""
    upload = _upload(db, actor=actor, upload_id=upload_id)
    if upload.state == "complete" and upload.film_id:
        film = db.get(Film, upload.film_id)
        assert film is not None
        return film
    if upload.state != "open":
        raise Conflict(f"this upload is {upload.state}; start a new one")
    if upload.received == 0:
        raise InvalidInput("nothing was uploaded: the film is empty (0 bytes)")
    _may_film(
        db, actor=actor, session_id=upload.session_id, object_type="upload", object_id=upload.id
    )
    if upload.expected_size is not None and upload.received != upload.expected_size:
        raise InvalidInput(
            f"only {upload.received} of {upload.expected_size} bytes arrived; "
            "resume the upload before finishing it"
        )
    film = Film(
        case_id=upload.case_id,
        session_id=upload.session_id,
        label=upload.label,
        state=str(FilmState.PROCESSING),
        size_bytes=upload.received,
        sha256=sha256,
        created_by=actor.audit_id,
    )
    db.add(film)
    db.flush()
    upload.state = "complete"
    upload.film_id = film.id
    upload.updated_at = utcnow()
    jobs.enqueue(
        db,
        kind="films.assemble",
        subject_id=film.id,
        payload={"upload_id": upload.id, "actor": actor.audit_id},
        dedupe_key=f"films.assemble:{upload.id}",
    )
    audit.record(
        db,
        actor=actor,
        action="film.create",
        object_type="film",
        object_id=film.id,
        purpose="feedback",
        detail={"case": film.case_id, "bytes": film.size_bytes},
    )
    return film


def abandon_upload(db: Session, *, vault: Vault, actor: Actor, upload_id: str) -> None:
    """Cancel an open upload and destroy what arrived."""
    upload = _upload(db, actor=actor, upload_id=upload_id)
    if upload.state != "open":
        raise Conflict(f"this upload is {upload.state}")
    _discard_upload(db, vault=vault, actor=actor, upload=upload, reason="cancelled")


def _discard_upload(
    db: Session, *, vault: Vault, actor: Actor, upload: Upload, reason: str
) -> None:
    delete_parts(db, vault=vault, actor=actor, upload_id=upload.id)
    upload.state = "abandoned"
    upload.updated_at = utcnow()
    audit.record(
        db,
        actor=actor,
        action="upload.abandon",
        object_type="upload",
        object_id=upload.id,
        purpose="feedback",
        detail={"reason": reason},
    )


def delete_parts(db: Session, *, vault: Vault, actor: Actor, upload_id: str) -> None:
    """Destroy an upload's parts: rows first (they point at the objects), then the objects."""
    parts = list(db.scalars(select(UploadPart).where(UploadPart.upload_id == upload_id)))
    for part in parts:
        db.delete(part)
    db.flush()
    for part in parts:
        vault_service.delete_object(
            db, vault=vault, actor=actor, object_id=part.object_id, purpose="feedback"
        )


def expire_uploads(db: Session, *, vault: Vault, actor: Actor, idle_hours: float) -> int:
    """Abandon open uploads untouched for `idle_hours`, destroying their parts."""
    cutoff = utcnow() - timedelta(hours=idle_hours)
    stale = list(
        db.scalars(select(Upload).where(Upload.state == "open", Upload.updated_at < cutoff))
    )
    for upload in stale:
        _discard_upload(db, vault=vault, actor=actor, upload=upload, reason="idle too long")
    db.commit()
    return len(stale)


# --- films ---------------------------------------------------------------------------------


def get_film(db: Session, *, actor: Actor, film_id: str, action: Action) -> tuple[Film, Case]:
    """Load a film and check the actor may do `action` to its case (404 to outsiders)."""
    film = db.get(Film, film_id) if is_id(film_id) else None
    if film is None:
        # Still ask the policy, so a role that may never do this gets its refusal audited.
        from attunely.guard import require

        require(db, actor=actor, action=action, object_type="film", object_id=printable(film_id))
        raise NotFound("no such film")
    case = authorized_case(db, actor=actor, case_id=film.case_id, action=action)
    return film, case


def list_films(db: Session, *, actor: Actor, case_id: str) -> list[Film]:
    """Return a case's films, newest first (states and facts, no footage)."""
    authorized_case(db, actor=actor, case_id=case_id, action=Action.FILM_LIST)
    return list(
        db.scalars(select(Film).where(Film.case_id == case_id).order_by(Film.created_at.desc()))
    )


def film_read(db: Session, film: Film) -> FilmRead:
    return FilmRead(
        id=film.id,
        case_id=film.case_id,
        session_id=film.session_id,
        label=film.label,
        state=FilmState(film.state),
        problem=film.problem,
        size_bytes=film.size_bytes,
        sha256=film.sha256,
        duration_s=film.duration_s,
        probe=json.loads(film.probe or "{}"),
        proxy=json.loads(film.proxy_info or "{}"),
        playable=film.state == FilmState.READY and film.proxy_object_id is not None,
        jobs=[
            JobRead(kind=j.kind, state=j.state, progress=j.progress, message=j.message)
            for j in jobs.jobs_for(db, subject_id=film.id)
        ],
        created_at=film.created_at,
    )


def open_film_object(
    db: Session, *, vault: Vault, actor: Actor, film_id: str, which: str
) -> vault_service.VaultReader:
    """Open the proxy, thumbnails or waveform of a film for playback; audited."""
    film, case = get_film(db, actor=actor, film_id=film_id, action=Action.FILM_PLAY)
    purpose = consented_purpose(db, actor=actor, film=film, case=case)
    object_id = {
        "proxy": film.proxy_object_id,
        "thumbs": film.thumbs_object_id,
        "waveform": film.waveform_object_id,
    }.get(which)
    if film.state != FilmState.READY or object_id is None:
        raise Conflict(
            "the film is not ready to play yet"
            if film.state in (FilmState.PROCESSING, FilmState.UPLOADING)
            else f"the film cannot be played: {film.problem or film.state}"
        )
    return vault_service.open_reader(
        db,
        vault=vault,
        actor=actor,
        object_id=object_id,
        purpose=purpose,
        detail={"film": film.id, "part": which},
    )


def open_original(
    db: Session, *, vault: Vault, actor: Actor, film_id: str
) -> tuple[Film, vault_service.VaultReader]:
    """Open a film's original for export (administrators at the server only); audited.

    No consent check: this export serves subject access requests, a right that does not
    depend on consent (see consent.service).
    """
    film, case = get_film(db, actor=actor, film_id=film_id, action=Action.FILM_EXPORT)
    if film.original_object_id is None:
        raise Conflict("the film's original is not stored (it is still arriving, or was refused)")
    reader = vault_service.open_reader(
        db,
        vault=vault,
        actor=actor,
        object_id=film.original_object_id,
        purpose="export",
        detail={"film": film.id},
    )
    audit.record(
        db,
        actor=actor,
        action="film.export",
        object_type="film",
        object_id=film.id,
        purpose="export",
        detail={"case": case.id},
    )
    return film, reader


def people_in(db: Session, *, session: FilmingSession) -> list[CasePerson]:
    """Return the case people filmed in a session."""
    ids = json.loads(session.filmed_people or "[]")
    if not ids:
        return []
    return list(db.scalars(select(CasePerson).where(CasePerson.id.in_(ids))))


def data_for_import(chunks: Iterable[bytes]) -> Iterable[bytes]:
    """Pass chunks through, refusing a film beyond the size limit."""
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > MAX_FILM_BYTES:
            raise InvalidInput("the film is larger than Attunely accepts (64 GiB)")
        yield chunk

"""The rules of the workspace: coded events, clips and stills on a film.

Every change names the revision it was made from; a change to anything that moved on since
is refused with the current state (409), never applied over it. A create may carry an id
chosen by the client, so a request resent after a lost answer finds what it already made
instead of making it twice. Every change is audited, with ids only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from attunely.audit import service as audit
from attunely.cases import helping
from attunely.cases.models import Case
from attunely.cases.service import scope_of
from attunely.db import utcnow
from attunely.errors import Conflict, InvalidInput, NotFound
from attunely.films import service as films
from attunely.films.models import Film
from attunely.films.schemas import FilmState
from attunely.guard import require
from attunely.inputs import is_id, printable
from attunely.policy import Action, Actor, decide
from attunely.workspace import schemes
from attunely.workspace.errors import FilmNotReady, StaleRevision
from attunely.workspace.models import Annotation, Clip, Still
from attunely.workspace.schemas import (
    AnnotationCreate,
    AnnotationRead,
    AnnotationUpdate,
    ClipCreate,
    ClipOrder,
    ClipRead,
    ClipUpdate,
    CodeType,
    StillCreate,
    StillRead,
    StillUpdate,
    Subject,
    WorkspaceFilm,
    WorkspaceRead,
)


@dataclass(frozen=True)
class OnFilm:
    """A film being worked on, with the facts every rule needs."""

    film: Film
    case: Case
    frame_count: int

    @property
    def team_id(self) -> str:
        return self.case.team_id


def _proxy(film: Film) -> dict[str, object]:
    info = json.loads(film.proxy_info or "{}")
    return info if isinstance(info, dict) else {}


def _frame_count(film: Film) -> int:
    value = _proxy(film).get("frame_count")
    return value if isinstance(value, int) else 0


def _on_film(db: Session, *, actor: Actor, film_id: str, action: Action) -> OnFilm:
    film, case = films.get_film(db, actor=actor, film_id=film_id, action=action)
    # Codes, clips and stills describe the footage: the same consent governs them.
    films.consented_purpose(db, actor=actor, film=film, case=case)
    return OnFilm(film=film, case=case, frame_count=_frame_count(film))


def _writable(on: OnFilm) -> None:
    if on.film.state == FilmState.READY and on.frame_count > 0:
        return
    if on.film.state in (FilmState.UPLOADING, FilmState.PROCESSING):
        raise FilmNotReady(
            "the film is still being prepared for watching; "
            "coding, clips and stills can be added once it is ready"
        )
    raise FilmNotReady("this film cannot be played, so nothing can be marked on it")


def _audit(db: Session, *, actor: Actor, on: OnFilm, action: str, kind: str, id_: str) -> None:
    audit.record(
        db,
        actor=actor,
        action=action,
        object_type=kind,
        object_id=id_,
        purpose=films.purpose_for(actor, on.case),
        detail={"film": on.film.id},
    )


def _in_film(on: OnFilm, frame: int, field: str) -> None:
    if frame >= on.frame_count:
        raise InvalidInput(
            f"frame {frame} is beyond the end of the film, which has {on.frame_count} frames "
            f"(0 to {on.frame_count - 1})",
            field=field,
        )


def _end_in_film(on: OnFilm, end: int, field: str) -> None:
    if end > on.frame_count:
        raise InvalidInput(
            f"the range ends after the end of the film (frame {on.frame_count - 1} is its last)",
            field=field,
        )


def _check_revision(what: str, have: int, sent: int, current: BaseModel) -> None:
    if have != sent:
        raise StaleRevision(what, current)


Marked = TypeVar("Marked", Annotation, Clip, Still)


def _load(
    db: Session,
    model: type[Marked],
    *,
    actor: Actor,
    object_id: str,
    action: Action,
    what: str,
) -> tuple[Marked, OnFilm]:
    row = db.get(model, object_id) if is_id(object_id) else None
    if row is None:
        require(db, actor=actor, action=action, object_type=what, object_id=printable(object_id))
        raise NotFound(f"no such {what} (it may have been deleted)")
    return row, _on_film(db, actor=actor, film_id=row.film_id, action=action)


def _existing(
    db: Session,
    model: type[Marked],
    *,
    object_id: str | None,
    film_id: str,
) -> Marked | None:
    """A row already made from this request (resent after a lost answer), if any."""
    if object_id is None:
        return None
    row = db.get(model, object_id)
    if row is not None and row.film_id != film_id:
        raise Conflict("that id is already in use", field="id")
    return row


def _insert(db: Session, row: Marked) -> Marked:
    """Store a new row; if the same create, resent, got there first, return that one."""
    try:
        with db.begin_nested():
            db.add(row)
            db.flush()
    except IntegrityError:
        # Two copies of one request at once (PostgreSQL): the other has committed its row.
        found = db.get(type(row), row.id, populate_existing=True)
        if found is None or found.film_id != row.film_id:
            raise Conflict("that id is already in use", field="id") from None
        return found
    return row


# --- annotations ----------------------------------------------------------------------------


def annotation_read(row: Annotation) -> AnnotationRead:
    return AnnotationRead(
        id=row.id,
        film_id=row.film_id,
        scheme_version_id=row.scheme_version_id,
        code=row.code,
        subject=Subject(row.subject),
        start_frame=row.start_frame,
        end_frame=row.end_frame,
        note=row.note,
        revision=row.revision,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@dataclass
class _Event:
    scheme_version_id: str
    code: str
    subject: str
    start: int
    end: int | None


def _check_event(db: Session, on: OnFilm, event: _Event, *, exclude: str | None) -> _Event:
    """Apply the coding rules; returns the event with a point event's end filled in."""
    version = schemes.team_version(
        db, team_id=on.team_id, version_id=event.scheme_version_id, field="scheme_version_id"
    )
    code = schemes.code_in(version, event.code)
    if code is None:
        raise InvalidInput(
            f"'{event.code}' is not a code of the scheme “{version.name}” "
            f"(version {version.version})",
            field="code",
        )
    _in_film(on, event.start, "start_frame")
    if code.type == CodeType.POINT:
        if event.end is not None and event.end != event.start:
            raise InvalidInput(
                f"“{code.name}” is a point event: it has no length, so it ends where it starts",
                field="end_frame",
            )
        event.end = event.start
    elif event.end is not None:
        if event.end <= event.start:
            raise InvalidInput(
                f"“{code.name}” must end after it starts (it lasts at least one frame)",
                field="end_frame",
            )
        _end_in_film(on, event.end, "end_frame")
    others = db.scalars(
        select(Annotation).where(
            Annotation.film_id == on.film.id,
            Annotation.scheme_version_id == event.scheme_version_id,
            Annotation.code == event.code,
            Annotation.subject == event.subject,
        )
    ).all()
    for other in others:
        if other.id == exclude:
            continue
        if code.type == CodeType.POINT and other.start_frame == event.start:
            raise InvalidInput(
                f"“{code.name}” is already coded for the {event.subject} at frame {event.start}",
                field="start_frame",
            )
        if code.type == CodeType.STATE:
            end = on.frame_count if event.end is None else event.end
            other_end = on.frame_count if other.end_frame is None else other.end_frame
            if other.start_frame < end and event.start < other_end:
                raise InvalidInput(
                    f"“{code.name}” for the {event.subject} overlaps the one from frame "
                    f"{other.start_frame}"
                    + ("" if other.end_frame is None else f" to {other.end_frame}")
                    + "; the same state cannot be on twice at once",
                    field="start_frame",
                )
    return event


def create_annotation(
    db: Session, *, actor: Actor, film_id: str, data: AnnotationCreate
) -> tuple[AnnotationRead, bool]:
    """Code an event; returns it and whether it is new (False: a resent request)."""
    on = _on_film(db, actor=actor, film_id=film_id, action=Action.ANNOTATION_EDIT)
    found = _existing(db, Annotation, object_id=data.id, film_id=on.film.id)
    if found is not None:
        return annotation_read(found), False
    _writable(on)
    event = _check_event(
        db,
        on,
        _Event(
            data.scheme_version_id, data.code, str(data.subject), data.start_frame, data.end_frame
        ),
        exclude=None,
    )
    row = Annotation(
        film_id=on.film.id,
        scheme_version_id=event.scheme_version_id,
        code=event.code,
        subject=event.subject,
        start_frame=event.start,
        end_frame=event.end,
        note=data.note,
        revision=1,
        created_by=actor.audit_id,
    )
    if data.id:
        row.id = data.id
    made = _insert(db, row)
    if made is not row:
        return annotation_read(made), False
    _audit(db, actor=actor, on=on, action="annotation.create", kind="annotation", id_=row.id)
    return annotation_read(row), True


def update_annotation(
    db: Session, *, actor: Actor, annotation_id: str, data: AnnotationUpdate
) -> AnnotationRead:
    """Change an annotation made at `data.revision`."""
    row, on = _load(
        db,
        Annotation,
        actor=actor,
        object_id=annotation_id,
        action=Action.ANNOTATION_EDIT,
        what="annotation",
    )
    _writable(on)
    _check_revision("annotation", row.revision, data.revision, annotation_read(row))
    sent = data.model_fields_set
    event = _Event(
        data.scheme_version_id or row.scheme_version_id,
        data.code or row.code,
        str(data.subject or row.subject),
        row.start_frame if data.start_frame is None else data.start_frame,
        data.end_frame if "end_frame" in sent else row.end_frame,
    )
    event = _check_event(db, on, event, exclude=row.id)
    row.scheme_version_id, row.code, row.subject = (
        event.scheme_version_id,
        event.code,
        event.subject,
    )
    row.start_frame, row.end_frame = event.start, event.end
    if data.note is not None:
        row.note = data.note
    row.revision += 1
    row.updated_at = utcnow()
    db.flush()
    _audit(db, actor=actor, on=on, action="annotation.edit", kind="annotation", id_=row.id)
    return annotation_read(row)


def delete_annotation(db: Session, *, actor: Actor, annotation_id: str, revision: int) -> None:
    row, on = _load(
        db,
        Annotation,
        actor=actor,
        object_id=annotation_id,
        action=Action.ANNOTATION_EDIT,
        what="annotation",
    )
    _check_revision("annotation", row.revision, revision, annotation_read(row))
    db.delete(row)
    db.flush()
    _audit(db, actor=actor, on=on, action="annotation.delete", kind="annotation", id_=row.id)


# --- clips ----------------------------------------------------------------------------------


def clip_read(row: Clip) -> ClipRead:
    return ClipRead(
        id=row.id,
        film_id=row.film_id,
        position=row.position,
        in_frame=row.in_frame,
        out_frame=row.out_frame,
        title=row.title,
        scheme_version_id=row.scheme_version_id,
        principles=json.loads(row.principles or "[]"),
        caption=row.caption,
        questions=json.loads(row.questions or "[]"),
        helping_question_id=row.helping_question_id,
        revision=row.revision,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _clips(db: Session, film_id: str) -> list[Clip]:
    return list(
        db.scalars(
            select(Clip).where(Clip.film_id == film_id).order_by(Clip.position, Clip.created_at)
        )
    )


def _check_clip(
    db: Session,
    on: OnFilm,
    *,
    in_frame: int,
    out_frame: int,
    version_id: str | None,
    principles: list[str],
    exclude: str | None,
) -> None:
    if out_frame <= in_frame:
        raise InvalidInput(
            "a clip needs at least one frame: its out point must come after its in point",
            field="out_frame",
        )
    _in_film(on, in_frame, "in_frame")
    _end_in_film(on, out_frame, "out_frame")
    for other in _clips(db, on.film.id):
        if other.id != exclude and other.in_frame < out_frame and in_frame < other.out_frame:
            raise InvalidInput(
                f"this clip overlaps the clip “{other.title}” (frames {other.in_frame} to "
                f"{other.out_frame}); clips may not overlap",
                field="in_frame",
            )
    if principles:
        if version_id is None:
            raise InvalidInput(
                "name the coding scheme the principles come from", field="scheme_version_id"
            )
        version = schemes.team_version(
            db, team_id=on.team_id, version_id=version_id, field="scheme_version_id"
        )
        known = {c.code for c in schemes.codes_of(version)}
        unknown = [p for p in principles if p not in known]
        if unknown:
            raise InvalidInput(
                f"'{unknown[0]}' is not a code of the scheme “{version.name}”", field="principles"
            )
    elif version_id is not None:
        schemes.team_version(
            db, team_id=on.team_id, version_id=version_id, field="scheme_version_id"
        )


def create_clip(
    db: Session, *, actor: Actor, film_id: str, data: ClipCreate
) -> tuple[ClipRead, bool]:
    """Add a clip at the end of the film's clip list."""
    on = _on_film(db, actor=actor, film_id=film_id, action=Action.ANNOTATION_EDIT)
    found = _existing(db, Clip, object_id=data.id, film_id=on.film.id)
    if found is not None:
        return clip_read(found), False
    _writable(on)
    principles = list(dict.fromkeys(data.principles))
    _check_clip(
        db,
        on,
        in_frame=data.in_frame,
        out_frame=data.out_frame,
        version_id=data.scheme_version_id,
        principles=principles,
        exclude=None,
    )
    helping.check_for_clip(db, case=on.case, question_id=data.helping_question_id)
    last = db.scalar(select(func.max(Clip.position)).where(Clip.film_id == on.film.id))
    row = Clip(
        film_id=on.film.id,
        position=(last + 1) if last is not None else 0,
        in_frame=data.in_frame,
        out_frame=data.out_frame,
        title=data.title,
        scheme_version_id=data.scheme_version_id,
        principles=json.dumps(principles),
        caption=data.caption,
        questions=json.dumps(data.questions),
        helping_question_id=data.helping_question_id,
        revision=1,
        created_by=actor.audit_id,
    )
    if data.id:
        row.id = data.id
    made = _insert(db, row)
    if made is not row:
        return clip_read(made), False
    _audit(db, actor=actor, on=on, action="clip.create", kind="clip", id_=row.id)
    return clip_read(row), True


def update_clip(db: Session, *, actor: Actor, clip_id: str, data: ClipUpdate) -> ClipRead:
    row, on = _load(
        db, Clip, actor=actor, object_id=clip_id, action=Action.ANNOTATION_EDIT, what="clip"
    )
    _writable(on)
    _check_revision("clip", row.revision, data.revision, clip_read(row))
    sent = data.model_fields_set
    in_frame = row.in_frame if data.in_frame is None else data.in_frame
    out_frame = row.out_frame if data.out_frame is None else data.out_frame
    version_id = data.scheme_version_id if "scheme_version_id" in sent else row.scheme_version_id
    principles = (
        list(dict.fromkeys(data.principles))
        if data.principles is not None
        else json.loads(row.principles or "[]")
    )
    _check_clip(
        db,
        on,
        in_frame=in_frame,
        out_frame=out_frame,
        version_id=version_id,
        principles=principles,
        exclude=row.id,
    )
    if "helping_question_id" in sent:
        helping.check_for_clip(db, case=on.case, question_id=data.helping_question_id)
    row.in_frame, row.out_frame, row.scheme_version_id = in_frame, out_frame, version_id
    row.principles = json.dumps(principles)
    if data.title is not None:
        row.title = data.title
    if data.caption is not None:
        row.caption = data.caption
    if data.questions is not None:
        row.questions = json.dumps(data.questions)
    if "helping_question_id" in sent:
        row.helping_question_id = data.helping_question_id
    row.revision += 1
    row.updated_at = utcnow()
    db.flush()
    _audit(db, actor=actor, on=on, action="clip.edit", kind="clip", id_=row.id)
    return clip_read(row)


def delete_clip(db: Session, *, actor: Actor, clip_id: str, revision: int) -> None:
    row, on = _load(
        db, Clip, actor=actor, object_id=clip_id, action=Action.ANNOTATION_EDIT, what="clip"
    )
    _check_revision("clip", row.revision, revision, clip_read(row))
    db.delete(row)
    db.flush()
    _audit(db, actor=actor, on=on, action="clip.delete", kind="clip", id_=row.id)


def order_clips(db: Session, *, actor: Actor, film_id: str, data: ClipOrder) -> list[ClipRead]:
    """Put the film's clips in the given order; every clip must be named at its revision."""
    on = _on_film(db, actor=actor, film_id=film_id, action=Action.ANNOTATION_EDIT)
    _writable(on)
    rows = _clips(db, on.film.id)
    by_id = {r.id: r for r in rows}
    sent = {c.id: c.revision for c in data.clips}
    if set(sent) != set(by_id) or any(by_id[i].revision != r for i, r in sent.items()):
        raise StaleRevision("list of clips", [clip_read(r) for r in rows])
    for position, ref in enumerate(data.clips):
        # Every clip moves on a revision, so a tab that still has the old order is refused.
        row = by_id[ref.id]
        row.position = position
        row.revision += 1
        row.updated_at = utcnow()
    db.flush()
    _audit(db, actor=actor, on=on, action="clip.reorder", kind="film", id_=on.film.id)
    return [clip_read(r) for r in _clips(db, on.film.id)]


# --- stills ---------------------------------------------------------------------------------


def still_read(row: Still) -> StillRead:
    return StillRead(
        id=row.id,
        film_id=row.film_id,
        frame=row.frame,
        caption=row.caption,
        revision=row.revision,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def create_still(
    db: Session, *, actor: Actor, film_id: str, data: StillCreate
) -> tuple[StillRead, bool]:
    on = _on_film(db, actor=actor, film_id=film_id, action=Action.ANNOTATION_EDIT)
    found = _existing(db, Still, object_id=data.id, film_id=on.film.id)
    if found is not None:
        return still_read(found), False
    _writable(on)
    _in_film(on, data.frame, "frame")
    row = Still(
        film_id=on.film.id,
        frame=data.frame,
        caption=data.caption,
        revision=1,
        created_by=actor.audit_id,
    )
    if data.id:
        row.id = data.id
    made = _insert(db, row)
    if made is not row:
        return still_read(made), False
    _audit(db, actor=actor, on=on, action="still.create", kind="still", id_=row.id)
    return still_read(row), True


def update_still(db: Session, *, actor: Actor, still_id: str, data: StillUpdate) -> StillRead:
    row, on = _load(
        db, Still, actor=actor, object_id=still_id, action=Action.ANNOTATION_EDIT, what="still"
    )
    _writable(on)
    _check_revision("still", row.revision, data.revision, still_read(row))
    if data.frame is not None:
        _in_film(on, data.frame, "frame")
        row.frame = data.frame
    if data.caption is not None:
        row.caption = data.caption
    row.revision += 1
    row.updated_at = utcnow()
    db.flush()
    _audit(db, actor=actor, on=on, action="still.edit", kind="still", id_=row.id)
    return still_read(row)


def delete_still(db: Session, *, actor: Actor, still_id: str, revision: int) -> None:
    row, on = _load(
        db, Still, actor=actor, object_id=still_id, action=Action.ANNOTATION_EDIT, what="still"
    )
    _check_revision("still", row.revision, revision, still_read(row))
    db.delete(row)
    db.flush()
    _audit(db, actor=actor, on=on, action="still.delete", kind="still", id_=row.id)


# --- the workspace --------------------------------------------------------------------------


def _film_facts(film: Film) -> WorkspaceFilm:
    info = _proxy(film)
    fps = info.get("fps")
    fps_float = info.get("fps_float")
    width, height = info.get("width"), info.get("height")
    return WorkspaceFilm(
        id=film.id,
        label=film.label,
        state=film.state,
        ready=film.state == FilmState.READY and film.proxy_object_id is not None,
        fps=fps if isinstance(fps, str) else "",
        fps_float=float(fps_float) if isinstance(fps_float, int | float) else 0.0,
        frame_count=_frame_count(film),
        duration_s=film.duration_s,
        width=width if isinstance(width, int) else None,
        height=height if isinstance(height, int) else None,
    )


def _version_ids(rows: Iterable[Annotation | Clip]) -> set[str]:
    return {r.scheme_version_id for r in rows if r.scheme_version_id}


_READ_COLUMNS = [Annotation.__table__.c[name] for name in AnnotationRead.model_fields]


def _annotation_rows(db: Session, film_id: str) -> list[AnnotationRead]:
    """All the film's annotations, read as plain rows: a film may carry thousands, and
    building an ORM object and re-validating each would cost most of the page's opening."""
    rows = db.execute(
        select(*_READ_COLUMNS)
        .where(Annotation.film_id == film_id)
        .order_by(Annotation.start_frame, Annotation.created_at)
    ).mappings()
    # The rows were validated when they were written.
    subjects = {s.value: s for s in Subject}
    return [
        AnnotationRead.model_construct(**{**row, "subject": subjects[row["subject"]]})
        for row in rows
    ]


def workspace(db: Session, *, actor: Actor, film_id: str) -> WorkspaceRead:
    """Everything marked on a film, with the schemes to code it; the opening is audited."""
    on = _on_film(db, actor=actor, film_id=film_id, action=Action.ANNOTATION_VIEW)
    schemes.ensure_default(db, actor=actor, team_id=on.team_id)
    current = schemes.current_versions(db, team_id=on.team_id)
    annotations = _annotation_rows(db, on.film.id)
    clips = _clips(db, on.film.id)
    stills = list(
        db.scalars(
            select(Still).where(Still.film_id == on.film.id).order_by(Still.frame, Still.created_at)
        )
    )
    older = {a.scheme_version_id for a in annotations} | _version_ids(clips)
    older -= {v.id for v in current}
    _audit(db, actor=actor, on=on, action="workspace.open", kind="film", id_=on.film.id)
    return WorkspaceRead(
        film=_film_facts(on.film),
        may_edit=decide(actor, Action.ANNOTATION_EDIT, scope_of(on.case)).allowed,
        team_id=on.team_id,
        schemes=current,
        older_versions=schemes.versions_by_id(db, older),
        annotations=annotations,
        clips=[clip_read(c) for c in clips],
        stills=[still_read(s) for s in stills],
        helping_questions=[
            helping.to_read(q) for q in helping.questions_of(db, case_id=on.case.id)
        ],
    )

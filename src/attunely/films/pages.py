"""Pages for getting a film in (upload, in-browser capture) and for watching it.

The pages are shells: the footage itself goes through the JSON API (/api/...), sent by the
page's script in parts, so it is sealed in the vault part by part as it arrives. A plain
form upload cannot do that (the server would spool the whole film to a temporary file
first), so without JavaScript these pages say what to do instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from attunely.cases import service as cases
from attunely.cases.models import Case
from attunely.films import service
from attunely.films.models import FilmingSession
from attunely.films.schemas import FilmRead, FilmState, Setting
from attunely.policy import Action, Actor, decide
from attunely.web.deps import SessionDep, allow
from attunely.web.templating import render

router = APIRouter(include_in_schema=False)

STATE_WORDS = {
    FilmState.UPLOADING: "Arriving",
    FilmState.PROCESSING: "Processing",
    FilmState.READY: "Ready",
    FilmState.REJECTED: "Cannot be used",
    FilmState.FAILED: "Processing stopped",
}
SETTING_WORDS = {Setting.HOME: "At home", Setting.CLINIC: "At the clinic", Setting.OTHER: "Other"}
#: Unsent film a capture page may hold in memory while the connection is down; beyond it,
#: filming pauses until the waiting film is sent (a tablet has little memory to spare).
CAPTURE_BUFFER_BYTES = 32 * 1024 * 1024
JOB_WORDS = {
    "films.assemble": "Checking the film arrived whole",
    "films.process": "Making the playback copy",
}


@dataclass(frozen=True)
class FilmRow:
    """One film as the case page lists it (facts only, no footage)."""

    id: str
    label: str
    state: str
    state_words: str
    filmed_on: date | None
    setting: str
    activity: str
    duration_s: float | None
    created_at: datetime


def _sessions_by_id(db: Session, *, actor: Actor, case_id: str) -> dict[str, FilmingSession]:
    return {s.id: s for s in service.list_sessions(db, actor=actor, case_id=case_id)}


def case_films(db: Session, *, actor: Actor, case: Case) -> dict[str, object]:
    """What the case page shows about films: the list, and whether to offer filming.

    Empty for anyone the policy does not let list the case's films.
    """
    scope = cases.scope_of(case)
    if not decide(actor, Action.FILM_LIST, scope).allowed:
        return {"may_list": False, "may_upload": False, "rows": []}
    sessions = _sessions_by_id(db, actor=actor, case_id=case.id)
    rows = []
    for film in service.list_films(db, actor=actor, case_id=case.id):
        session = sessions.get(film.session_id)
        rows.append(
            FilmRow(
                id=film.id,
                label=film.label,
                state=film.state,
                state_words=STATE_WORDS.get(FilmState(film.state), film.state),
                filmed_on=session.filmed_on if session else None,
                setting=SETTING_WORDS.get(Setting(session.setting), "") if session else "",
                activity=session.activity if session else "",
                duration_s=film.duration_s,
                created_at=film.created_at,
            )
        )
    may_upload = decide(actor, Action.FILM_UPLOAD, scope).allowed and case.status != "closed"
    return {"may_list": True, "may_upload": may_upload, "rows": rows}


def _filming_form(
    request: Request, db: Session, actor: Actor, case_id: str, template: str
) -> Response:
    case = cases.authorized_case(db, actor=actor, case_id=case_id, action=Action.FILM_UPLOAD)
    return render(
        request,
        template,
        {
            "case": cases.to_read(case),
            "today": date.today().isoformat(),
            "settings": SETTING_WORDS,
            "buffer_limit": CAPTURE_BUFFER_BYTES,
        },
    )


@router.get("/cases/{case_id}/films/new")
def upload_page(
    request: Request,
    case_id: str,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.FILM_UPLOAD)],
) -> Response:
    """Choose a film file and send it, resumably, with a progress bar."""
    return _filming_form(request, db, actor, case_id, "films_upload.html")


@router.get("/cases/{case_id}/capture")
def capture_page(
    request: Request,
    case_id: str,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.FILM_UPLOAD)],
) -> Response:
    """Film with the tablet's camera, streaming to the server while recording."""
    return _filming_form(request, db, actor, case_id, "capture.html")


#: Jobs between arrival and playback (checking and joining, then the playback copy); the
#: second is queued only when the first ends, so progress counts it from the start.
PROCESSING_STEPS = 2


def _progress(film: FilmRead) -> float:
    """Overall processing progress 0..1 over the steps to playback."""
    done = [1.0 if j.state == "done" else j.progress for j in film.jobs]
    return min(1.0, sum(done) / max(len(done), PROCESSING_STEPS))


@router.get("/films/{film_id}")
def film_page(
    request: Request,
    film_id: str,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.FILM_LIST)],
) -> Response:
    """A film: its state while processing, why it was refused, or the player when ready."""
    film, case = service.get_film(db, actor=actor, film_id=film_id, action=Action.FILM_LIST)
    scope = cases.scope_of(case)
    described = service.film_read(db, film)
    session = _sessions_by_id(db, actor=actor, case_id=case.id).get(film.session_id)
    filmed = service.people_in(db, session=session) if session else []
    return render(
        request,
        "film.html",
        {
            "film": described,
            "case": case,
            "filming": session,
            "setting": SETTING_WORDS.get(Setting(session.setting), "") if session else "",
            "filmed": [p.display_name for p in filmed],
            "state_words": STATE_WORDS,
            "job_words": JOB_WORDS,
            "progress": _progress(described),
            "failed_jobs": [j for j in described.jobs if j.state == "failed"],
            "may_play": decide(actor, Action.FILM_PLAY, scope).allowed,
            "may_retry": decide(actor, Action.FILM_UPLOAD, scope).allowed,
        },
    )

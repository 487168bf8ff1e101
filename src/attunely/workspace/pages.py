"""The workspace page: a shell whose script plays the film and saves through the JSON API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from attunely.cases.service import scope_of
from attunely.films import service as films
from attunely.films.schemas import FilmState
from attunely.policy import Action, Actor, decide
from attunely.web.deps import SessionDep, allow
from attunely.web.templating import render
from attunely.workspace.schemas import Subject

router = APIRouter(include_in_schema=False)

SUBJECT_WORDS = {Subject.ADULT: "Adult", Subject.CHILD: "Child", Subject.BOTH: "Both"}
SPEEDS = [0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0]


@router.get("/films/{film_id}/workspace")
def workspace_page(
    request: Request,
    film_id: str,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.ANNOTATION_VIEW)],
) -> Response:
    """Micro-analysis of one film: player, timeline, coding, clips and stills."""
    film, case = films.get_film(db, actor=actor, film_id=film_id, action=Action.ANNOTATION_VIEW)
    scope = scope_of(case)
    return render(
        request,
        "workspace.html",
        {
            "film": film,
            "case": case,
            "ready": film.state == FilmState.READY and film.proxy_object_id is not None,
            "preparing": film.state in (FilmState.UPLOADING, FilmState.PROCESSING),
            "may_edit": decide(actor, Action.ANNOTATION_EDIT, scope).allowed,
            "may_play": decide(actor, Action.FILM_PLAY, scope).allowed,
            "subjects": SUBJECT_WORDS,
            "speeds": SPEEDS,
        },
    )


# The coding-scheme pages are served with the workspace's.
from attunely.workspace.scheme_pages import router as _scheme_router  # noqa: E402

router.include_router(_scheme_router)

"""JSON routes for a film's regions of interest and the motion measured in them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from attunely.policy import Action, Actor
from attunely.web.deps import SessionDep, allow
from attunely.workspace import regions
from attunely.workspace.regions import RegionsRead, RegionsUpdate

router = APIRouter(tags=["workspace"])


@router.get("/films/{film_id}/regions", response_model=RegionsRead)
def get_regions(
    request: Request,
    film_id: str,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.ANNOTATION_VIEW)],
) -> RegionsRead:
    """The adult's and child's regions: as drawn, as proposed, and the motion status."""
    return regions.get_regions(db, vault=request.app.state.vault, actor=actor, film_id=film_id)


@router.put("/films/{film_id}/regions", response_model=RegionsRead)
def save_regions(
    request: Request,
    film_id: str,
    body: RegionsUpdate,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.ANNOTATION_EDIT)],
) -> RegionsRead:
    """Store the regions drawn on a frame; 409 with the current ones if they changed."""
    return regions.save_regions(
        db, vault=request.app.state.vault, actor=actor, film_id=film_id, data=body
    )


@router.post("/films/{film_id}/regions/motion", response_model=RegionsRead, status_code=202)
def remeasure(
    request: Request,
    film_id: str,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.ANNOTATION_EDIT)],
    revision: Annotated[int, Query(ge=1, description="the regions' revision to measure in")],
) -> RegionsRead:
    """Measure motion energy and synchrony again in the drawn regions (in the background)."""
    return regions.remeasure(
        db, vault=request.app.state.vault, actor=actor, film_id=film_id, revision=revision
    )


@router.get("/films/{film_id}/regions/motion")
def motion(
    request: Request,
    film_id: str,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.ANNOTATION_VIEW)],
) -> Response:
    """The motion and synchrony last measured in the drawn regions (JSON)."""
    body = regions.read_motion(db, vault=request.app.state.vault, actor=actor, film_id=film_id)
    return Response(
        body, media_type="application/json", headers={"Cache-Control": "no-store, private"}
    )

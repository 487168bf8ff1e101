"""JSON routes of the workspace: schemes, coded events, clips, stills, proposed moments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from attunely.policy import Action, Actor
from attunely.web.deps import SessionDep, allow
from attunely.workspace import proposals, reviews, schemes, service, speech
from attunely.workspace.proposal_schemas import (
    ProposalRead,
    ProposalsRead,
    ReviewWrite,
    SpeakerWrite,
)
from attunely.workspace.schemas import (
    AnnotationCreate,
    AnnotationRead,
    AnnotationUpdate,
    ClipCreate,
    ClipOrder,
    ClipRead,
    ClipUpdate,
    SchemeCreate,
    SchemeEdit,
    SchemeVersionRead,
    StillCreate,
    StillRead,
    StillUpdate,
    WorkspaceRead,
)

router = APIRouter(tags=["workspace"])

Revision = Annotated[int, Query(ge=1, description="the revision the client last saw")]


def _created(response: Response, new: bool) -> None:
    # A resent create finds what the first one made: 200, not a second 201.
    response.status_code = 201 if new else 200


# --- schemes --------------------------------------------------------------------------------


@router.get("/teams/{team_id}/schemes", response_model=list[SchemeVersionRead])
def list_schemes(
    team_id: str, db: SessionDep, actor: Annotated[Actor, allow(Action.SCHEME_VIEW)]
) -> list[SchemeVersionRead]:
    """A team's coding schemes, each at its newest version (the default one first)."""
    return schemes.list_schemes(db, actor=actor, team_id=team_id)


@router.post("/teams/{team_id}/schemes", response_model=SchemeVersionRead, status_code=201)
def create_scheme(
    team_id: str,
    body: SchemeCreate,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.SCHEME_MANAGE)],
) -> SchemeVersionRead:
    """Start a new coding scheme for the team."""
    return schemes.create_scheme(db, actor=actor, team_id=team_id, data=body)


@router.put("/schemes/{scheme_id}", response_model=SchemeVersionRead)
def edit_scheme(
    scheme_id: str,
    body: SchemeEdit,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.SCHEME_MANAGE)],
) -> SchemeVersionRead:
    """Save an edit as the scheme's next version; 409 if `version` is not the newest."""
    return schemes.edit_scheme(db, actor=actor, scheme_id=scheme_id, data=body)


@router.get("/scheme-versions/{version_id}", response_model=SchemeVersionRead)
def scheme_version(
    version_id: str, db: SessionDep, actor: Annotated[Actor, allow(Action.SCHEME_VIEW)]
) -> SchemeVersionRead:
    """One version of a scheme, as annotations made with it understand their codes."""
    return schemes.get_version(db, actor=actor, version_id=version_id)


# --- the workspace --------------------------------------------------------------------------


@router.get("/films/{film_id}/workspace", response_model=WorkspaceRead)
def workspace(
    film_id: str, db: SessionDep, actor: Annotated[Actor, allow(Action.ANNOTATION_VIEW)]
) -> WorkspaceRead:
    """Everything marked on a film, and the schemes to code it with."""
    return service.workspace(db, actor=actor, film_id=film_id)


@router.post("/films/{film_id}/annotations", response_model=AnnotationRead, status_code=201)
def create_annotation(
    film_id: str,
    body: AnnotationCreate,
    response: Response,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.ANNOTATION_EDIT)],
) -> AnnotationRead:
    """Code an event on the film (frames of the playback copy)."""
    read, new = service.create_annotation(db, actor=actor, film_id=film_id, data=body)
    _created(response, new)
    return read


@router.patch("/annotations/{annotation_id}", response_model=AnnotationRead)
def update_annotation(
    annotation_id: str,
    body: AnnotationUpdate,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.ANNOTATION_EDIT)],
) -> AnnotationRead:
    """Change a coded event; 409 with the current one if it changed since `revision`."""
    return service.update_annotation(db, actor=actor, annotation_id=annotation_id, data=body)


@router.delete("/annotations/{annotation_id}", status_code=204)
def delete_annotation(
    annotation_id: str,
    revision: Revision,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.ANNOTATION_EDIT)],
) -> Response:
    """Remove a coded event seen at `revision`."""
    service.delete_annotation(db, actor=actor, annotation_id=annotation_id, revision=revision)
    return Response(status_code=204)


@router.post("/films/{film_id}/clips", response_model=ClipRead, status_code=201)
def create_clip(
    film_id: str,
    body: ClipCreate,
    response: Response,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.ANNOTATION_EDIT)],
) -> ClipRead:
    """Add a clip (frames [in_frame, out_frame)) to the end of the film's clip list."""
    read, new = service.create_clip(db, actor=actor, film_id=film_id, data=body)
    _created(response, new)
    return read


@router.put("/films/{film_id}/clip-order", response_model=list[ClipRead])
def order_clips(
    film_id: str,
    body: ClipOrder,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.ANNOTATION_EDIT)],
) -> list[ClipRead]:
    """Reorder the film's clips; 409 with the current list if it changed meanwhile."""
    return service.order_clips(db, actor=actor, film_id=film_id, data=body)


@router.patch("/clips/{clip_id}", response_model=ClipRead)
def update_clip(
    clip_id: str,
    body: ClipUpdate,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.ANNOTATION_EDIT)],
) -> ClipRead:
    """Change a clip; 409 with the current one if it changed since `revision`."""
    return service.update_clip(db, actor=actor, clip_id=clip_id, data=body)


@router.delete("/clips/{clip_id}", status_code=204)
def delete_clip(
    clip_id: str,
    revision: Revision,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.ANNOTATION_EDIT)],
) -> Response:
    service.delete_clip(db, actor=actor, clip_id=clip_id, revision=revision)
    return Response(status_code=204)


@router.post("/films/{film_id}/stills", response_model=StillRead, status_code=201)
def create_still(
    film_id: str,
    body: StillCreate,
    response: Response,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.ANNOTATION_EDIT)],
) -> StillRead:
    """Mark a freeze-frame with a caption."""
    read, new = service.create_still(db, actor=actor, film_id=film_id, data=body)
    _created(response, new)
    return read


@router.patch("/stills/{still_id}", response_model=StillRead)
def update_still(
    still_id: str,
    body: StillUpdate,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.ANNOTATION_EDIT)],
) -> StillRead:
    return service.update_still(db, actor=actor, still_id=still_id, data=body)


@router.delete("/stills/{still_id}", status_code=204)
def delete_still(
    still_id: str,
    revision: Revision,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.ANNOTATION_EDIT)],
) -> Response:
    service.delete_still(db, actor=actor, still_id=still_id, revision=revision)
    return Response(status_code=204)


# --- proposed moments and speaker corrections ----------------------------------------------


@router.get("/films/{film_id}/proposals", response_model=ProposalsRead)
def film_proposals(
    film_id: str,
    request: Request,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.FILM_PLAY)],
) -> ProposalsRead:
    """Proposed moments with their reviews and counts, speech (corrected), turns (recounted),
    movement and synchrony; or the analysis' status when there is none yet."""
    return proposals.proposals(db, vault=request.app.state.vault, actor=actor, film_id=film_id)


@router.patch("/films/{film_id}/proposals/{proposal_id}", response_model=ProposalRead)
def review_proposal(
    film_id: str,
    proposal_id: str,
    body: ReviewWrite,
    request: Request,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.ANNOTATION_EDIT)],
) -> ProposalRead:
    """Accept, reject (with an optional reason), reopen or re-bound a proposed moment; 409
    with the current review if it changed since `revision`."""
    return reviews.review(
        db,
        vault=request.app.state.vault,
        actor=actor,
        film_id=film_id,
        proposal_id=proposal_id,
        data=body,
    )


@router.put("/films/{film_id}/speech-segments/{index}", response_model=ProposalsRead)
def correct_speaker(
    film_id: str,
    index: Annotated[int, Path(ge=0, le=1_000_000)],
    body: SpeakerWrite,
    request: Request,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.ANNOTATION_EDIT)],
) -> ProposalsRead:
    """Say who spoke in one speech segment; the film's turns are recounted."""
    return speech.correct_speaker(
        db, vault=request.app.state.vault, actor=actor, film_id=film_id, index=index, data=body
    )


# Regions of interest have their own module; their routes are served with the workspace's.
from attunely.workspace.regions_api import router as _regions_router  # noqa: E402

router.include_router(_regions_router)

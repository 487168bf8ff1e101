"""JSON routes of the sharing package: make, list and revoke shares of clips."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from attunely.policy import Action, Actor
from attunely.sharing import service
from attunely.sharing.schemas import ShareCreate, ShareCreated, ShareRead, ShareRevoke
from attunely.web.deps import SessionDep, allow

router = APIRouter(tags=["sharing"])


@router.post("/shares", response_model=ShareCreated, status_code=201)
def create_share(
    body: ShareCreate, db: SessionDep, actor: Annotated[Actor, allow(Action.SHARE_CREATE)]
) -> ShareCreated:
    """Share a clip with a professional; the answer carries the link, shown this once."""
    share, token = service.create_share(db, actor=actor, data=body)
    return ShareCreated(share=service.share_read(share, covered=True), link=service.link_for(token))


@router.get("/cases/{case_id}/shares", response_model=list[ShareRead])
def list_case_shares(
    case_id: str, db: SessionDep, actor: Annotated[Actor, allow(Action.SHARE_LIST)]
) -> list[ShareRead]:
    """Every share of a case's clips, with its status and views."""
    return service.reads(db, service.list_for_case(db, actor=actor, case_id=case_id))


@router.get("/films/{film_id}/shares", response_model=list[ShareRead])
def list_film_shares(
    film_id: str, db: SessionDep, actor: Annotated[Actor, allow(Action.SHARE_LIST)]
) -> list[ShareRead]:
    """Every share of a film's clips, with its status and views."""
    return service.reads(db, service.list_for_film(db, actor=actor, film_id=film_id))


@router.get("/shares/{share_id}", response_model=ShareRead)
def get_share(
    share_id: str, db: SessionDep, actor: Annotated[Actor, allow(Action.SHARE_LIST)]
) -> ShareRead:
    """One share, with its status and views."""
    share = service.get_share(db, actor=actor, share_id=share_id, action=Action.SHARE_LIST)
    return service.reads(db, [share])[0]


@router.post("/shares/{share_id}/revoke", response_model=ShareRead)
def revoke_share(
    share_id: str,
    body: ShareRevoke,
    request: Request,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.SHARE_REVOKE)],
) -> ShareRead:
    """Close the link at once; its rendered clip is destroyed."""
    share = service.revoke_share(
        db,
        settings=request.app.state.settings,
        vault=request.app.state.vault,
        actor=actor,
        share_id=share_id,
        reason=body.reason,
    )
    return service.reads(db, [share])[0]

"""JSON routes for users and teams."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from attunely.accounts import service
from attunely.accounts.schemas import RolesUpdate, TeamCreate, TeamRead, UserCreate, UserRead
from attunely.policy import Action, Actor
from attunely.web.deps import SessionDep, SettingsDep, allow

router = APIRouter(tags=["accounts"])


@router.get("/users", response_model=list[UserRead])
def list_users(db: SessionDep, actor: Annotated[Actor, allow(Action.USER_LIST)]) -> list[UserRead]:
    """List the organisation's users."""
    return [service.to_read(u) for u in service.list_users(db, actor=actor)]


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(
    body: UserCreate,
    db: SessionDep,
    settings: SettingsDep,
    actor: Annotated[Actor, allow(Action.USER_MANAGE)],
) -> UserRead:
    """Create a user with roles and teams."""
    user = service.create_user(
        db, actor=actor, data=body, organisation_name=settings.organisation_name
    )
    return service.to_read(user)


@router.get("/teams", response_model=list[TeamRead])
def list_teams(db: SessionDep, actor: Annotated[Actor, allow(Action.SELF_VIEW)]) -> list[TeamRead]:
    """List the organisation's teams."""
    teams = service.list_teams(db, organisation_id=actor.organisation_id)
    return [TeamRead.model_validate(t) for t in teams]


@router.post("/teams", response_model=TeamRead, status_code=201)
def create_team(
    body: TeamCreate,
    db: SessionDep,
    settings: SettingsDep,
    actor: Annotated[Actor, allow(Action.TEAM_MANAGE)],
) -> TeamRead:
    """Create a team."""
    team = service.create_team(
        db, actor=actor, data=body, organisation_name=settings.organisation_name
    )
    return TeamRead.model_validate(team)


@router.put("/users/{user_id}/roles", response_model=UserRead)
def set_roles(
    user_id: str,
    body: RolesUpdate,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.USER_MANAGE)],
) -> UserRead:
    """Replace a user's roles."""
    return service.to_read(service.set_roles(db, actor=actor, user_id=user_id, roles=body.roles))

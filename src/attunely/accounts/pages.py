"""Administration pages for users and teams."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from attunely.accounts import service
from attunely.accounts.schemas import TeamCreate, UserCreate
from attunely.errors import AttunelyError
from attunely.policy import ROLE_LABELS, Action, Actor
from attunely.web.deps import FormDep, SessionDep, SettingsDep, allow
from attunely.web.errors import describe_validation, status_for
from attunely.web.templating import render

router = APIRouter(include_in_schema=False)


def _users_page(request: Request, db: SessionDep, actor: Actor, **extra: object) -> Response:
    status = int(extra.pop("status_code", 200))  # type: ignore[call-overload]
    users = service.list_users(db, actor=actor)
    teams = service.list_teams(db, organisation_id=actor.organisation_id)
    team_names = {t.id: t.name for t in teams}
    return render(
        request,
        "users.html",
        {
            "users": users,
            "teams": teams,
            "team_names": team_names,
            "all_roles": ROLE_LABELS,
            **extra,
        },
        status_code=status,
    )


@router.get("/admin/users")
def users_page(
    request: Request, db: SessionDep, actor: Annotated[Actor, allow(Action.USER_LIST)]
) -> Response:
    """List users; administrators also get the form to add one."""
    return _users_page(request, db, actor)


@router.post("/admin/users")
def create_user(
    request: Request,
    form: FormDep,
    db: SessionDep,
    settings: SettingsDep,
    actor: Annotated[Actor, allow(Action.USER_MANAGE)],
) -> Response:
    """Add a user from the form; on a problem, show the form again with the message."""
    try:
        data = UserCreate(
            username=form.get("username", ""),
            display_name=form.get("display_name", ""),
            password=form.get("password", ""),
            roles=form.getlist("roles"),
            teams=form.getlist("teams"),
            manages_teams=form.get("manages_teams") == "on",
        )
        service.create_user(
            db, actor=actor, data=data, organisation_name=settings.organisation_name
        )
    except ValidationError as exc:
        message, _ = describe_validation(exc)
        return _users_page(request, db, actor, error=message, form=form, status_code=422)
    except AttunelyError as exc:
        db.rollback()
        return _users_page(
            request, db, actor, error=exc.message, form=form, status_code=status_for(exc)
        )
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/teams")
def create_team(
    request: Request,
    form: FormDep,
    db: SessionDep,
    settings: SettingsDep,
    actor: Annotated[Actor, allow(Action.TEAM_MANAGE)],
) -> Response:
    """Add a team."""
    try:
        service.create_team(
            db,
            actor=actor,
            data=TeamCreate(name=form.get("name", "")),
            organisation_name=settings.organisation_name,
        )
    except ValidationError as exc:
        message, _ = describe_validation(exc)
        return _users_page(request, db, actor, error=message, status_code=422)
    except AttunelyError as exc:
        db.rollback()
        return _users_page(request, db, actor, error=exc.message, status_code=status_for(exc))
    return RedirectResponse("/admin/users", status_code=303)

"""Pages for a team's coding schemes: the list, and the editor that saves new versions.

The editor is a form built by scheme-edit.js and saved through the JSON API, so every rule
(unique codes and keys, sizes, stale versions) is the API's own.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from attunely.policy import Action, Actor, decide
from attunely.web.deps import SessionDep, allow
from attunely.web.templating import render
from attunely.workspace import schemes
from attunely.workspace.models import CodingSchemeVersion
from attunely.workspace.schemas import CodeType

router = APIRouter(include_in_schema=False)


def _embedded(value: object) -> str:
    """JSON safe inside a <script type="application/json"> element (no "</script>")."""
    return json.dumps(value).replace("<", "\\u003c")


BLANK_CODE = {
    "code": "",
    "name": "",
    "category": "",
    "type": CodeType.POINT.value,
    "colour": "#2f6f62",
    "key": "",
    "behaviours": [],
    "description": "",
}


@router.get("/teams/{team_id}/schemes")
def schemes_page(
    request: Request,
    team_id: str,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.SCHEME_VIEW)],
) -> Response:
    """A team's coding schemes, each at its newest version."""
    current = schemes.list_schemes(db, actor=actor, team_id=team_id)
    team = schemes.authorized_team(db, actor=actor, team_id=team_id, action=Action.SCHEME_VIEW)
    may_manage = decide(actor, Action.SCHEME_MANAGE, schemes.team_scope(team)).allowed
    return render(
        request,
        "schemes.html",
        {"team": team, "schemes": current, "may_manage": may_manage},
    )


@router.get("/teams/{team_id}/schemes/new")
def new_scheme_page(
    request: Request,
    team_id: str,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.SCHEME_MANAGE)],
) -> Response:
    """The editor, empty, for a new scheme."""
    team = schemes.authorized_team(db, actor=actor, team_id=team_id, action=Action.SCHEME_MANAGE)
    start = {"name": "", "description": "", "version": 0, "codes": [dict(BLANK_CODE)]}
    return render(
        request,
        "scheme_edit.html",
        {"team": team, "scheme": None, "start": _embedded(start), "history": []},
    )


@router.get("/schemes/{scheme_id}/edit")
def edit_scheme_page(
    request: Request,
    scheme_id: str,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.SCHEME_MANAGE)],
) -> Response:
    """The editor, filled with the scheme's newest version; saving makes the next one."""
    scheme = schemes.scheme_for(db, actor=actor, scheme_id=scheme_id, action=Action.SCHEME_MANAGE)
    team = schemes.authorized_team(
        db, actor=actor, team_id=scheme.team_id, action=Action.SCHEME_MANAGE
    )
    history = list(
        db.scalars(
            select(CodingSchemeVersion)
            .where(CodingSchemeVersion.scheme_id == scheme.id)
            .order_by(CodingSchemeVersion.version.desc())
        )
    )
    newest = schemes.version_read(history[0], scheme)
    start = {
        "name": newest.name,
        "description": newest.description,
        "version": newest.version,
        "codes": [c.model_dump(mode="json") for c in newest.codes],
    }
    return render(
        request,
        "scheme_edit.html",
        {
            "team": team,
            "scheme": scheme,
            "start": _embedded(start),
            "history": [schemes.version_read(v, scheme) for v in history],
        },
    )

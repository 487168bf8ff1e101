"""The DPIA data map for the DPO in the browser (the same pack as `attunely dpia`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from attunely.dpia import service
from attunely.policy import Action, Actor
from attunely.web.deps import SessionDep, SettingsDep, allow

router = APIRouter(include_in_schema=False)


@router.get("/dpia")
def dpia_page(
    db: SessionDep,
    settings: SettingsDep,
    actor: Annotated[Actor, allow(Action.DPIA_VIEW)],
    format: str = "html",
) -> Response:
    """Show the pack; `?format=markdown` downloads it as Markdown."""
    fmt = service.pack_format_name(format)
    text = service.generate(db, settings, actor=actor, fmt=fmt)
    if fmt == "markdown":
        return Response(
            text,
            media_type="text/markdown; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="dpia-data-map.md"'},
        )
    return HTMLResponse(text)

"""Pages of the sharing package: the guider's shares of a film or case, and the recipient's
page behind a share link."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from attunely.cases.service import authorized_case, scope_of
from attunely.errors import AttunelyError, Conflict
from attunely.films import service as films
from attunely.films.models import Film
from attunely.films.ranges import parse_range
from attunely.policy import Action, Actor, decide
from attunely.sharing import links, service
from attunely.sharing.schemas import MAX_SHARE_DAYS, ShareCreate, ShareStatus
from attunely.web.deps import FormDep, FormFields, SessionDep, allow
from attunely.web.errors import describe_validation, status_for
from attunely.web.templating import render
from attunely.workspace.models import Clip

router = APIRouter(include_in_schema=False)

STATUS_WORDS = {
    ShareStatus.RENDERING: "Being prepared",
    ShareStatus.ACTIVE: "Active",
    ShareStatus.EXPIRED: "Expired",
    ShareStatus.REVOKED: "Revoked",
    ShareStatus.NO_CONSENT: "Stopped: no consent for sharing",
    ShareStatus.FAILED: "Could not be prepared",
}


def _clock(frame: int, fps: Fraction) -> str:
    if fps <= 0:
        return f"frame {frame}"
    seconds = float(frame / fps)
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


def _film_page(
    request: Request,
    db: Session,
    actor: Actor,
    film_id: str,
    *,
    error: str | None = None,
    form: FormFields | None = None,
    status_code: int = 200,
) -> Response:
    film, case = films.get_film(db, actor=actor, film_id=film_id, action=Action.SHARE_LIST)
    shares = service.reads(db, service.list_for_film(db, actor=actor, film_id=film.id))
    may_create = decide(actor, Action.SHARE_CREATE, scope_of(case)).allowed
    fps = service.proxy_facts(film)[0]
    clips = []
    if may_create:
        clips = [
            {
                "id": c.id,
                "title": c.title,
                "span": f"{_clock(c.in_frame, fps)} to {_clock(c.out_frame, fps)}",
            }
            for c in db.scalars(select(Clip).where(Clip.film_id == film.id).order_by(Clip.position))
        ]
    today = date.today()
    return render(
        request,
        "sharing_film.html",
        {
            "film": film,
            "case": case,
            "shares": shares,
            "words": STATUS_WORDS,
            "clips": clips,
            "chosen": request.query_params.get("clip", ""),
            "may_create": may_create,
            "may_revoke": decide(actor, Action.SHARE_REVOKE, scope_of(case)).allowed,
            "covered": service.sharing_covered(db, film=film),
            "min_day": (today + timedelta(days=1)).isoformat(),
            "max_day": (today + timedelta(days=MAX_SHARE_DAYS)).isoformat(),
            "default_day": (today + timedelta(days=30)).isoformat(),
            "max_days": MAX_SHARE_DAYS,
            "clock": lambda frame: _clock(frame, fps),
            "error": error,
            "form": form,
        },
        status_code=status_code,
    )


@router.get("/films/{film_id}/shares")
def film_shares(
    request: Request,
    film_id: str,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.SHARE_LIST)],
) -> Response:
    """A film's shared clips with their status, and the form to share another."""
    return _film_page(request, db, actor, film_id)


@router.post("/films/{film_id}/shares")
def create_share(
    request: Request,
    film_id: str,
    form: FormDep,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.SHARE_CREATE)],
) -> Response:
    """Share the chosen clip; the link is shown once, on the answer page."""
    try:
        data = ShareCreate.model_validate(
            {
                "clip_id": form.get("clip_id"),
                "recipient_name": form.get("recipient_name"),
                "recipient_organisation": form.get("recipient_organisation"),
                "recipient_email": form.get("recipient_email"),
                "purpose": form.get("purpose"),
                "agreement_reference": form.get("agreement_reference"),
                "expires_on": form.get("expires_on"),
            }
        )
        clip = db.get(Clip, data.clip_id)
        if clip is not None and clip.film_id != film_id:
            raise Conflict("that clip belongs to another film")
        share, token = service.create_share(db, actor=actor, data=data)
    except (ValidationError, AttunelyError) as exc:
        db.rollback()
        if isinstance(exc, ValidationError):
            message, status = describe_validation(exc)[0], 422
        else:
            message, status = exc.message, status_for(exc)
        return _film_page(request, db, actor, film_id, error=message, form=form, status_code=status)
    link = str(request.base_url).rstrip("/") + service.link_for(token)
    return render(
        request,
        "sharing_created.html",
        {"share": service.share_read(share, covered=True), "link": link, "film_id": film_id},
        status_code=201,
    )


@router.get("/cases/{case_id}/shares")
def case_shares(
    request: Request,
    case_id: str,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.SHARE_LIST)],
) -> Response:
    """Every clip of a case shared outside, with its status and views."""
    case = authorized_case(db, actor=actor, case_id=case_id, action=Action.SHARE_LIST)
    shares = service.reads(db, service.list_for_case(db, actor=actor, case_id=case.id))
    labels = {f.id: f.label for f in db.scalars(select(Film).where(Film.case_id == case.id))}
    return render(
        request,
        "sharing_case.html",
        {
            "case": case,
            "shares": shares,
            "labels": labels,
            "words": STATUS_WORDS,
            "may_revoke": decide(actor, Action.SHARE_REVOKE, scope_of(case)).allowed,
        },
    )


@router.post("/shares/{share_id}/revoke")
def revoke_share(
    request: Request,
    share_id: str,
    form: FormDep,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.SHARE_REVOKE)],
) -> Response:
    """Close a link at once, then go back to the list it was revoked from."""
    share = service.revoke_share(
        db,
        settings=request.app.state.settings,
        vault=request.app.state.vault,
        actor=actor,
        share_id=share_id,
        reason=form.get("reason")[:200],
    )
    back = form.get("back")
    target = (
        f"/cases/{share.case_id}/shares" if back == "case" else f"/films/{share.film_id}/shares"
    )
    return RedirectResponse(target, status_code=303)


# --- the recipient ------------------------------------------------------------------------


@router.get("/s/{token}")
def watch(
    request: Request,
    token: str,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.SHARE_WATCH)],
) -> Response:
    """The recipient's page: the labelled clip, who it is for and until when."""
    try:
        viewing = links.open_view(
            db,
            settings=request.app.state.settings,
            vault=request.app.state.vault,
            token=token,
            viewer=actor,
        )
    except (links.ShareUnavailable, Conflict) as exc:
        return render(
            request,
            "share_gone.html",
            {"message": exc.message, "waiting": isinstance(exc, Conflict)},
            status_code=status_for(exc),
        )
    return render(request, "share_watch.html", {"viewing": viewing, "src": f"/s/{token}/clip.mp4"})


@router.get("/s/{token}/clip.mp4")
def stream(
    request: Request,
    token: str,
    db: SessionDep,
    _actor: Annotated[Actor, allow(Action.SHARE_WATCH)],
) -> Response:
    """The labelled clip (MP4), honouring `Range`; every request is checked and audited."""
    wanted = request.headers.get("range")
    reader = links.open_stream(
        db,
        settings=request.app.state.settings,
        vault=request.app.state.vault,
        token=token,
        byte_range=wanted,
    )
    length = reader.length
    span = parse_range(wanted, length)
    start, end = span if span else (0, length)
    headers = {
        "Accept-Ranges": "bytes",
        "Cache-Control": "no-store",
        "Content-Disposition": "inline",
        "Content-Length": str(end - start),
    }
    if span:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{length}"
    # Commit the audit entry now: nothing may hold the database while bytes go out.
    db.commit()
    return StreamingResponse(
        reader.iter_range(start, end),
        status_code=206 if span else 200,
        headers=headers,
        media_type="video/mp4",
    )

"""JSON routes for filming sessions, resumable uploads and film playback."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from attunely.errors import InvalidInput
from attunely.films import service
from attunely.films.ranges import parse_range
from attunely.films.schemas import (
    MAX_PART_BYTES,
    FilmingSessionCreate,
    FilmingSessionRead,
    FilmRead,
    UploadComplete,
    UploadCreate,
    UploadRead,
)
from attunely.jobs import service as jobs
from attunely.policy import Action, Actor
from attunely.vault.service import VaultReader
from attunely.web.deps import SessionDep, allow

router = APIRouter(tags=["films"])


@router.get("/cases/{case_id}/filming-sessions", response_model=list[FilmingSessionRead])
def list_sessions(
    case_id: str, db: SessionDep, actor: Annotated[Actor, allow(Action.FILM_LIST)]
) -> list[FilmingSessionRead]:
    """List a case's filming sessions."""
    return [
        service.session_read(s) for s in service.list_sessions(db, actor=actor, case_id=case_id)
    ]


@router.post(
    "/cases/{case_id}/filming-sessions", response_model=FilmingSessionRead, status_code=201
)
def create_session(
    case_id: str,
    body: FilmingSessionCreate,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.FILM_UPLOAD)],
) -> FilmingSessionRead:
    """Record a filming visit (date, setting, activity, who was filmed)."""
    return service.session_read(service.create_session(db, actor=actor, case_id=case_id, data=body))


@router.get("/cases/{case_id}/films", response_model=list[FilmRead])
def list_films(
    case_id: str, db: SessionDep, actor: Annotated[Actor, allow(Action.FILM_LIST)]
) -> list[FilmRead]:
    """List a case's films with their processing state (no footage)."""
    return [service.film_read(db, f) for f in service.list_films(db, actor=actor, case_id=case_id)]


@router.post("/filming-sessions/{session_id}/uploads", response_model=UploadRead, status_code=201)
def start_upload(
    session_id: str,
    body: UploadCreate,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.FILM_UPLOAD)],
) -> UploadRead:
    """Open a resumable upload; send parts with PUT, then complete it."""
    return service.upload_read(
        service.start_upload(db, actor=actor, session_id=session_id, data=body)
    )


@router.get("/uploads/{upload_id}", response_model=UploadRead)
def upload_state(
    upload_id: str, db: SessionDep, actor: Annotated[Actor, allow(Action.FILM_UPLOAD)]
) -> UploadRead:
    """Say how many bytes have arrived, so a dropped upload can resume from there."""
    return service.upload_read(service.get_upload(db, actor=actor, upload_id=upload_id))


async def _read_part(request: Request) -> bytes:
    """Read a part's body, refusing more than a part may hold before it is all received."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_PART_BYTES:
        raise InvalidInput(f"a part holds at most {MAX_PART_BYTES} bytes")
    body = bytearray()
    async for piece in request.stream():
        body.extend(piece)
        if len(body) > MAX_PART_BYTES:
            raise InvalidInput(f"a part holds at most {MAX_PART_BYTES} bytes")
    return bytes(body)


@router.put("/uploads/{upload_id}/parts/{offset}", response_model=UploadRead)
async def put_part(
    upload_id: str,
    offset: int,
    request: Request,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.FILM_UPLOAD)],
) -> UploadRead:
    """Add the bytes starting at `offset` (raw body); 409 with the real offset if it differs."""
    data = await _read_part(request)
    upload = await run_in_threadpool(
        lambda: service.receive_part(
            db,
            vault=request.app.state.vault,
            actor=actor,
            upload_id=upload_id,
            offset=offset,
            data=data,
        )
    )
    return service.upload_read(upload)


@router.post("/uploads/{upload_id}/complete", response_model=FilmRead, status_code=202)
def complete_upload(
    upload_id: str,
    body: UploadComplete,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.FILM_UPLOAD)],
) -> FilmRead:
    """Finish the upload: the film is checked against `sha256`, then processed."""
    film = service.complete_upload(db, actor=actor, upload_id=upload_id, sha256=body.sha256)
    return service.film_read(db, film)


@router.delete("/uploads/{upload_id}", status_code=204)
def abandon_upload(
    upload_id: str,
    request: Request,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.FILM_UPLOAD)],
) -> Response:
    """Cancel an upload and destroy what arrived."""
    service.abandon_upload(db, vault=request.app.state.vault, actor=actor, upload_id=upload_id)
    return Response(status_code=204)


@router.get("/films/{film_id}", response_model=FilmRead)
def get_film(
    film_id: str, db: SessionDep, actor: Annotated[Actor, allow(Action.FILM_LIST)]
) -> FilmRead:
    """Describe a film: state, progress of its jobs, technical facts."""
    film, _case = service.get_film(db, actor=actor, film_id=film_id, action=Action.FILM_LIST)
    return service.film_read(db, film)


@router.post("/films/{film_id}/retry", response_model=FilmRead)
def retry_film(
    film_id: str, db: SessionDep, actor: Annotated[Actor, allow(Action.FILM_UPLOAD)]
) -> FilmRead:
    """Queue a film's failed jobs again."""
    film, _case = service.get_film(db, actor=actor, film_id=film_id, action=Action.FILM_UPLOAD)
    for job in jobs.jobs_for(db, subject_id=film.id):
        if job.state == jobs.FAILED:
            jobs.retry(db, job_id=job.id)
    return service.film_read(db, film)


def _stream(reader: VaultReader, request: Request, media_type: str) -> Response:
    length = reader.length
    span = parse_range(request.headers.get("range"), length)
    headers = {
        "Accept-Ranges": "bytes",
        "Cache-Control": "no-store",
        "Content-Disposition": "inline",
    }
    start, end = span if span else (0, length)
    headers["Content-Length"] = str(end - start)
    if span:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{length}"
    return StreamingResponse(
        reader.iter_range(start, end),
        status_code=206 if span else 200,
        headers=headers,
        media_type=media_type,
    )


@router.get("/films/{film_id}/proxy")
def play(
    film_id: str, request: Request, db: SessionDep, actor: Annotated[Actor, allow(Action.FILM_PLAY)]
) -> Response:
    """Stream the playback copy (MP4); honours `Range`. Every request is audited."""
    reader = service.open_film_object(
        db, vault=request.app.state.vault, actor=actor, film_id=film_id, which="proxy"
    )
    response = _stream(reader, request, "video/mp4")
    # Commit the audit entry now: nothing may hold the database while bytes go out.
    db.commit()
    return response


@router.get("/films/{film_id}/thumbs")
def thumbs(
    film_id: str, request: Request, db: SessionDep, actor: Annotated[Actor, allow(Action.FILM_PLAY)]
) -> Response:
    """The thumbnail sprite (JPEG); its layout is in the film's `proxy.thumbs`."""
    reader = service.open_film_object(
        db, vault=request.app.state.vault, actor=actor, film_id=film_id, which="thumbs"
    )
    return Response(
        reader.read_range(), media_type="image/jpeg", headers={"Cache-Control": "no-store"}
    )


@router.get("/films/{film_id}/waveform")
def waveform(
    film_id: str, request: Request, db: SessionDep, actor: Annotated[Actor, allow(Action.FILM_PLAY)]
) -> Response:
    """Sound peaks per time bucket (JSON), for drawing the waveform."""
    reader = service.open_film_object(
        db, vault=request.app.state.vault, actor=actor, film_id=film_id, which="waveform"
    )
    return Response(
        reader.read_range(), media_type="application/json", headers={"Cache-Control": "no-store"}
    )


@router.get("/films/{film_id}/analysis")
def film_analysis(
    film_id: str, request: Request, db: SessionDep, actor: Annotated[Actor, allow(Action.FILM_PLAY)]
) -> Response:
    """The automatic first pass: speech, turns, motion, synchrony and proposed moments."""
    from attunely.films.analysis import read_analysis

    body = read_analysis(db, vault=request.app.state.vault, actor=actor, film_id=film_id)
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})


@router.get("/films/{film_id}/analysis/stills/{moment}")
def moment_still(
    film_id: str,
    moment: str,
    request: Request,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.FILM_PLAY)],
) -> Response:
    """The still picture of one proposed moment (JPEG)."""
    from attunely.films.analysis import read_still

    body = read_still(
        db, vault=request.app.state.vault, actor=actor, film_id=film_id, moment=moment
    )
    return Response(body, media_type="image/jpeg", headers={"Cache-Control": "no-store"})

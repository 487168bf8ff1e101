"""Run the first-pass analysis on a ready film in the background and keep its results sealed.

The analysis reads the playback copy (constant frame rate, upright: the same timeline the
workspace shows) straight from the vault; its results and moment stills are derived from
footage, so they are sealed in the vault too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import BinaryIO, cast

from sqlalchemy.orm import Session

from attunely.analysis.media import open_media
from attunely.analysis.outputs import SCHEMA_VERSION, moment_id, to_json
from attunely.analysis.pipeline import analyse
from attunely.analysis.stills import data_uri, encode_jpeg
from attunely.audit import service as audit
from attunely.db import unit_of_work
from attunely.errors import Conflict, NotFound
from attunely.films.jobs import FOLLOW_ON_JOBS, WORKER
from attunely.films.models import Film, FilmAnalysis
from attunely.films.schemas import FilmState
from attunely.films.service import consented_purpose, get_film
from attunely.films.vaultfile import VaultFile
from attunely.jobs.registry import JobContext, register
from attunely.policy import Action, Actor
from attunely.vault import service as vault_service
from attunely.vault.context import Vault, vault_for
from attunely.vault.models import ObjectKind

KIND = "analysis.film"
FOLLOW_ON_JOBS.append(KIND)


@register(KIND)
def analyse_film(ctx: JobContext) -> str:
    """Analyse the film's playback copy; store the result and stills; idempotent."""
    vault = vault_for(ctx.settings, ctx.sessions)
    with unit_of_work(ctx.sessions) as db:
        film = db.get(Film, ctx.subject_id)
        if film is None or film.state != FilmState.READY or film.proxy_object_id is None:
            return "nothing to do"
        if db.get(FilmAnalysis, film.id) is not None:
            return "already analysed"
        case_id, label = film.case_id, film.label
        reader = vault_service.open_reader(
            db,
            vault=vault,
            actor=WORKER,
            object_id=film.proxy_object_id,
            purpose="feedback",
            detail={"film": film.id, "step": "analysis"},
        )
    media = open_media(Path(f"{label}.mp4"), opener=lambda: cast(BinaryIO, VaultFile(reader)))
    result = analyse(media, progress=lambda stage, f: ctx.progress(0.9 * f, f"analysing: {stage}"))
    pictures = media.stills([m.still_s for m in result.moments], width=320)
    stills = {
        moment_id(i): data_uri(encode_jpeg(p)) for i, p in enumerate(pictures) if p is not None
    }
    document = to_json(result, film_name=label)
    stored = vault_service.store_stream(
        vault,
        actor=WORKER,
        case_id=case_id,
        kind=ObjectKind.ANALYSIS,
        purpose="feedback",
        source=[json.dumps(document).encode()],
        detail={"film": ctx.subject_id},
    )
    pictures_object = vault_service.store_stream(
        vault,
        actor=WORKER,
        case_id=case_id,
        kind=ObjectKind.STILLS,
        purpose="feedback",
        source=[json.dumps(stills).encode()],
        detail={"film": ctx.subject_id},
    )
    with unit_of_work(ctx.sessions) as db:
        if db.get(FilmAnalysis, ctx.subject_id) is not None:
            return "analysed meanwhile"  # the loose objects go with the next garbage run
        db.add(
            FilmAnalysis(
                film_id=ctx.subject_id,
                result_object_id=stored.id,
                stills_object_id=pictures_object.id,
                schema_version=str(SCHEMA_VERSION),
                moment_count=len(result.moments),
                notes=json.dumps(result.notes),
            )
        )
        audit.record(
            db,
            actor=WORKER,
            action="analysis.done",
            object_type="film",
            object_id=ctx.subject_id,
            purpose="feedback",
            detail={"moments": len(result.moments)},
        )
    return f"{len(result.moments)} moments proposed"


def _analysis(db: Session, *, actor: Actor, film_id: str) -> tuple[Film, FilmAnalysis, str]:
    film, case = get_film(db, actor=actor, film_id=film_id, action=Action.FILM_PLAY)
    found = db.get(FilmAnalysis, film.id)
    if found is None:
        raise Conflict(
            "the film has not been analysed yet"
            if film.state == FilmState.READY
            else "the film is not ready yet"
        )
    return film, found, consented_purpose(db, actor=actor, film=film, case=case)


def read_analysis(db: Session, *, vault: Vault, actor: Actor, film_id: str) -> bytes:
    """Return the analysis JSON of a film (audited like any read of footage)."""
    film, found, purpose = _analysis(db, actor=actor, film_id=film_id)
    reader = vault_service.open_reader(
        db,
        vault=vault,
        actor=actor,
        object_id=found.result_object_id,
        purpose=purpose,
        detail={"film": film.id, "part": "analysis"},
    )
    return reader.read_range()


def read_still(db: Session, *, vault: Vault, actor: Actor, film_id: str, moment: str) -> bytes:
    """Return the JPEG still of one proposed moment."""
    import base64

    film, found, purpose = _analysis(db, actor=actor, film_id=film_id)
    if found.stills_object_id is None:
        raise NotFound("no stills for this film")
    reader = vault_service.open_reader(
        db,
        vault=vault,
        actor=actor,
        object_id=found.stills_object_id,
        purpose=purpose,
        detail={"film": film.id, "part": "still"},
    )
    stills = json.loads(reader.read_range())
    uri = stills.get(moment) if isinstance(stills, dict) else None
    if not isinstance(uri, str):
        raise NotFound("no such moment")
    return base64.b64decode(uri.split(",", 1)[1])

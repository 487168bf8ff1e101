"""Regions of interest on a film: where the adult and the child are, for motion analysis.

The analysis places the two regions itself; a guider can draw or adjust them on a frame in
the workspace and ask for the motion part of the analysis to be measured again in them (a
background job, `workspace/motion_job.py`). Boxes are fractions of the picture.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator
from sqlalchemy.orm import Session

from attunely.audit import service as audit
from attunely.db import utcnow
from attunely.errors import Conflict, InvalidInput, NotFound
from attunely.films import service as films
from attunely.films.analysis import read_analysis
from attunely.films.models import Film, FilmAnalysis
from attunely.films.schemas import FilmState
from attunely.inputs import InputModel
from attunely.jobs import service as jobs
from attunely.policy import Action, Actor
from attunely.vault import service as vault_service
from attunely.vault.context import Vault
from attunely.workspace.errors import FilmNotReady, StaleRevision
from attunely.workspace.models import FilmRegions
from attunely.workspace.schemas import MAX_FRAME

MOTION_JOB = "workspace.motion"
#: The smallest region side, as a fraction of the picture: smaller boxes hold too few
#: pixels of the motion grid to measure movement.
MIN_SIDE = 0.04


class RegionBox(InputModel):
    """A rectangle as fractions (0-1) of the picture: left, top, width, height."""

    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)
    w: float = Field(ge=MIN_SIDE, le=1)
    h: float = Field(ge=MIN_SIDE, le=1)

    @model_validator(mode="after")
    def _inside(self) -> RegionBox:
        if self.x + self.w > 1.0001 or self.y + self.h > 1.0001:
            raise ValueError("a region must lie inside the picture")
        return self

    def as_list(self) -> list[float]:
        return [round(self.x, 4), round(self.y, 4), round(self.w, 4), round(self.h, 4)]


class RegionsUpdate(InputModel):
    """The regions as drawn; `revision` is the one the client saw (0: none stored yet)."""

    revision: int = Field(ge=0)
    adult: RegionBox | None
    child: RegionBox | None
    frame: int = Field(default=0, ge=0, le=MAX_FRAME)


class MotionStatus(BaseModel):
    #: none, queued, running, done or failed.
    state: str
    at: datetime | None
    note: str
    #: The boxes the stored result was measured in (None: nothing measured yet).
    adult: list[float] | None
    child: list[float] | None
    #: Whether the stored result was measured in the regions as they are now.
    current: bool


class RegionsRead(BaseModel):
    film_id: str
    revision: int
    frame: int
    adult: list[float] | None
    child: list[float] | None
    #: Where the analysis placed them (None: no analysis, or it found none).
    proposed_adult: list[float] | None
    proposed_child: list[float] | None
    motion: MotionStatus


def _box(text: str | None) -> list[float] | None:
    value = json.loads(text) if text else None
    return [float(v) for v in value] if isinstance(value, list) and len(value) == 4 else None


def _proposed(db: Session, *, vault: Vault, actor: Actor, film: Film) -> dict[str, Any]:
    if db.get(FilmAnalysis, film.id) is None:
        return {}
    document = json.loads(read_analysis(db, vault=vault, actor=actor, film_id=film.id))
    regions = (document.get("tracks") or {}).get("regions") or {}
    return regions if isinstance(regions, dict) else {}


def _read(row: FilmRegions | None, film: Film, proposed: dict[str, Any]) -> RegionsRead:
    adult = _box(row.adult_box) if row else None
    child = _box(row.child_box) if row else None
    measured = json.loads(row.motion_boxes) if row and row.motion_boxes else {}
    return RegionsRead(
        film_id=film.id,
        revision=row.revision if row else 0,
        frame=row.frame if row else 0,
        adult=adult,
        child=child,
        proposed_adult=proposed.get("adult"),
        proposed_child=proposed.get("child"),
        motion=MotionStatus(
            state=row.motion_state if row else "none",
            at=row.motion_at if row else None,
            note=row.motion_note if row else "",
            adult=measured.get("adult"),
            child=measured.get("child"),
            current=bool(measured)
            and [measured.get("adult"), measured.get("child")] == [adult, child],
        ),
    )


def _film(db: Session, *, actor: Actor, film_id: str, action: Action) -> tuple[Film, str]:
    """The film, and the purpose its consent allows this actor (checked here)."""
    film, case = films.get_film(db, actor=actor, film_id=film_id, action=action)
    # Regions and the motion in them describe the footage: the same consent governs them.
    return film, films.consented_purpose(db, actor=actor, film=film, case=case)


def get_regions(db: Session, *, vault: Vault, actor: Actor, film_id: str) -> RegionsRead:
    """The film's regions as drawn (if any) and as the analysis proposed them."""
    film, _ = _film(db, actor=actor, film_id=film_id, action=Action.ANNOTATION_VIEW)
    return _read(
        db.get(FilmRegions, film.id), film, _proposed(db, vault=vault, actor=actor, film=film)
    )


def _ready(film: Film) -> None:
    if film.state != FilmState.READY or film.proxy_object_id is None:
        raise FilmNotReady("the film is not ready to be watched yet, so no regions can be drawn")


def save_regions(
    db: Session, *, vault: Vault, actor: Actor, film_id: str, data: RegionsUpdate
) -> RegionsRead:
    """Store the regions drawn on the film; 409 with the current ones if they moved on."""
    film, purpose = _film(db, actor=actor, film_id=film_id, action=Action.ANNOTATION_EDIT)
    _ready(film)
    row = db.get(FilmRegions, film.id)
    have = row.revision if row else 0
    if have != data.revision:
        raise StaleRevision("pair of regions", _read(row, film, {}))
    if row is None:
        row = FilmRegions(film_id=film.id, revision=0, motion_state="none", motion_note="")
        db.add(row)
    row.adult_box = json.dumps(data.adult.as_list()) if data.adult else None
    row.child_box = json.dumps(data.child.as_list()) if data.child else None
    row.frame = data.frame
    row.revision = have + 1
    row.updated_by = actor.audit_id
    row.updated_at = utcnow()
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="regions.edit",
        object_type="film",
        object_id=film.id,
        purpose=purpose,
        detail={"revision": str(row.revision)},
    )
    return _read(row, film, _proposed(db, vault=vault, actor=actor, film=film))


def remeasure(
    db: Session, *, vault: Vault, actor: Actor, film_id: str, revision: int
) -> RegionsRead:
    """Queue the motion part of the analysis again, in the regions at `revision`."""
    film, purpose = _film(db, actor=actor, film_id=film_id, action=Action.ANNOTATION_EDIT)
    _ready(film)
    row = db.get(FilmRegions, film.id)
    if row is None or row.adult_box is None or row.child_box is None:
        raise InvalidInput(
            "draw both regions, the adult's and the child's, before measuring the motion again"
        )
    if row.revision != revision:
        raise StaleRevision("pair of regions", _read(row, film, {}))
    under_way = [
        j
        for j in jobs.jobs_for(db, subject_id=film.id)
        if j.kind == MOTION_JOB and j.state in (jobs.QUEUED, jobs.RUNNING)
    ]
    # A state left at queued or running by a job that has since given up does not block.
    if row.motion_state in ("queued", "running") and under_way:
        raise Conflict("the motion is already being measured; it will show here when done")
    jobs.enqueue(
        db,
        kind=MOTION_JOB,
        subject_id=film.id,
        payload={"adult": _box(row.adult_box), "child": _box(row.child_box)},
    )
    row.motion_state = "queued"
    row.motion_note = ""
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="regions.remeasure",
        object_type="film",
        object_id=film.id,
        purpose=purpose,
        detail={"revision": str(row.revision)},
    )
    return _read(row, film, {})


def read_motion(db: Session, *, vault: Vault, actor: Actor, film_id: str) -> bytes:
    """The motion and synchrony last measured in the drawn regions (JSON; an audited read)."""
    film, case = films.get_film(db, actor=actor, film_id=film_id, action=Action.ANNOTATION_VIEW)
    purpose = films.consented_purpose(db, actor=actor, film=film, case=case)
    row = db.get(FilmRegions, film.id)
    if row is None or row.motion_object_id is None:
        raise NotFound("the motion has not been measured in drawn regions yet")
    reader = vault_service.open_reader(
        db,
        vault=vault,
        actor=actor,
        object_id=row.motion_object_id,
        purpose=purpose,
        detail={"film": film.id, "part": "region motion"},
    )
    return reader.read_range()

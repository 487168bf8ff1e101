"""Measure motion energy and movement synchrony again, in the regions a guider drew.

The same measurement as the analysis (analysis/motion.py, analysis/synchrony.py) on the
playback copy read straight from the vault; the result is derived from footage, so it is
sealed in the vault, and the film's regions row points at it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, BinaryIO, cast

import numpy as np

from attunely.analysis.media import open_media
from attunely.analysis.motion import Box, motion_grid, region_series, resample
from attunely.analysis.outputs import synchrony_json
from attunely.analysis.synchrony import synchrony
from attunely.audit import service as audit
from attunely.db import unit_of_work, utcnow
from attunely.errors import AttunelyError
from attunely.films.jobs import WORKER
from attunely.films.models import Film
from attunely.films.schemas import FilmState
from attunely.films.vaultfile import VaultFile
from attunely.jobs.registry import JobContext, register
from attunely.vault import service as vault_service
from attunely.vault.context import vault_for
from attunely.vault.models import ObjectKind
from attunely.workspace.models import FilmRegions
from attunely.workspace.regions import MOTION_JOB

#: As the analysis measures it (AnalysisOptions' defaults).
MOTION_FPS = 10.0
MOTION_WIDTH = 160
RATE_HZ = 10.0
WINDOW_S = 30.0
MAX_LAG_S = 5.0
SURROGATES = 200


def _r(value: float, places: int = 3) -> float:
    return round(float(value), places)


def measure(media: Any, adult: Box, child: Box) -> tuple[dict[str, Any], str]:
    """Motion series in both regions and their synchrony; returns (document, note)."""
    grid = motion_grid(media.grey_frames(fps=MOTION_FPS, width=MOTION_WIDTH))
    duration = float(media.info.duration_s)
    if grid.times.size:
        duration = max(duration, float(grid.times[-1]))
    series = {
        who: resample(grid.times, region_series(grid, box), rate_hz=RATE_HZ, duration_s=duration)
        for who, box in (("adult", adult), ("child", child))
    }
    sync = synchrony(
        series["child"],
        series["adult"],
        rate_hz=RATE_HZ,
        window_s=WINDOW_S,
        max_lag_s=MAX_LAG_S,
        surrogates=SURROGATES,
        seed=0,
    )
    note = "" if sync else "movement synchrony needs at least 20 s of film with both moving"
    document: dict[str, Any] = {
        "regions": {"adult": adult.as_list(), "child": child.as_list()},
        "regions_from": "hand",
        "motion": {
            "rate_hz": RATE_HZ,
            "unit": "fraction of the region's pixels that changed",
            "sampled_frames": int(grid.times.size),
            "adult": [_r(v, 4) for v in np.asarray(series["adult"]).tolist()],
            "child": [_r(v, 4) for v in np.asarray(series["child"]).tolist()],
        },
        "synchrony": synchrony_json(sync),
        "note": note,
    }
    return document, note


def _finish(ctx: JobContext, *, state: str, note: str, object_id: str | None, boxes: str) -> None:
    with unit_of_work(ctx.sessions) as db:
        row = db.get(FilmRegions, ctx.subject_id)
        if row is None:
            return
        row.motion_state = state
        row.motion_note = note
        if object_id is not None:
            row.motion_object_id = object_id
            row.motion_boxes = boxes
            row.motion_at = utcnow()
        audit.record(
            db,
            actor=WORKER,
            action=f"regions.motion_{state}",
            object_type="film",
            object_id=ctx.subject_id,
            purpose="feedback",
            detail={"job": ctx.job_id},
        )


@register(MOTION_JOB)
def remeasure_motion(ctx: JobContext) -> str:
    """Decode the proxy from the vault, measure, seal the result, point the regions at it."""
    vault = vault_for(ctx.settings, ctx.sessions)
    adult_list, child_list = ctx.payload.get("adult"), ctx.payload.get("child")
    with unit_of_work(ctx.sessions) as db:
        film = db.get(Film, ctx.subject_id)
        row = db.get(FilmRegions, ctx.subject_id)
        if film is None or row is None or film.proxy_object_id is None:
            return "nothing to do"
        if film.state != FilmState.READY or not adult_list or not child_list:
            row.motion_state = "failed"
            row.motion_note = "the film is not ready, or the regions are missing"
            return "nothing to do"
        row.motion_state = "running"
        case_id, label = film.case_id, film.label
        reader = vault_service.open_reader(
            db,
            vault=vault,
            actor=WORKER,
            object_id=film.proxy_object_id,
            purpose="feedback",
            detail={"film": film.id, "step": "region motion"},
        )
    boxes = json.dumps({"adult": adult_list, "child": child_list})
    try:
        adult, child = Box(*adult_list), Box(*child_list)
        media = open_media(Path(f"{label}.mp4"), opener=lambda: cast(BinaryIO, VaultFile(reader)))
        ctx.progress(0.1, "measuring movement")
        document, note = measure(media, adult, child)
    except AttunelyError as exc:
        _finish(ctx, state="failed", note=exc.message, object_id=None, boxes=boxes)
        return f"failed: {exc.message}"
    stored = vault_service.store_stream(
        vault,
        actor=WORKER,
        case_id=case_id,
        kind=ObjectKind.ANALYSIS,
        purpose="feedback",
        source=[json.dumps(document).encode()],
        detail={"film": ctx.subject_id, "part": "region motion"},
    )
    _finish(ctx, state="done", note=note, object_id=stored.id, boxes=boxes)
    return "motion measured in the drawn regions"

"""Regions of interest: drawn on a frame, stored per film, and motion measured again in them
by a background job whose result is sealed in the vault."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from attunely.analysis.motion import Box
from attunely.audit.models import AuditEntry
from attunely.config import Settings
from attunely.policy import Role
from attunely.workspace.models import FilmRegions
from attunely.workspace.motion_job import measure
from tests.integration.films.conftest import run_jobs
from tests.integration.workspace.conftest import Desk
from tests.support.leaks import files_under, find_leaks

ADULT = {"x": 0.05, "y": 0.1, "w": 0.4, "h": 0.8}
CHILD = {"x": 0.55, "y": 0.3, "w": 0.35, "h": 0.6}


def put(desk: Desk, revision: int, **boxes: Any) -> Any:
    body = {"revision": revision, "adult": ADULT, "child": CHILD, "frame": 12, **boxes}
    return desk.client.put(f"/api/films/{desk.film_id}/regions", json=body)


def test_regions_are_stored_with_revisions_and_checked(desk: Desk) -> None:
    empty = desk.client.get(f"/api/films/{desk.film_id}/regions")
    assert empty.status_code == 200, empty.text
    assert empty.json()["revision"] == 0 and empty.json()["adult"] is None
    assert empty.json()["motion"]["state"] == "none"
    first = put(desk, 0)
    assert first.status_code == 200, first.text
    assert first.json()["adult"] == [0.05, 0.1, 0.4, 0.8] and first.json()["frame"] == 12
    assert first.json()["revision"] == 1
    # A tab that still has revision 0 is told, not allowed to overwrite.
    stale = put(desk, 0, adult={"x": 0.0, "y": 0.0, "w": 0.5, "h": 0.5})
    assert stale.status_code == 409
    assert stale.json()["error"]["current"]["adult"] == [0.05, 0.1, 0.4, 0.8]
    # Boxes outside the picture, too small, or missing fields are clear refusals.
    for bad in (
        {"x": 0.8, "y": 0.1, "w": 0.4, "h": 0.5},
        {"x": 0.1, "y": 0.1, "w": 0.01, "h": 0.5},
        {"x": -0.1, "y": 0.1, "w": 0.4, "h": 0.5},
        {"x": 0.1, "y": 0.1, "w": 0.4},
    ):
        refused = put(desk, 1, adult=bad)
        assert refused.status_code == 422, (bad, refused.text)
    again = desk.client.get(f"/api/films/{desk.film_id}/regions").json()
    assert again["revision"] == 1 and again["child"] == [0.55, 0.3, 0.35, 0.6]
    # Measuring needs both regions.
    only_adult = put(desk, 1, child=None)
    assert only_adult.status_code == 200
    refused = desk.client.post(f"/api/films/{desk.film_id}/regions/motion?revision=2")
    assert refused.status_code == 422 and "both regions" in refused.text


def test_only_the_guider_draws_and_outsiders_see_nothing(desk: Desk) -> None:
    assert put(desk, 0).status_code == 200
    supervisor = desk.world.client_for(desk.supervisor)
    assert supervisor.get(f"/api/films/{desk.film_id}/regions").status_code == 200
    refused = supervisor.put(
        f"/api/films/{desk.film_id}/regions",
        json={"revision": 1, "adult": ADULT, "child": CHILD},
    )
    assert refused.status_code == 403
    assert supervisor.post(f"/api/films/{desk.film_id}/regions/motion?revision=1").status_code == (
        403
    )
    outsider = desk.world.client_for(desk.world.user(Role.GUIDER, team=desk.world.team()))
    assert outsider.get(f"/api/films/{desk.film_id}/regions").status_code in (403, 404)
    assert outsider.get(f"/api/films/{desk.film_id}/regions/motion").status_code in (403, 404)


def test_rerun_measures_motion_in_the_drawn_regions_and_seals_it(
    desk: Desk, app: FastAPI, settings: Settings, db: Session
) -> None:
    assert put(desk, 0).status_code == 200
    assert desk.client.get(f"/api/films/{desk.film_id}/regions/motion").status_code == 404
    queued = desk.client.post(f"/api/films/{desk.film_id}/regions/motion?revision=1")
    assert queued.status_code == 202, queued.text
    assert queued.json()["motion"]["state"] == "queued"
    twice = desk.client.post(f"/api/films/{desk.film_id}/regions/motion?revision=1")
    assert twice.status_code == 409
    assert run_jobs(app, settings) >= 1
    status = desk.client.get(f"/api/films/{desk.film_id}/regions").json()["motion"]
    assert status["state"] == "done", status
    assert status["adult"] == [0.05, 0.1, 0.4, 0.8] and status["current"] is True
    result = desk.client.get(f"/api/films/{desk.film_id}/regions/motion")
    assert result.status_code == 200
    document = result.json()
    assert document["regions"] == {"adult": status["adult"], "child": status["child"]}
    # A 2 s film at 10 samples a second; the test film moves everywhere, so both do.
    assert len(document["motion"]["adult"]) == 20 == len(document["motion"]["child"])
    assert max(document["motion"]["adult"]) > 0 and max(document["motion"]["child"]) > 0
    assert document["synchrony"] is None and "20 s" in document["note"]

    # Sealed: what was measured from the footage is nowhere on disk in plaintext (the
    # boxes a person drew and the fixed note are kept in the database).
    content = result.content
    secret = content[content.index(b'"motion"') : content.index(b'"synchrony"')]
    assert len(secret) > 200
    assert not find_leaks(secret, files_under(settings.resolved_data_dir))
    db.rollback()
    row = db.get(FilmRegions, desk.film_id)
    assert row is not None and row.motion_object_id is not None
    actions = db.scalars(
        select(AuditEntry.action).where(AuditEntry.object_id == desk.film_id)
    ).all()
    assert {"regions.edit", "regions.remeasure", "regions.motion_done"} <= set(actions)
    db.rollback()

    # Moving a region afterwards: the stored result says it is for the earlier regions.
    moved = put(desk, 1, child={"x": 0.5, "y": 0.5, "w": 0.5, "h": 0.5})
    assert moved.status_code == 200 and moved.json()["motion"]["current"] is False

    # A state left at "running" by a job that gave up (a crash) does not block the next one.
    row = db.get(FilmRegions, desk.film_id, populate_existing=True)
    assert row is not None
    row.motion_state = "running"
    db.commit()
    again = desk.client.post(
        f"/api/films/{desk.film_id}/regions/motion?revision={moved.json()['revision']}"
    )
    assert again.status_code == 202, again.text


class _Media:
    """Grey frames whose left half flickers and right half stays still."""

    class info:
        duration_s = 30.0

    def grey_frames(self, *, fps: float, width: int) -> Iterator[tuple[float, np.ndarray]]:
        rng = np.random.default_rng(1)
        still = np.full((90, width), 120, dtype=np.uint8)
        for i in range(int(30 * fps)):
            frame = still.copy()
            # Movement on the left that comes and goes every few seconds.
            if (i // 25) % 2 == 0:
                frame[:, : width // 2] = rng.integers(0, 255, (90, width // 2), dtype=np.uint8)
            yield i / fps, frame


def test_the_measure_follows_the_boxes_it_is_given() -> None:
    left, right = Box(0.0, 0.0, 0.5, 1.0), Box(0.5, 0.0, 0.5, 1.0)
    document, _ = measure(_Media(), adult=left, child=right)
    adult = np.array(document["motion"]["adult"])
    child = np.array(document["motion"]["child"])
    assert adult.size == 300 and adult.max() > 0.5
    assert child.max() == 0  # nothing moves on the right
    swapped, _ = measure(_Media(), adult=right, child=left)
    assert swapped["motion"]["child"] == document["motion"]["adult"]
    assert json.dumps(swapped["regions"]) == json.dumps(
        {"adult": right.as_list(), "child": left.as_list()}
    )

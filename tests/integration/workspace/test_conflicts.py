"""Two tabs on one film never overwrite each other silently; a resent create is not doubled."""

from __future__ import annotations

import threading
import time
from typing import Any

from fastapi import FastAPI

from attunely.workspace import service
from attunely.workspace.schemas import AnnotationCreate
from tests.integration.workspace.conftest import Desk


def test_a_stale_change_is_refused_with_the_current_state(desk: Desk) -> None:
    made = desk.annotate(code="receiving", start_frame=8, note="first")
    annotation_id = made.json()["id"]
    # Both tabs saw revision 1. Tab A saves first.
    tab_a = desk.client.patch(
        f"/api/annotations/{annotation_id}", json={"revision": 1, "note": "from tab A"}
    )
    assert tab_a.status_code == 200 and tab_a.json()["revision"] == 2
    # Tab B's change, made from revision 1, is refused and told how things stand.
    tab_b = desk.client.patch(
        f"/api/annotations/{annotation_id}", json={"revision": 1, "note": "from tab B"}
    )
    assert tab_b.status_code == 409, tab_b.text
    error = tab_b.json()["error"]
    assert error["code"] == "stale_revision"
    assert "nothing was overwritten" in error["message"]
    assert error["current"]["note"] == "from tab A" and error["current"]["revision"] == 2
    stale_delete = desk.client.delete(f"/api/annotations/{annotation_id}", params={"revision": 1})
    assert stale_delete.status_code == 409
    assert stale_delete.json()["error"]["current"]["note"] == "from tab A"
    kept = desk.client.get(f"/api/films/{desk.film_id}/workspace").json()["annotations"]
    assert [a["note"] for a in kept] == ["from tab A"]
    # With the current revision it goes; then it is gone for everyone.
    assert (
        desk.client.delete(f"/api/annotations/{annotation_id}", params={"revision": 2}).status_code
        == 204
    )
    again = desk.client.patch(f"/api/annotations/{annotation_id}", json={"revision": 2})
    assert again.status_code == 404 and "deleted" in again.json()["error"]["message"]


def test_clip_and_still_changes_check_revisions_too(desk: Desk) -> None:
    clip = desk.clip(in_frame=0, out_frame=10).json()
    assert (
        desk.client.patch(
            f"/api/clips/{clip['id']}", json={"revision": 1, "caption": "A"}
        ).status_code
        == 200
    )
    stale = desk.client.patch(f"/api/clips/{clip['id']}", json={"revision": 1, "caption": "B"})
    assert stale.status_code == 409 and stale.json()["error"]["current"]["caption"] == "A"
    still = desk.client.post(f"/api/films/{desk.film_id}/stills", json={"frame": 3}).json()
    assert (
        desk.client.patch(
            f"/api/stills/{still['id']}", json={"revision": 1, "caption": "A"}
        ).status_code
        == 200
    )
    stale = desk.client.delete(f"/api/stills/{still['id']}", params={"revision": 1})
    assert stale.status_code == 409 and stale.json()["error"]["current"]["caption"] == "A"


def test_a_resent_create_finds_what_it_made(desk: Desk) -> None:
    chosen = "2f0c4b8e-6d1a-4c3e-9b7a-1e2d3c4b5a69"
    first = desk.annotate(id=chosen, code="guiding", start_frame=20)
    assert first.status_code == 201, first.text
    # The answer was lost; the browser sends the same request again.
    second = desk.annotate(id=chosen, code="guiding", start_frame=20)
    assert second.status_code == 200 and second.json() == first.json()
    listed = desk.client.get(f"/api/films/{desk.film_id}/workspace").json()["annotations"]
    assert [a["id"] for a in listed] == [chosen]
    clip_id = "3a0c4b8e-6d1a-4c3e-9b7a-1e2d3c4b5a69"
    assert desk.clip(id=clip_id, in_frame=0, out_frame=5).status_code == 201
    assert desk.clip(id=clip_id, in_frame=0, out_frame=5).status_code == 200
    assert len(desk.client.get(f"/api/films/{desk.film_id}/workspace").json()["clips"]) == 1


def test_two_copies_of_one_create_at_once_make_one_event(desk: Desk, app: FastAPI) -> None:
    chosen = "4b0c4b8e-6d1a-4c3e-9b7a-1e2d3c4b5a69"
    body = {"id": chosen, "code": "guiding", "start_frame": 3}
    # The first copy is stored but not yet committed when the second arrives.
    first = app.state.session_factory()
    made, new = service.create_annotation(
        first,
        actor=desk.world.operator,
        film_id=desk.film_id,
        data=AnnotationCreate(scheme_version_id=desk.scheme_version_id, **body),
    )
    assert new
    answers: list[Any] = []
    second = threading.Thread(target=lambda: answers.append(desk.annotate(**body)))
    second.start()
    time.sleep(0.5)  # the second copy now waits on the first one's row (or lock)
    first.commit()
    first.close()
    second.join(timeout=30)
    assert answers and answers[0].status_code == 200, answers[0].text if answers else "no answer"
    assert answers[0].json()["id"] == made.id
    listed = desk.client.get(f"/api/films/{desk.film_id}/workspace").json()["annotations"]
    assert [a["id"] for a in listed] == [chosen]

"""Coding, clips and stills on a film: what is accepted, and the clear refusals."""

from __future__ import annotations

import json

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from attunely.audit.models import AuditEntry
from attunely.config import Settings
from tests.integration.films.conftest import Filming
from tests.integration.workspace.conftest import FRAMES, Desk, new_film


def error_of(response: object) -> dict[str, object]:
    body = response.json()  # type: ignore[attr-defined]
    assert "error" in body, body
    return dict(body["error"])


def test_the_default_scheme_is_the_six_principles(desk: Desk) -> None:
    body = desk.client.get(f"/api/films/{desk.film_id}/workspace").json()
    assert len(body["schemes"]) == 1, "opening twice must not make a second default scheme"
    scheme = body["schemes"][0]
    assert scheme["version"] == 1 and scheme["current"]
    names = [c["name"] for c in scheme["codes"]]
    assert names == [
        "Being attentive",
        "Encouraging initiatives",
        "Receiving initiatives",
        "Developing attuned interactions",
        "Guiding",
        "Deepening discussion",
    ]
    assert all(len(c["behaviours"]) >= 5 for c in scheme["codes"])
    keys = [c["key"] for c in scheme["codes"]]
    assert keys == ["1", "2", "3", "4", "5", "6"]  # the top row: no numpad needed
    assert {c["type"] for c in scheme["codes"]} == {"point", "state"}
    listed = desk.client.get(f"/api/teams/{desk.team.id}/schemes").json()
    assert [s["id"] for s in listed] == [scheme["id"]]
    assert body["may_edit"] is True
    assert body["film"]["ready"] and body["film"]["fps"] == "30/1"


def test_point_and_state_events_and_several_codes_at_one_instant(desk: Desk) -> None:
    point = desk.annotate(code="receiving", start_frame=10)
    assert point.status_code == 201, point.text
    assert point.json()["end_frame"] == 10 and point.json()["revision"] == 1
    # Several codes at the same instant, and the same code for another subject.
    assert desk.annotate(code="encouraging", start_frame=10).status_code == 201
    assert desk.annotate(code="receiving", start_frame=10, subject="child").status_code == 201
    # A state: started (still running), then stopped.
    running = desk.annotate(code="attentive", start_frame=5)
    assert running.status_code == 201 and running.json()["end_frame"] is None
    stopped = desk.client.patch(
        f"/api/annotations/{running.json()['id']}", json={"revision": 1, "end_frame": 30}
    )
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["end_frame"] == 30 and stopped.json()["revision"] == 2
    # The last frame is 59: a point there and a state to the very end are inside the film.
    assert desk.annotate(code="guiding", start_frame=FRAMES - 1).status_code == 201
    assert desk.annotate(code="deepening", start_frame=50, end_frame=FRAMES).status_code == 201
    listed = desk.client.get(f"/api/films/{desk.film_id}/workspace").json()["annotations"]
    assert [(a["code"], a["start_frame"]) for a in listed][:1] == [("attentive", 5)]
    assert len(listed) == 6


def test_bad_annotations_get_clear_refusals_and_nothing_is_stored(desk: Desk) -> None:
    cases = [
        ({"code": "singing", "start_frame": 3}, "code", "not a code"),
        ({"code": "receiving", "start_frame": FRAMES}, "start_frame", "beyond the end"),
        ({"code": "attentive", "start_frame": 50, "end_frame": FRAMES + 1}, "end_frame", "after"),
        ({"code": "receiving", "start_frame": 3, "end_frame": 9}, "end_frame", "point event"),
        ({"code": "attentive", "start_frame": 9, "end_frame": 9}, "end_frame", "end after"),
        ({"code": "attentive", "start_frame": 9, "end_frame": 4}, "end_frame", "end after"),
        ({"code": "receiving", "start_frame": -1}, "start_frame", "greater than"),
        ({"code": "receiving", "start_frame": 1, "subject": "parent"}, "subject", ""),
    ]
    for body, field, words in cases:
        response = desk.annotate(**body)
        assert response.status_code == 422, (body, response.text)
        error = error_of(response)
        assert error["field"] == field, (body, error)
        assert words in str(error["message"]), (body, error)
    other_scheme = desk.annotate(
        code="receiving", start_frame=3, scheme_version_id="00000000-0000-4000-8000-000000000000"
    )
    assert other_scheme.status_code == 422
    assert error_of(other_scheme)["field"] == "scheme_version_id"
    # Overlapping the same state for the same person, and the same moment twice.
    assert desk.annotate(code="attentive", start_frame=10, end_frame=20).status_code == 201
    overlap = desk.annotate(code="attentive", start_frame=15, end_frame=25)
    assert overlap.status_code == 422 and "overlaps" in str(error_of(overlap)["message"])
    assert desk.annotate(code="attentive", start_frame=20, end_frame=25).status_code == 201
    assert desk.annotate(code="receiving", start_frame=7).status_code == 201
    twice = desk.annotate(code="receiving", start_frame=7)
    assert twice.status_code == 422 and "already coded" in str(error_of(twice)["message"])
    listed = desk.client.get(f"/api/films/{desk.film_id}/workspace").json()["annotations"]
    assert len(listed) == 3


def test_a_film_still_being_prepared_cannot_be_marked(
    app: FastAPI, settings: Settings, desk: Desk
) -> None:
    filming = Filming(desk.client, desk.case_id, desk.session_id, desk.guider.id)
    preparing = new_film(app, settings, filming, process=False)
    opened = desk.client.get(f"/api/films/{preparing}/workspace")
    assert opened.status_code == 200
    assert opened.json()["film"]["ready"] is False
    for path, body in [
        (
            "annotations",
            {"scheme_version_id": desk.scheme_version_id, "code": "receiving", "start_frame": 0},
        ),
        ("clips", {"in_frame": 0, "out_frame": 10, "title": "Too soon"}),
        ("stills", {"frame": 0}),
    ]:
        response = desk.client.post(f"/api/films/{preparing}/{path}", json=body)
        assert response.status_code == 409, response.text
        error = error_of(response)
        assert error["code"] == "film_not_ready"
        assert "still being prepared" in str(error["message"])
    page = desk.client.get(f"/films/{preparing}/workspace")
    assert page.status_code == 200 and "still being prepared" in page.text


def test_clips_overlap_length_and_order(desk: Desk) -> None:
    first = desk.clip(
        in_frame=0,
        out_frame=20,
        title="Shared smile",
        principles=["receiving"],
        scheme_version_id=desk.scheme_version_id,
        caption="You smiled back at her.",
        questions=["What do you see her doing here?"],
    )
    assert first.status_code == 201, first.text
    assert first.json()["principles"] == ["receiving"] and first.json()["position"] == 0
    refusals = [
        ({"in_frame": 30, "out_frame": 30}, "out_frame", "at least one frame"),
        ({"in_frame": 30, "out_frame": 25}, "out_frame", "at least one frame"),
        ({"in_frame": 10, "out_frame": 30}, "in_frame", "overlaps the clip “Shared smile”"),
        ({"in_frame": 50, "out_frame": FRAMES + 5}, "out_frame", "end of the film"),
        ({"in_frame": FRAMES, "out_frame": FRAMES + 1}, "in_frame", "beyond the end"),
        ({"in_frame": 30, "out_frame": 40, "principles": ["receiving"]}, "scheme_version_id", ""),
        (
            {
                "in_frame": 30,
                "out_frame": 40,
                "principles": ["praise"],
                "scheme_version_id": desk.scheme_version_id,
            },
            "principles",
            "not a code",
        ),
        ({"in_frame": 30, "out_frame": 40, "questions": [""]}, "questions", ""),
    ]
    for body, field, words in refusals:
        response = desk.clip(**body)
        assert response.status_code == 422, (body, response.text)
        error = error_of(response)
        assert error["field"] == field and words in str(error["message"]), (body, error)
    # Touching ranges do not overlap: [0, 20) and [20, 40).
    second = desk.clip(in_frame=20, out_frame=40, title="Taking turns")
    third = desk.clip(in_frame=45, out_frame=60, title="Tidying up together")
    assert second.status_code == third.status_code == 201
    ids = [first.json()["id"], second.json()["id"], third.json()["id"]]
    order = [
        {"id": ids[2], "revision": 1},
        {"id": ids[0], "revision": 1},
        {"id": ids[1], "revision": 1},
    ]
    moved = desk.client.put(f"/api/films/{desk.film_id}/clip-order", json={"clips": order})
    assert moved.status_code == 200, moved.text
    assert [c["id"] for c in moved.json()] == [ids[2], ids[0], ids[1]]
    assert {c["revision"] for c in moved.json()} == {2}
    # Another tab still holding the old order is refused with the current list.
    stale = desk.client.put(f"/api/films/{desk.film_id}/clip-order", json={"clips": order})
    assert stale.status_code == 409
    assert [c["id"] for c in error_of(stale)["current"]] == [ids[2], ids[0], ids[1]]  # type: ignore[union-attr]
    missing = desk.client.put(
        f"/api/films/{desk.film_id}/clip-order",
        json={"clips": [{"id": ids[0], "revision": 2}, {"id": ids[1], "revision": 2}]},
    )
    assert missing.status_code == 409
    listed = desk.client.get(f"/api/films/{desk.film_id}/workspace").json()["clips"]
    assert [c["title"] for c in listed] == ["Tidying up together", "Shared smile", "Taking turns"]


def test_stills(desk: Desk) -> None:
    made = desk.client.post(
        f"/api/films/{desk.film_id}/stills", json={"frame": 12, "caption": "Eyes meet"}
    )
    assert made.status_code == 201, made.text
    beyond = desk.client.post(f"/api/films/{desk.film_id}/stills", json={"frame": FRAMES})
    assert beyond.status_code == 422 and error_of(beyond)["field"] == "frame"
    still_id = made.json()["id"]
    edited = desk.client.patch(f"/api/stills/{still_id}", json={"revision": 1, "caption": "Joy"})
    assert edited.status_code == 200 and edited.json()["caption"] == "Joy"
    gone = desk.client.delete(f"/api/stills/{still_id}", params={"revision": 2})
    assert gone.status_code == 204
    assert desk.client.get(f"/api/films/{desk.film_id}/workspace").json()["stills"] == []


def test_every_change_is_audited_with_ids_only(desk: Desk, db: Session) -> None:
    made = desk.annotate(code="receiving", start_frame=4, note="Mum echoes the babble")
    note_id = made.json()["id"]
    desk.client.patch(f"/api/annotations/{note_id}", json={"revision": 1, "note": "Warm echo"})
    desk.client.delete(f"/api/annotations/{note_id}", params={"revision": 2})
    clip = desk.clip(in_frame=0, out_frame=10, title="Private title").json()
    entries = db.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_id.in_([note_id, clip["id"]]))
        .order_by(AuditEntry.seq)
    ).all()
    assert [e.action for e in entries] == [
        "annotation.create",
        "annotation.edit",
        "annotation.delete",
        "clip.create",
    ]
    for entry in entries:
        assert entry.actor_id == desk.guider.id and entry.purpose == "feedback"
        assert json.loads(entry.detail or "{}") == {"film": desk.film_id}
    everything = " ".join(
        (e.detail or "") + e.object_id for e in db.scalars(select(AuditEntry)).all()
    )
    for words in ("babble", "Warm echo", "Private title"):
        assert words not in everything
    db.rollback()

"""Issue 5: proposed moments in the workspace — listed with the analysis tracks, accepted (a
coded event and a clip candidate), rejected with a reason, re-bounded, counted per film; bad
input refused with clear messages and nothing half-stored."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from attunely.audit.models import AuditEntry
from attunely.config import Settings
from attunely.policy import Role
from attunely.workspace.models import Annotation
from attunely.workspace.review_models import ProposalReview
from tests.integration.films.conftest import run_jobs, upload
from tests.integration.workspace.proposal_films import (
    FRAMES,
    Analysed,
    analysed_film,
    filming_for,
)
from tests.support import media_files
from tests.support.factories import World


@pytest.fixture
def film(app: FastAPI, settings: Settings, world: World, db: Session) -> Analysed:
    return analysed_film(app, settings, world, db)


def test_proposals_come_with_the_analysis_tracks_and_counts(film: Analysed, world: World) -> None:
    body = film.proposals()
    assert body["status"] == "ready" and body["fps"] == 30 and body["frame_count"] == FRAMES
    assert [p["id"] for p in body["proposals"]] == ["m01", "m02", "m03"]
    first = body["proposals"][0]
    # 0.5 s to 3.2 s at 30 fps: frames [15, 96).
    assert (first["start_frame"], first["end_frame"]) == (15, 96)
    assert first["decision"] == "open" and first["revision"] == 0 and not first["adjusted"]
    assert first["reasons"] and first["principle"] == "receiving initiatives"
    assert body["counts"] == {"proposed": 3, "accepted": 0, "rejected": 0, "open": 3, "adjusted": 0}
    assert [s["speaker"] for s in body["segments"]] == ["CHILD", "ADULT", "CHILD", "ADULT", "CHILD"]
    assert body["turn_count"] == body["analysed_turn_count"] == 2
    assert len(body["motion"]["adult"]) == 120 and body["motion"]["rate_hz"] == 10
    assert [w["above_chance"] for w in body["synchrony"]] == [True, False]
    # The supervisor may watch, so sees them; someone outside the case does not.
    assert film.proposals(world.client_for(film.supervisor))["counts"]["proposed"] == 3
    outsider = world.client_for(world.user(Role.GUIDER, team=world.team()))
    assert outsider.get(f"/api/films/{film.film_id}/proposals").status_code == 404


def test_accept_and_reject_are_kept_counted_and_audited(film: Analysed, db: Session) -> None:
    annotation_id = "0b6c3a1e-8f53-4d38-9d1e-5a1f6a3b2c01"
    accepted = film.review(
        "m01",
        revision=0,
        decision="accepted",
        scheme_version_id=film.scheme_version_id,
        annotation_id=annotation_id,
    )
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["decision"] == "accepted" and body["revision"] == 1
    assert body["annotation_id"] == annotation_id and body["code"] == "receiving"
    assert body["clip_candidate"] is True
    # Sent again after a lost answer: the same review, not a second coded event.
    again = film.review(
        "m01",
        revision=0,
        decision="accepted",
        scheme_version_id=film.scheme_version_id,
        annotation_id=annotation_id,
    )
    assert again.status_code == 200 and again.json()["revision"] == 1
    # "Being attentive" is a state in the default scheme: coded over the whole moment.
    state = film.review("m03", revision=0, decision="accepted")
    assert state.status_code == 200, state.text
    rejected = film.review("m02", revision=0, decision="rejected", reason="  not a reply  ")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["reason"] == "not a reply"

    events = {
        a["id"]: a
        for a in film.client.get(f"/api/films/{film.film_id}/workspace").json()["annotations"]
    }
    assert len(events) == 2
    point = events[annotation_id]
    # "Receiving initiatives" is a point event, at the reply (2.2 s = frame 66).
    assert (point["code"], point["start_frame"], point["end_frame"]) == ("receiving", 66, 66)
    assert point["subject"] == "both" and "m01" in point["note"]
    attentive = events[state.json()["annotation_id"]]
    assert (attentive["code"], attentive["start_frame"], attentive["end_frame"]) == (
        "attentive",
        210,
        270,
    )
    counts = film.proposals()["counts"]
    assert counts == {"proposed": 3, "accepted": 2, "rejected": 1, "open": 0, "adjusted": 0}

    # Taking the acceptance back removes the coded event it made.
    reopened = film.review("m01", revision=1, decision="open")
    assert reopened.status_code == 200 and reopened.json()["annotation_id"] is None
    assert db.get(Annotation, annotation_id) is None
    db.rollback()
    assert film.proposals()["counts"]["accepted"] == 1
    actions = db.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("proposal.%"))
    ).all()
    assert sorted(actions) == sorted(
        ["proposal.accept", "proposal.accept", "proposal.reject", "proposal.reopen"]
    )
    db.rollback()


def test_a_stale_review_is_refused_with_the_current_one(film: Analysed) -> None:
    assert film.review("m02", revision=0, decision="rejected").status_code == 200
    # Another tab, still at revision 0, accepts it: refused, nothing overwritten.
    stale = film.review("m02", revision=0, decision="accepted")
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["code"] == "stale_revision" and error["current"]["decision"] == "rejected"
    assert film.proposals()["counts"]["accepted"] == 0


def test_boundaries_are_adjusted_within_the_film_and_never_overlap(film: Analysed) -> None:
    moved = film.review("m02", revision=0, start_frame=100, end_frame=150)
    assert moved.status_code == 200, moved.text
    assert moved.json()["adjusted"] and moved.json()["start_frame"] == 100
    assert film.proposals()["counts"]["adjusted"] == 1
    bad = {
        "zero-length": ({"start_frame": 120, "end_frame": 120}, "at least one frame"),
        "backwards": ({"start_frame": 140, "end_frame": 110}, "at least one frame"),
        "past the end": ({"start_frame": 300, "end_frame": FRAMES + 1}, "after the end"),
        "beyond the film": ({"start_frame": FRAMES + 5, "end_frame": FRAMES + 9}, "beyond"),
        "overlapping m01": ({"start_frame": 90, "end_frame": 140}, "m01"),
        "overlapping m03": ({"start_frame": 200, "end_frame": 230}, "m03"),
    }
    for name, (fields, words) in bad.items():
        refused = film.review("m02", revision=1, **fields)
        assert refused.status_code == 422, (name, refused.text)
        assert words in refused.json()["error"]["message"], (name, refused.text)
    assert film.review("m02", revision=1, start_frame=-1).status_code == 422
    # Nothing was half-stored: still revision 1 at frames [100, 150).
    m02 = film.proposals()["proposals"][1]
    assert (m02["revision"], m02["start_frame"], m02["end_frame"]) == (1, 100, 150)
    # Accepted after the adjustment: the state code covers the adjusted range.
    attentive = film.review("m03", revision=0, start_frame=200, end_frame=260)
    assert attentive.status_code == 200
    done = film.review("m03", revision=1, decision="accepted")
    assert done.status_code == 200, done.text
    event = next(
        a
        for a in film.client.get(f"/api/films/{film.film_id}/workspace").json()["annotations"]
        if a["id"] == done.json()["annotation_id"]
    )
    assert (event["start_frame"], event["end_frame"]) == (200, 260)
    # Moved back to where it was proposed: no longer counted as adjusted.
    back = film.review("m02", revision=1, start_frame=99, end_frame=165)
    assert back.status_code == 200 and not back.json()["adjusted"]


def test_unknown_proposals_codes_and_people_are_refused(film: Analysed, world: World) -> None:
    unknown = film.review("m99", revision=0, decision="accepted")
    assert unknown.status_code == 404
    assert "m01, m02, m03" in unknown.json()["error"]["message"]
    no_code = film.review("m01", revision=0, decision="accepted", code="nonsense")
    assert no_code.status_code == 422 and "nonsense" in no_code.json()["error"]["message"]
    assert film.review("m01", revision=0, decision="maybe").status_code == 422
    assert film.review("m01", revision=-1, decision="accepted").status_code == 422
    supervisor = world.client_for(film.supervisor)
    watched = supervisor.patch(
        f"/api/films/{film.film_id}/proposals/m01", json={"revision": 0, "decision": "rejected"}
    )
    assert watched.status_code == 403
    assert film.proposals()["counts"]["open"] == 3


def test_a_team_scheme_without_the_principle_needs_a_code(film: Analysed) -> None:
    made = film.client.post(
        f"/api/teams/{film.team.id}/schemes",
        json={"name": "Short", "codes": [{"code": "good", "name": "Going well"}]},
    )
    assert made.status_code == 201, made.text
    version = made.json()["id"]
    refused = film.review("m01", revision=0, decision="accepted", scheme_version_id=version)
    assert refused.status_code == 422 and "receiving initiatives" in refused.text
    chosen = film.review(
        "m01", revision=0, decision="accepted", scheme_version_id=version, code="good"
    )
    assert chosen.status_code == 200 and chosen.json()["code"] == "good"


def test_films_without_an_analysis_say_why(
    app: FastAPI, settings: Settings, world: World, db: Session
) -> None:
    filming = filming_for(world)[3]
    data = media_files.normal_film(width=160, height=96, seconds=2)
    film_id = upload(filming, data, part=1024 * 1024)["id"]
    url = f"/api/films/{film_id}/proposals"
    preparing = filming.client.get(url).json()
    assert preparing["status"] == "preparing" and "transcoded" in preparing["message"]
    refused = filming.client.patch(f"{url}/m01", json={"revision": 0, "decision": "accepted"})
    assert refused.status_code == 409 and "prepared" in refused.json()["error"]["message"]
    run_jobs(app, settings, limit=2)  # joined and transcoded; the analysis is only queued
    running = filming.client.get(url).json()
    assert running["status"] == "analysing" and "running" in running["message"]
    refused = filming.client.patch(f"{url}/m01", json={"revision": 0, "decision": "accepted"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "no_analysis"
    speaker = filming.client.put(
        f"/api/films/{film_id}/speech-segments/0", json={"revision": 0, "speaker": "ADULT"}
    )
    assert speaker.status_code == 409 and "analysis is running" in speaker.text
    assert db.scalars(select(ProposalReview)).all() == []
    db.rollback()

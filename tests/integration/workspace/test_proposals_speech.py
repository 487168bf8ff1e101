"""Issue 5: the guider corrects who spoke; turns are recounted by the analysis' own LENA rule
and the moments built on turns are flagged; the sealed analysis itself is never changed."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from attunely.audit.models import AuditEntry
from attunely.config import Settings
from attunely.workspace.analysis_view import (
    GONE,
    TOUCHED,
    Correction,
    apply_corrections,
    moment_flag,
    recount,
)
from tests.integration.workspace.proposal_films import SEGMENTS, Analysed, analysed_film, moment
from tests.support.factories import World


@pytest.fixture
def film(app: FastAPI, settings: Settings, world: World, db: Session) -> Analysed:
    return analysed_film(app, settings, world, db)


def turns_after(fixes: dict[int, str]) -> int:
    corrections = {
        i: Correction(SEGMENTS[i]["start"], SEGMENTS[i]["end"], who) for i, who in fixes.items()
    }
    segments, stale = apply_corrections(SEGMENTS, corrections)
    assert stale == 0
    return sum(len(c.turns) for c in recount(segments))


def test_known_segments_recount_as_lena_would() -> None:
    # C A C A (then a child alone, > 5 s later): two turns.
    assert turns_after({}) == 2
    # The adult's first reply was the child: C C C A joins into C A, one turn.
    assert turns_after({1: "CHILD"}) == 1
    # The last reply was the child: C A C C is C A C, one turn.
    assert turns_after({3: "CHILD"}) == 1
    # The lone child was the adult: still more than 5 s from anyone, no turn added.
    assert turns_after({4: "ADULT"}) == 2
    # The first vocalisation was the adult's: A A C A is A C A, one turn (pairs are counted).
    assert turns_after({0: "ADULT"}) == 1
    # A correction made on a segment that a new analysis no longer has is not applied.
    segments, stale = apply_corrections(SEGMENTS, {1: Correction(2.0, 3.0, "CHILD")})
    assert stale == 1 and segments[1].speaker == "ADULT"


def test_moments_built_on_a_vanished_turn_are_flagged() -> None:
    fixes = {1: Correction(2.2, 3.0, "CHILD")}
    segments, _ = apply_corrections(SEGMENTS, fixes)
    found = recount(segments)
    changed = [s for s in segments if s.corrected]
    reply = moment("m01", 0.5, 3.2, "receiving initiatives", "vocal_initiative", 2.2)
    later = moment("m02", 3.3, 5.5, "receiving initiatives", "vocal_initiative", 4.3)
    movement = moment("m03", 2.5, 3.1, "being attentive", "movement_initiative", 2.8)
    assert moment_flag(reply, found, changed) == GONE
    assert moment_flag(later, found, changed) is None
    assert moment_flag(movement, found, changed) == TOUCHED
    assert moment_flag(reply, found, []) is None


def test_a_speaker_correction_recounts_turns_and_survives_a_reload(
    film: Analysed, db: Session, world: World
) -> None:
    corrected = film.speaker(1, revision=0, speaker="child")
    assert corrected.status_code == 200, corrected.text
    body = corrected.json()
    assert body["turn_count"] == 1 and body["analysed_turn_count"] == 2
    assert body["segments"][1]["speaker"] == "CHILD" and body["segments"][1]["corrected"]
    assert body["segments"][1]["original_speaker"] == "ADULT"
    assert body["corrections"] == 1
    flags = {p["id"]: p["flag"] for p in body["proposals"]}
    assert flags == {"m01": GONE, "m02": None, "m03": None}
    assert [(t["first"]["speaker"], t["second"]["start"]) for t in body["turns"]] == [
        ("CHILD", 4.3)
    ]
    # Read again (as the workspace does when it opens): the correction is applied.
    reread = film.proposals()
    assert reread["turn_count"] == 1 and reread["segments"][1]["revision"] == 1
    # The sealed analysis is as the analysis wrote it.
    sealed = film.client.get(f"/api/films/{film.film_id}/analysis").json()
    assert sealed["speech"]["segments"][1]["speaker"] == "ADULT"
    assert sealed["turns"]["count"] == 2
    # Another tab that has not seen the correction is refused; a resent request is not.
    assert film.speaker(1, revision=0, speaker="CHILD").status_code == 200
    stale = film.speaker(1, revision=0, speaker="ADULT")
    assert stale.status_code == 409
    assert stale.json()["error"]["current"]["speaker"] == "CHILD"
    # Corrected back: the analysis' count and no flags.
    back = film.speaker(1, revision=1, speaker="ADULT").json()
    assert back["turn_count"] == 2 and back["corrections"] == 0
    assert all(p["flag"] is None for p in back["proposals"])
    audited = db.scalars(
        select(AuditEntry.object_id).where(AuditEntry.action == "speech.correct")
    ).all()
    assert len(audited) == 2
    db.rollback()


def test_bad_corrections_are_refused(film: Analysed, world: World) -> None:
    missing = film.speaker(9, revision=0, speaker="CHILD")
    assert missing.status_code == 404 and "0 to 4" in missing.json()["error"]["message"]
    assert film.speaker(1, revision=0, speaker="PARENT").status_code == 422
    assert film.speaker(1, revision=0).status_code == 422
    assert (
        film.client.put(
            f"/api/films/{film.film_id}/speech-segments/-1",
            json={"revision": 0, "speaker": "CHILD"},
        ).status_code
        == 422
    )
    supervisor = world.client_for(film.supervisor)
    refused = supervisor.put(
        f"/api/films/{film.film_id}/speech-segments/1", json={"revision": 0, "speaker": "CHILD"}
    )
    assert refused.status_code == 403
    assert film.proposals()["corrections"] == 0

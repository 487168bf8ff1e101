"""A ready film with a known analysis sealed in the vault.

The film is uploaded and transcoded by the real jobs; its analysis is a document written
here, sealed in the real vault as the analysis job seals its own, so the tests know exactly
which speech, turns and moments the workspace starts from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from attunely.accounts.models import Team, User
from attunely.config import Settings
from attunely.films.jobs import WORKER
from attunely.films.models import Film, FilmAnalysis
from attunely.policy import Role
from attunely.vault import service as vault_service
from attunely.vault.models import ObjectKind
from tests.integration.films.conftest import Filming, run_jobs, upload
from tests.support import media_files
from tests.support.factories import World

FPS = 30
SECONDS = 12
FRAMES = FPS * SECONDS

#: Child and adult alternate twice (C-A-C-A: 2 LENA turns); a child alone 6 s later.
SEGMENTS: list[dict[str, Any]] = [
    {"start": 1.0, "end": 1.8, "speaker": "CHILD", "confidence": 0.9},
    {"start": 2.2, "end": 3.0, "speaker": "ADULT", "confidence": 0.8},
    {"start": 3.4, "end": 4.0, "speaker": "CHILD", "confidence": 0.9},
    {"start": 4.3, "end": 5.0, "speaker": "ADULT", "confidence": 0.9},
    {"start": 11.0, "end": 11.5, "speaker": "CHILD", "confidence": 0.7},
]


def _turn(first: dict[str, Any], second: dict[str, Any], conversation: int) -> dict[str, Any]:
    return {
        "time": second["start"],
        "initiator": first["speaker"],
        "latency_s": round(second["start"] - first["end"], 2),
        "first": {k: first[k] for k in ("speaker", "start", "end")},
        "second": {k: second[k] for k in ("speaker", "start", "end")},
        "conversation": conversation,
    }


def moment(
    id_: str, start: float, end: float, principle: str, kind: str, still: float
) -> dict[str, Any]:
    return {
        "id": id_,
        "start": start,
        "end": end,
        "principle": principle,
        "kind": kind,
        "strength": 0.6,
        "reasons": [f"signals of {principle} at {still:.1f} s"],
        "still_s": still,
        "evidence": {},
    }


def document() -> dict[str, Any]:
    """An analysis.json (schema v1) with known speech, turns, movement and moments."""
    s = SEGMENTS
    return {
        "schema": "attunely.analysis",
        "version": 1,
        "film": {"name": "Play", "duration_s": SECONDS},
        "notes": ["a known analysis written by the tests"],
        "speech": {"segments": s},
        "turns": {
            "caveat": "Turns are counted automatically by LENA's rule and are proposals.",
            "count": 2,
            "items": [_turn(s[0], s[1], 0), _turn(s[2], s[3], 0)],
        },
        "motion": {
            "rate_hz": 10,
            "adult": [round(0.01 * (i % 7), 4) for i in range(SECONDS * 10)],
            "child": [round(0.02 * (i % 5), 4) for i in range(SECONDS * 10)],
        },
        "synchrony": {
            "windows": [
                {"start": 0.0, "end": 6.0, "z": 0.9, "lag_s": 0.4, "above_chance": True},
                {"start": 6.0, "end": 12.0, "z": 0.1, "lag_s": -0.2, "above_chance": False},
            ]
        },
        "moments": [
            moment("m01", 0.5, 3.2, "receiving initiatives", "vocal_initiative", 2.2),
            moment("m02", 3.3, 5.5, "receiving initiatives", "vocal_initiative", 4.3),
            moment("m03", 7.0, 9.0, "being attentive", "movement_initiative", 8.0),
        ],
        "strength_meaning": "strength says how clearly the signals show the pattern",
    }


@dataclass
class Analysed:
    world: World
    team: Team
    guider: User
    supervisor: User
    client: TestClient
    filming: Filming
    film_id: str
    scheme_version_id: str

    def review(self, proposal: str, **body: Any) -> Any:
        return self.client.patch(f"/api/films/{self.film_id}/proposals/{proposal}", json=body)

    def speaker(self, index: int, **body: Any) -> Any:
        return self.client.put(f"/api/films/{self.film_id}/speech-segments/{index}", json=body)

    def proposals(self, client: TestClient | None = None) -> Any:
        answer = (client or self.client).get(f"/api/films/{self.film_id}/proposals")
        assert answer.status_code == 200, answer.text
        return answer.json()


def seal_document(app: FastAPI, db: Session, film_id: str, doc: dict[str, Any]) -> None:
    """Seal `doc` in the vault as the film's analysis, as the analysis job seals its own."""
    film = db.get(Film, film_id)
    assert film is not None
    case_id = film.case_id
    db.rollback()  # the vault commits on its own; SQLite allows one writer
    stored = vault_service.store_stream(
        app.state.vault,
        actor=WORKER,
        case_id=case_id,
        kind=ObjectKind.ANALYSIS,
        purpose="feedback",
        source=[json.dumps(doc).encode()],
    )
    row = db.get(FilmAnalysis, film_id)
    if row is None:
        db.add(
            FilmAnalysis(
                film_id=film_id,
                result_object_id=stored.id,
                schema_version="1",
                moment_count=len(doc["moments"]),
                notes=json.dumps(doc["notes"]),
            )
        )
    else:
        row.result_object_id = stored.id
    db.commit()


def filming_for(world: World) -> tuple[Team, User, User, Filming]:
    """A team, its guider and supervisor, a consented case and a filming session."""
    team = world.team()
    guider = world.user(Role.GUIDER, team=team)
    supervisor = world.user(Role.SUPERVISOR, team=team)
    case = world.case(team, guider=guider, supervisor=supervisor)
    parent = world.person(
        case, kind="caregiver", display_name="Parent", parental_responsibility=True
    )
    world.consent(case, parent)
    client = world.client_for(guider)
    session = client.post(
        f"/api/cases/{case.id}/filming-sessions",
        json={"filmed_on": "2026-11-01", "setting": "home", "activity": "play"},
    )
    assert session.status_code == 201, session.text
    return team, guider, supervisor, Filming(client, case.id, session.json()["id"], guider.id)


def analysed_film(app: FastAPI, settings: Settings, world: World, db: Session) -> Analysed:
    team, guider, supervisor, filming = filming_for(world)
    client = filming.client
    data = media_files.normal_film(width=160, height=96, seconds=SECONDS)
    film_id = str(upload(filming, data, part=1024 * 1024)["id"])
    # Joined and transcoded; the real analysis (tested in tests/integration/films) is left
    # queued and a known one sealed in its place.
    run_jobs(app, settings, limit=2)
    seal_document(app, db, film_id, document())
    db.rollback()
    opened = client.get(f"/api/films/{film_id}/workspace")
    assert opened.status_code == 200, opened.text
    body = opened.json()
    assert body["film"]["frame_count"] == FRAMES, body["film"]
    return Analysed(
        world=world,
        team=team,
        guider=guider,
        supervisor=supervisor,
        client=client,
        filming=filming,
        film_id=film_id,
        scheme_version_id=body["schemes"][0]["id"],
    )

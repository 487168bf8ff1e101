"""The server analyses each ready film in the background and keeps the results sealed."""

from __future__ import annotations

import json

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from attunely.config import Settings
from attunely.policy import Role
from attunely.vault.models import VaultObject
from tests.integration.films.conftest import Filming, run_jobs, upload
from tests.support import media_files
from tests.support.factories import World


def test_ready_film_gets_an_analysis_readable_only_by_those_who_may_play(
    app: FastAPI, settings: Settings, filming: Filming, world: World, db: Session
) -> None:
    film = upload(filming, media_files.film_bytes(seconds=6))
    early = filming.client.get(f"/api/films/{film['id']}/analysis")
    assert early.status_code == 409 and "not ready" in early.text
    run_jobs(app, settings)
    described = filming.client.get(f"/api/films/{film['id']}").json()
    assert [j["kind"] for j in described["jobs"]] == [
        "films.assemble",
        "films.process",
        "analysis.film",
    ]
    assert all(j["state"] == "done" for j in described["jobs"])
    analysis = filming.client.get(f"/api/films/{film['id']}/analysis")
    assert analysis.status_code == 200
    document = analysis.json()
    assert document["schema"] == "attunely.analysis" and "moments" in document
    # A tone-only test film gives no speech turns: the analysis says so rather than invent.
    assert isinstance(document["moments"], list)
    sealed = db.scalars(select(VaultObject).where(VaultObject.kind == "analysis")).one()
    assert sealed.state == "complete"
    db.rollback()
    assert filming.client.get(f"/api/films/{film['id']}/analysis/stills/m99").status_code == 404
    outsider = world.client_for(world.user(Role.GUIDER, team=world.team()))
    assert outsider.get(f"/api/films/{film['id']}/analysis").status_code == 404
    assert json.dumps(document)  # well-formed

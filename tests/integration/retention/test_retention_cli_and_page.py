"""`attunely retention ...` and the DPO's /retention page and API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from attunely.cli import app as cli_app
from attunely.config import Settings, reset_settings_cache
from attunely.db import utcnow
from attunely.policy import Role
from attunely.retention.models import ErasureReceipt, ShredSchedule
from tests.integration.retention.conftest import Family
from tests.support.factories import World

Run = Callable[..., Any]


@pytest.fixture
def run(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    monkeypatch.setenv("ATTUNELY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ATTUNELY_OPERATOR", "records-clerk")
    if settings.database_url:
        monkeypatch.setenv("ATTUNELY_DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("ATTUNELY_DATABASE_URL", raising=False)
    reset_settings_cache()
    runner = CliRunner()
    yield lambda *args: runner.invoke(cli_app, list(args))
    reset_settings_cache()


def _due_now(db: Session, film_id: str) -> None:
    db.execute(
        update(ShredSchedule)
        .where(ShredSchedule.film_id == film_id)
        .values(due_at=utcnow() - timedelta(seconds=5))
    )
    db.commit()


def test_due_hold_run_release_and_receipt_from_the_command_line(
    run: Run, family: Family, db: Session
) -> None:
    ref = family.case.reference
    family.withdraw("filming_feedback", "supervision")
    nothing = run("retention", "due")
    assert nothing.exit_code == 0, nothing.output
    assert nothing.output.strip().endswith("0 due now")
    ahead = run("retention", "due", "--days", "3")
    assert ahead.exit_code == 0 and f"film {family.film_id[:8]} (case {ref})" in ahead.output
    assert "1 due within 3 days" in ahead.output

    _due_now(db, family.film_id)
    dry = run("retention", "run", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"would     shred film {family.film_id[:8]}" in dry.output
    assert "would expire 1, held 0, failed 0 (dry run: nothing changed)" in dry.output

    held = run("retention", "hold", "--case", ref, "--reason", "complaint under review")
    assert held.exit_code == 0, held.output
    blocked = run("retention", "run")
    assert blocked.exit_code == 0 and "legal hold (complaint under review)" in blocked.output
    assert "expired 0, held 1" in blocked.output
    listed = run("retention", "holds")
    assert "complaint under review" in listed.output and "whole case" in listed.output
    no_reason = run("retention", "release", "--case", ref, "--reason", " ")
    assert no_reason.exit_code == 2 and "error:" in no_reason.output
    released = run("retention", "release", "--case", ref, "--reason", "complaint closed")
    assert released.exit_code == 0, released.output

    done = run("retention", "run")
    assert done.exit_code == 0, done.output
    assert f"shred     film {family.film_id[:8]}" in done.output and "expired 1" in done.output
    receipt_id = db.scalars(select(ErasureReceipt.id)).one()
    db.rollback()
    assert receipt_id in done.output
    printed = run("retention", "receipts", receipt_id)
    assert printed.exit_code == 0, printed.output
    assert "Why:     consent withdrawn" in printed.output
    assert "Key destroyed: proxy" in printed.output and "Key destroyed: original" in printed.output
    assert "Erasure ledger: shred_film" in printed.output
    assert receipt_id in run("retention", "receipts").output
    unknown = run("retention", "hold", "--case", "NO-SUCH", "--reason", "x")
    assert unknown.exit_code == 2 and "no case with reference" in unknown.output


def test_the_dpo_page_shows_schedules_sets_and_lifts_holds(
    family: Family, world: World, db: Session
) -> None:
    dpo = world.client_for(world.user(Role.DPO))
    assert family.guiding.get("/retention").status_code == 403
    assert family.guiding.get("/api/retention/due").status_code == 403
    assert 'href="/retention"' in dpo.get("/").text

    family.withdraw("filming_feedback", "supervision")
    page = dpo.get("/retention")
    assert page.status_code == 200
    assert f'data-film="{family.film_id}"' in page.text and "2.5 days" in page.text
    soon = dpo.get("/api/retention/due", params={"days": 3}).json()
    assert [(i["subject_type"], i["trigger"]) for i in soon] == [("schedule", "consent_withdrawn")]

    empty = dpo.post("/retention/holds", data={"case": family.case.reference, "reason": ""})
    assert empty.status_code == 422 and "say why" in empty.text
    set_ = dpo.post(
        "/retention/holds",
        data={"case": family.case.reference, "film_id": family.film_id, "reason": "subpoena 7"},
        follow_redirects=False,
    )
    assert set_.status_code == 303, set_.text
    page = dpo.get("/retention").text
    assert "subpoena 7" in page and f">{family.case.reference}</a>" in page
    [hold] = dpo.get("/api/retention/holds").json()
    assert hold["film_id"] == family.film_id and hold["set_by"] != ""
    twice = dpo.post(
        "/api/retention/holds",
        json={"case_id": family.case.id, "film_id": family.film_id, "reason": "again"},
    )
    assert twice.status_code == 409

    _due_now(db, family.film_id)
    held = dpo.post("/api/retention/run", json={"dry_run": False}).json()
    assert held["receipts"] == [] and "held 1" in held["summary"]
    lifted = dpo.post(f"/retention/holds/{hold['id']}/lift", data={"reason": "withdrawn"})
    assert lifted.status_code == 200 and "No legal holds." in lifted.text
    done = dpo.post("/api/retention/run", json={}).json()
    [receipt_id] = done["receipts"]
    shown = dpo.get(f"/retention/receipts/{receipt_id}")
    assert shown.status_code == 200 and "Keys destroyed" in shown.text
    assert receipt_id[:8] in dpo.get("/retention").text
    body = dpo.get(f"/api/retention/receipts/{receipt_id}").json()
    assert {o["kind"] for o in body["objects"]} >= {"original", "proxy", "thumbs", "waveform"}
    admin = world.client_for(world.user(Role.ADMIN))
    assert admin.get("/retention").status_code == 200
    assert family.guiding.get(f"/retention/receipts/{receipt_id}").status_code == 403

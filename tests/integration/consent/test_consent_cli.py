"""`attunely consent record/withdraw`: paper consents from the command line, same rules."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from attunely.audit.models import AuditEntry
from attunely.cli import app as cli_app
from attunely.config import Settings, reset_settings_cache
from attunely.consent.models import ConsentRecord
from attunely.consent.schemas import Purpose
from attunely.policy import Role
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


def test_record_and_withdraw_from_the_command_line(run: Run, world: World, db: Session) -> None:
    team = world.team()
    guider = world.user(Role.GUIDER, team=team)
    case = world.case(team, guider=guider, reference="PAPER-001")
    mum = world.person(case, kind="caregiver", display_name="Mum", parental_responsibility=True)
    expires = (date.today() + timedelta(days=365)).isoformat()
    base = ("consent", "record", "--case", "PAPER-001", "--person", mum)

    made = run(*base, "--purposes", "all", "--basis", "consent", "--given-by", "M. Parent",
               "--expires", expires)  # fmt: skip
    assert made.exit_code == 0, made.output
    assert made.output.count("recorded") == len(Purpose)
    client = world.client_for(guider)
    visit = {"filmed_on": "2026-11-01", "setting": "home", "filmed_people": [mum]}
    assert client.post(f"/api/cases/{case.id}/filming-sessions", json=visit).status_code == 201

    gone = run("consent", "withdraw", "--case", "PAPER-001", "--person", mum,
               "--purposes", "filming_feedback,training")  # fmt: skip
    assert gone.exit_code == 0, gone.output
    assert "filming_feedback withdrawn" in gone.output and "training withdrawn" in gone.output
    refused = client.post(f"/api/cases/{case.id}/filming-sessions", json=visit)
    assert refused.status_code == 403, refused.text

    records = db.scalars(select(ConsentRecord).where(ConsentRecord.person_id == mum)).all()
    assert len(records) == len(Purpose)
    withdrawn = {r.purpose for r in records if r.withdrawn_at is not None}
    assert withdrawn == {"filming_feedback", "training"}
    assert {r.expires_on for r in records} == {date.fromisoformat(expires)}
    assert {(r.method, r.given_by, r.basis) for r in records} == {("paper", "M. Parent", "consent")}
    actions = [
        (e.action, e.actor_id)
        for e in db.scalars(select(AuditEntry).where(AuditEntry.action.like("consent.%")))
    ]
    assert actions.count(("consent.record", "local:records-clerk")) == len(Purpose)
    assert actions.count(("consent.withdraw", "local:records-clerk")) == 2
    db.rollback()


def test_command_line_refusals_are_clear(run: Run, world: World) -> None:
    team = world.team()
    case = world.case(team, reference="PAPER-002")
    mum = world.person(case, kind="caregiver", display_name="Mum", parental_responsibility=True)
    base = ("consent", "record", "--case", "PAPER-002", "--person", mum, "--given-by", "M")

    unknown = run(*base, "--purposes", "gossip", "--basis", "consent")
    assert unknown.exit_code == 2 and "purposes are 'all' or a list of" in unknown.output
    basis = run(*base, "--purposes", "research", "--basis", "whim")
    assert basis.exit_code == 2 and "basis" in basis.output
    other = run(
        *base, "--purposes", "research", "--basis", "public_task", "--expires", "2001-01-01"
    )
    assert other.exit_code == 2 and "expiry" in other.output
    nobody = run("consent", "record", "--case", "PAPER-002", "--person", "not-an-id",
                 "--purposes", "research", "--basis", "consent", "--given-by", "M")  # fmt: skip
    assert nobody.exit_code == 2 and "person in this case" in nobody.output
    none_yet = run("consent", "withdraw", "--case", "PAPER-002", "--person", mum,
                   "--purposes", "research")  # fmt: skip
    assert none_yet.exit_code == 2 and "no consent to withdraw" in none_yet.output
    lost = run("consent", "withdraw", "--case", "NOPE-999", "--person", mum, "--purposes", "all")
    assert lost.exit_code == 2 and "no case" in lost.output


def test_the_demo_case_can_be_filmed(run: Run, db: Session) -> None:
    seeded = run("demo")
    assert seeded.exit_code == 0, seeded.output
    records = db.scalars(select(ConsentRecord)).all()
    assert sorted(r.purpose for r in records) == ["filming_feedback", "supervision"]
    db.rollback()

"""The command line: same rules as the web, audited, clear errors."""

from __future__ import annotations

import json
import stat
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from attunely.audit.models import AuditEntry
from attunely.cli import app as cli_app
from attunely.config import Settings, reset_settings_cache


@pytest.fixture
def run(settings: Settings, app: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.setenv("ATTUNELY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ATTUNELY_OPERATOR", "ops-tester")
    if settings.database_url:
        monkeypatch.setenv("ATTUNELY_DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("ATTUNELY_DATABASE_URL", raising=False)
    reset_settings_cache()
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> object:
        return runner.invoke(cli_app, list(args), input=input)

    yield invoke
    reset_settings_cache()


def test_case_and_people_from_the_command_line(run, db: Session) -> None:  # type: ignore[no-untyped-def]
    assert run("team", "create", "Clinic Team").exit_code == 0
    made = run(
        "user",
        "create",
        "--username",
        "sam",
        "--name",
        "Sam",
        "--role",
        "guider",
        "--team",
        "Clinic Team",
        "--password-stdin",
        input="a long enough password\n",
    )
    assert made.exit_code == 0, made.output
    created = run(
        "case", "create", "--ref", "CLI-0001", "--programme", "Minding the Baby", "--guider", "sam"
    )
    assert created.exit_code == 0, created.output
    case_id = created.output.strip()
    uuid.UUID(case_id)
    child = run(
        "person",
        "add",
        "--case",
        "CLI-0001",
        "--kind",
        "child",
        "--name",
        "Baby",
        "--born",
        "2026-01-15",
    )
    assert child.exit_code == 0, child.output
    parent = run(
        "person",
        "add",
        "--case",
        "CLI-0001",
        "--kind",
        "caregiver",
        "--name",
        "Mum",
        "--parental-responsibility",
    )
    assert parent.exit_code == 0, parent.output
    shown = json.loads(run("case", "show", "--ref", "CLI-0001").output)
    assert shown["id"] == case_id and shown["programme"] == "minding_the_baby"
    assert [p["parental_responsibility"] for p in shown["people"]] == [False, True]
    actors = set(db.scalars(select(AuditEntry.actor_id).where(AuditEntry.action == "case.create")))
    assert actors == {"local:ops-tester"}


@pytest.mark.parametrize(
    "args, message",
    [
        (("case", "create", "--ref", "x", "--programme", "vig"), "reference"),
        (("case", "create", "--ref", "GOOD-1", "--programme", "astrology"), "unknown programme"),
        (
            (
                "person",
                "add",
                "--case",
                "NOPE-1",
                "--kind",
                "child",
                "--name",
                "A",
                "--born",
                "2025-01-01",
            ),
            "no case with reference",
        ),
        (
            (
                "person",
                "add",
                "--case",
                "NOPE-1",
                "--kind",
                "child",
                "--name",
                "A",
                "--born",
                "yesterday",
            ),
            "no case with reference",
        ),
    ],
)
def test_bad_arguments_give_one_clear_line(run, args: tuple[str, ...], message: str) -> None:  # type: ignore[no-untyped-def]
    run("team", "create", "Only Team")
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_secrets_are_owner_only(settings: Settings, app: object) -> None:
    key = settings.keys_dir / "master.key"
    assert key.exists()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.keys_dir.stat().st_mode) == 0o700


def test_version(run) -> None:  # type: ignore[no-untyped-def]
    from attunely import __version__

    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.output


def test_secret_created_by_racing_processes_is_whole(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    from attunely.config import read_secret

    keys = tmp_path / "keys"

    def first_read(i: int) -> bytes:
        read_secret.cache_clear()
        return read_secret.__wrapped__(keys, "race")  # type: ignore[attr-defined,no-any-return]

    with ThreadPoolExecutor(max_workers=8) as pool:
        values = set(pool.map(first_read, range(32)))
    assert len(values) == 1 and len(values.pop()) == 32
    assert sorted(p.name for p in keys.iterdir()) == ["race.key"]

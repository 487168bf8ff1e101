"""`attunely dpia` and the DPO's /dpia page: a data map generated from the live system."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import inspect, select
from typer.testing import CliRunner, Result

from attunely.audit.models import AuditEntry
from attunely.cli import app as cli_app
from attunely.config import Settings, reset_settings_cache
from attunely.dpia.datamap import redacted_url
from attunely.policy import Action, Role
from tests.support.factories import World

Run = Callable[..., Result]


@pytest.fixture
def cli(settings: Settings, app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    monkeypatch.setenv("ATTUNELY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ATTUNELY_OPERATOR", "dpo-desk")
    if settings.database_url:
        monkeypatch.setenv("ATTUNELY_DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("ATTUNELY_DATABASE_URL", raising=False)

    def invoke(*args: str) -> Result:
        reset_settings_cache()
        return CliRunner().invoke(cli_app, list(args))

    yield invoke
    reset_settings_cache()


def test_the_pack_lists_every_table_and_every_action(
    cli: Run, app: FastAPI, settings: Settings, world: World, tmp_path: Path
) -> None:
    world.case(world.team(), reference="DPIA-1")
    out = tmp_path / "pack.html"
    made = cli("dpia", "--out", str(out))
    assert made.exit_code == 0, made.output
    pack = out.read_text()
    tables = inspect(app.state.engine).get_table_names()
    assert len(tables) > 30
    for name in tables:
        assert f"<td>{name}</td>" in pack, name
    for action in Action:
        assert f"<td>{action.value}</td>" in pack, action
    # The policy decides the cells: the DPO reads audit, a guider never does.
    audit_row = pack.split("<td>audit.view</td>")[1].split("</tr>")[0]
    assert audit_row.count("<td>yes</td>") == 3  # DPO, administrator, local operator
    assert "<td>assigned guider</td>" in pack.split("<td>film.play</td>")[1].split("</tr>")[0]
    for purpose in ("filming_feedback", "supervision", "research"):
        assert f"<td>{purpose}</td>" in pack
    assert "AES-256-GCM" in pack and "<script" not in pack
    with app.state.session_factory() as db:
        made_by = db.scalars(
            select(AuditEntry.actor_id).where(AuditEntry.action == "dpia.generate")
        ).all()
    assert made_by == ["local:dpo-desk"]
    again = cli("dpia", "--out", str(out))
    assert again.exit_code == 2 and "exists" in again.output


def test_the_pack_follows_the_configuration(
    cli: Run, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = tmp_path / "local.md"
    assert cli("dpia", "--out", str(local)).exit_code == 0
    before = local.read_text()
    assert f"local directory {settings.resolved_data_dir / 'vault'}" in before
    assert "| retention films | 12 months |" in before
    assert "S3" not in before.split("## Processors")[1]

    monkeypatch.setenv("ATTUNELY_STORAGE", "s3")
    monkeypatch.setenv("ATTUNELY_S3_BUCKET", "family-films-eu")
    monkeypatch.setenv("ATTUNELY_S3_ENDPOINT", "https://objects.example.org:9000")
    monkeypatch.setenv("ATTUNELY_S3_SECRET_KEY", "very-secret-key-material")
    monkeypatch.setenv("ATTUNELY_RETENTION_FILMS_MONTHS", "7")
    s3 = tmp_path / "s3.md"
    made = cli("dpia", "--out", str(s3))
    assert made.exit_code == 0, made.output
    after = s3.read_text()
    assert "S3 object storage: bucket family-films-eu" in after
    assert "S3-compatible storage at objects.example.org (ciphertext only)" in after
    assert "| retention films | 7 months | ATTUNELY_RETENTION_FILMS_MONTHS |" in after
    assert "very-secret-key-material" not in after
    assert "local directory" not in after

    bad = cli("dpia", "--out", str(tmp_path / "x.pdf"), "--format", "pdf")
    assert bad.exit_code == 2 and "format must be html or markdown" in bad.output


def test_database_passwords_never_appear() -> None:
    shown = redacted_url("postgresql+psycopg://attunely:s3cr3t-pw@db.internal:5432/attunely")
    assert "s3cr3t-pw" not in shown and "db.internal" in shown


def test_the_dpo_reads_the_pack_in_the_browser_and_a_guider_cannot(world: World) -> None:
    team = world.team()
    dpo = world.user(Role.DPO)
    guider = world.user(Role.GUIDER, team=team)
    # One sign-in: a second-factor code is accepted only once.
    desk = world.client_for(dpo)
    page = desk.get("/dpia")
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "<td>vault_objects</td>" in page.text
    markdown = desk.get("/dpia?format=markdown")
    assert markdown.status_code == 200 and markdown.text.startswith("# Data protection")
    refused = world.client_for(guider).get("/dpia")
    assert refused.status_code == 403


def test_the_dpo_finds_the_data_map_in_the_navigation(world: World) -> None:
    desk = world.client_for(world.user(Role.DPO))
    assert 'href="/dpia"' in desk.get("/").text
    guider = world.client_for(world.user(Role.GUIDER, team=world.team()))
    assert 'href="/dpia"' not in guider.get("/").text

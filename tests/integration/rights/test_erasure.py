"""Erasure of a person and of a case: records gone or anonymised, footage unreadable, the
audit chain still verifies, a receipt, a ledger entry, and a re-apply that is idempotent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from attunely.audit import service as audit
from attunely.backup import ledger
from attunely.cases.models import Case, CasePerson
from attunely.cli import app as cli_app
from attunely.config import Settings, reset_settings_cache
from attunely.consent.models import ConsentRecord
from attunely.db import Base, unit_of_work
from attunely.errors import NotFound
from attunely.films.models import Film
from attunely.models import load_all
from attunely.policy import local_operator
from attunely.rights import erasure
from attunely.rights.holdings import HOLDINGS
from attunely.rights.models import ErasureReceipt
from attunely.vault import service as vault_service
from attunely.vault.models import VaultObject
from attunely.workspace.models import Annotation, Clip
from tests.integration.rights.conftest import OTHER, REQUESTER, Family

OPERATOR = local_operator("rights-test")


def _everything(db: Session) -> str:
    """Every row of every table, as text (to search for names that must be gone)."""
    load_all()
    parts = []
    for table in Base.metadata.sorted_tables:
        for row in db.execute(select(table)).mappings():
            parts.append(
                json.dumps({k: v for k, v in row.items() if not isinstance(v, bytes)}, default=str)
            )
    return "\n".join(parts)


def _readable(db: Session, app: FastAPI, object_id: str) -> bool:
    try:
        vault_service.read_range(
            db, vault=app.state.vault, actor=OPERATOR, object_id=object_id, purpose="test", end=16
        )
    except NotFound:
        return False
    return True


def _film_objects(db: Session, film_id: str) -> list[str]:
    film = db.get(Film, film_id)
    assert film is not None
    return [o for o in (film.original_object_id, film.proxy_object_id) if o]


def _snapshot(db: Session) -> dict[str, Any]:
    load_all()
    skip = {"audit_entries", "audit_head", "rights_erasures"}
    return {
        t.name: sorted(
            json.dumps(dict(r), default=str, sort_keys=True)
            for r in db.execute(select(t)).mappings()
        )
        for t in Base.metadata.sorted_tables
        if t.name not in skip
    }


def test_erasing_a_person_from_the_dpo_page(
    family: Family, app: FastAPI, settings: Settings, db: Session
) -> None:
    objects_a = _film_objects(db, family.films["A"])
    objects_c = _film_objects(db, family.films["C"])
    db.rollback()
    client = family.dpo_client
    unconfirmed = client.post(
        "/rights/erase/person",
        data={"person_id": family.marigold, "reason": "Art. 17 request", "confirm": "no"},
    )
    assert unconfirmed.status_code == 422 and "type ERASE" in unconfirmed.text
    assert db.get(CasePerson, family.marigold).display_name == REQUESTER  # type: ignore[union-attr]
    db.rollback()

    erased = client.post(
        "/rights/erase/person",
        data={"person_id": family.marigold, "reason": "Art. 17 request", "confirm": "erase"},
        follow_redirects=False,
    )
    assert erased.status_code == 303, erased.text
    receipt_page = client.get(erased.headers["location"])
    assert receipt_page.status_code == 200 and "Erasure receipt" in receipt_page.text

    db.expire_all()
    person = db.get(CasePerson, family.marigold)
    assert person is not None and person.display_name == "erased person" and person.born is None
    consents = db.scalars(
        select(ConsentRecord).where(ConsentRecord.person_id == family.marigold)
    ).all()
    assert consents and all(c.given_by == "erased person" and c.withdrawn_at for c in consents)
    # Film A (only her) is gone and unreadable; film C (both of them) stays for Zephyrina.
    assert db.get(Film, family.films["A"]) is None
    assert all(db.get(VaultObject, o).state == "shredded" for o in objects_a)  # type: ignore[union-attr]
    assert not any(_readable(db, app, o) for o in objects_a)
    assert all(_readable(db, app, o) for o in objects_c)
    db.rollback()
    notes = {a.film_id: a.note for a in db.scalars(select(Annotation))}
    assert notes[family.films["C"]] == "" and notes[family.films["B"]] == "ZEPHMARK-note-B"
    caption = db.scalars(select(Clip.caption).where(Clip.film_id == family.films["C"])).one()
    assert caption == f"MARIMARK-clip-C: erased person smiles at {OTHER}"
    # Her name is nowhere in the database any more.
    everything = _everything(db)
    assert "Marigold" not in everything and "Fairweather" not in everything
    assert OTHER in everything

    assert audit.verify(db).ok
    receipt = db.scalars(select(ErasureReceipt)).one()
    summary = json.loads(receipt.receipt)
    assert summary["films_shredded"] == [family.films["A"]]
    assert summary["consents_withdrawn"] == len(consents)
    assert summary["tables"]["films"]["deleted"] == 1
    assert summary["tables"]["case_people"]["anonymised"] == 1
    assert summary["audit_details_cleared"] > 0
    assert "Marigold" not in receipt.receipt and receipt.case_reference == family.reference
    entries = [e for e in ledger.entries(settings) if e.op == erasure.OP_PERSON]
    assert [e.target["person_id"] for e in entries] == [family.marigold]

    # Re-applying after a restore that already has the erasure changes nothing.
    db.rollback()
    before = _snapshot(db)
    db.rollback()
    for _ in range(2):
        with unit_of_work(app.state.session_factory) as work:
            ledger.handler(erasure.OP_PERSON)(work, app.state.vault, OPERATOR, entries[0].target)
    db.expire_all()
    assert _snapshot(db) == before
    assert audit.verify(db).ok


def test_a_restored_database_is_erased_again_by_the_ledger(
    family: Family, app: FastAPI, settings: Settings, db: Session
) -> None:
    """An erasure whose ledger entry was written but whose database was then replaced (a
    restore from before it) is applied again by the re-apply handler."""
    objects_a = _film_objects(db, family.films["A"])
    db.rollback()
    work = app.state.session_factory()
    erasure.erase_person(
        work, settings=settings, actor=OPERATOR, person_id=family.marigold, reason="request"
    )
    work.rollback()  # the database as a backup from before the erasure has it
    work.close()
    assert db.get(CasePerson, family.marigold).display_name == REQUESTER  # type: ignore[union-attr]
    assert all(_readable(db, app, o) for o in objects_a)
    db.rollback()
    (entry,) = list(ledger.entries(settings))
    with unit_of_work(app.state.session_factory) as again:
        ledger.handler(entry.op)(again, app.state.vault, OPERATOR, entry.target)
    db.expire_all()
    assert db.get(CasePerson, family.marigold).display_name == "erased person"  # type: ignore[union-attr]
    assert not any(_readable(db, app, o) for o in objects_a)
    assert audit.verify(db).ok


@pytest.fixture
def cli(settings: Settings, app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("ATTUNELY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ATTUNELY_OPERATOR", "dpo-at-the-server")
    if settings.database_url:
        monkeypatch.setenv("ATTUNELY_DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("ATTUNELY_DATABASE_URL", raising=False)
    reset_settings_cache()
    runner = CliRunner()
    yield lambda *args: runner.invoke(cli_app, list(args))
    reset_settings_cache()


def test_erasing_a_case_from_the_command_line(
    family: Family, app: FastAPI, settings: Settings, db: Session, cli: Any, tmp_path: Any
) -> None:
    objects = [
        o.id for o in db.scalars(select(VaultObject).where(VaultObject.case_id == family.case_id))
    ]
    keys = [
        o.storage_key
        for o in db.scalars(select(VaultObject).where(VaultObject.case_id == family.case_id))
    ]
    assert all(app.state.vault.store.exists(k) for k in keys)
    db.rollback()

    package = tmp_path / "sar.zip"
    exported = cli("sar", "export", "--person", family.zephyrina, "--out", str(package))
    assert exported.exit_code == 0, exported.output
    assert package.stat().st_size > 10_000
    again = cli("sar", "export", "--person", family.zephyrina, "--out", str(package))
    assert again.exit_code == 2 and "exists" in again.output

    refused = cli("erase", "case", "--ref", family.reference, "--reason", " ")
    assert refused.exit_code == 2
    done = cli(
        "erase", "case", "--ref", family.reference, "--reason", "closed case, retention ended"
    )
    assert done.exit_code == 0, done.output
    assert f"erased case {family.case_id}" in done.output
    summary = json.loads(done.output[done.output.index("{") :])
    assert sorted(summary["films_shredded"]) == sorted(family.films.values())
    assert summary["vault_objects_shredded"] == len(objects)

    db.expire_all()
    assert db.get(Case, family.case_id) is None
    load_all()
    for each in HOLDINGS:
        table = Base.metadata.tables[each.table]
        if "case_id" in table.c and each.erase_case == "delete":
            left = db.execute(select(table).where(table.c.case_id == family.case_id)).all()
            assert left == [], each.table
    assert db.scalars(select(VaultObject).where(VaultObject.id.in_(objects))).all() == []
    assert not any(app.state.vault.store.exists(k) for k in keys)
    everything = _everything(db)
    for word in ("Marigold", "Zephyrina", "MARIMARK", "ZEPHMARK"):
        assert word not in everything, word
    db.rollback()
    verified = cli("audit", "verify")
    assert verified.exit_code == 0, verified.output
    (entry,) = [e for e in ledger.entries(settings) if e.op == erasure.OP_CASE]
    assert entry.target["case_id"] == family.case_id
    receipt = db.scalars(select(ErasureReceipt).where(ErasureReceipt.scope == "case")).one()
    assert json.loads(receipt.receipt)["tables"]["cases"]["deleted"] == 1
    db.rollback()
    # Nothing left to do when the ledger is re-applied to this database.
    with pytest.raises(NotFound), unit_of_work(app.state.session_factory) as work:
        ledger.handler(erasure.OP_CASE)(work, app.state.vault, OPERATOR, entry.target)
    assert cli("audit", "verify").exit_code == 0


def test_only_the_dpo_and_administrators_may_erase_or_export(family: Family, app: FastAPI) -> None:
    for client in (family.guider, family.supervisor):
        assert client.get("/rights").status_code == 403
        refused = client.post(
            "/rights/erase/case",
            data={"reference": family.reference, "reason": "x" * 5, "confirm": family.reference},
        )
        assert refused.status_code == 403
    client = family.dpo_client
    wrong = client.post(
        "/rights/erase/case",
        data={"reference": family.reference, "reason": "closing", "confirm": "REF-0000"},
    )
    assert wrong.status_code == 422 and "reference again" in wrong.text

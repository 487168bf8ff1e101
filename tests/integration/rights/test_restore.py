"""A restore from a backup taken before an erasure erases again (the erasure ledger)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import select

from attunely.audit import service as audit
from attunely.backup import ledger
from attunely.cases.models import Case, CasePerson
from attunely.config import Settings
from attunely.films.models import Film
from attunely.vault.models import VaultObject
from tests.integration.backup.conftest import (  # noqa: F401  (the `cli` fixture)
    Run,
    cli,
    family_with_film,
    plays,
    reopened,
)
from tests.support.factories import World


def test_erasures_after_a_backup_are_made_again_when_it_is_restored(
    cli: Run,  # noqa: F811
    app: FastAPI,
    settings: Settings,
    world: World,
    tmp_path: Path,
) -> None:
    keep = family_with_film(world, app, settings, "KEEP-9")
    person = family_with_film(world, app, settings, "PERSON-9")
    gone = family_with_film(world, app, settings, "GONE-9")
    out = tmp_path / "backup"
    assert cli("backup", "--out", str(out)).exit_code == 0
    erased = cli("erase", "person", "--id", person.parent_id, "--reason", "erasure request")
    assert erased.exit_code == 0, erased.output
    erased = cli("erase", "case", "--ref", "GONE-9", "--reason", "erasure request")
    assert erased.exit_code == 0, erased.output
    assert [e.op for e in ledger.entries(settings)] == ["erase_person", "erase_case"]
    app.state.engine.dispose()

    restored = cli("restore", "--from", str(out), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "re-applied erase_person" in restored.output
    assert "re-applied erase_case" in restored.output
    with reopened(settings) as opened, opened.app.state.session_factory() as db:
        assert db.get(Case, gone.case_id) is None
        assert (
            db.scalars(select(VaultObject).where(VaultObject.case_id == gone.case_id)).all() == []
        )
        parent = db.get(CasePerson, person.parent_id)
        assert parent is not None and parent.display_name == "erased person"
        # The parent was the only person filmed: the film is gone, its footage unreadable.
        assert db.get(Film, person.film_id) is None
        objects = db.scalars(select(VaultObject).where(VaultObject.case_id == person.case_id))
        assert all(o.state == "shredded" and o.wrapped_data_key is None for o in objects)
        assert audit.verify(db).ok
        db.rollback()
        assert plays(opened, keep)

"""The erasure ledger's position in a backup: what counts as written after it, and tampering."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from attunely.backup import ledger
from attunely.config import Settings
from attunely.errors import IntegrityError


@pytest.fixture
def here(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", ledger_dir=tmp_path / "ledger")


def test_entries_after_a_mark_with_and_without_the_margin(here: Settings) -> None:
    assert ledger.mark(here).lines == 0
    ledger.append(here, op="shred_case", target={"case_id": "a"})
    ledger.append(here, op="shred_film", target={"film_id": "b"})
    # An append under way (no newline yet) is not part of the mark.
    with ledger.ledger_path(here).open("a") as handle:
        handle.write('{"at": "2026-')
    mark = ledger.mark(here)
    assert mark.lines == 2 and mark.last_at is not None
    raw = ledger.ledger_path(here).read_bytes()
    ledger.ledger_path(here).write_bytes(raw[: mark.offset])
    ledger.append(here, op="erase_person", target={"person_id": "c"})

    after = ledger.entries_after(here, mark, margin=timedelta(0))
    assert [e.op for e in after] == ["erase_person"]
    with_margin = ledger.entries_after(here, mark, margin=timedelta(minutes=10))
    assert [e.op for e in with_margin] == ["shred_case", "shred_film", "erase_person"]


def test_a_replaced_or_damaged_ledger_is_refused(here: Settings) -> None:
    ledger.append(here, op="shred_case", target={"case_id": "a"})
    mark = ledger.mark(here)
    path = ledger.ledger_path(here)
    original = path.read_bytes()
    path.write_bytes(original.replace(b'"a"', b'"z"'))
    with pytest.raises(IntegrityError, match="replaced, truncated or edited"):
        ledger.entries_after(here, mark, margin=timedelta(0))
    path.write_bytes(original + b"not json\n")
    with pytest.raises(IntegrityError, match="line 2 is unreadable"):
        ledger.entries_after(here, mark, margin=timedelta(0))

"""The audit trail is a hash chain: any edit, deletion, reordering or truncation is found."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from attunely.audit import service as audit
from attunely.audit.models import AuditEntry, AuditHead
from attunely.cli import app as cli_app
from attunely.config import Settings
from attunely.policy import local_operator

ACTOR = local_operator("tester")


def _fill(db: Session, count: int = 8) -> None:
    for i in range(count):
        audit.record(
            db,
            actor=ACTOR,
            action="test.event",
            object_type="thing",
            object_id=f"obj-{i}",
            detail={"note": f"detail {i}"},
        )
    db.commit()


def test_untouched_chain_verifies(db: Session) -> None:
    _fill(db)
    report = audit.verify(db)
    assert report.ok and report.checked == report.head_seq == 8


def _edit_action(db: Session) -> None:
    db.execute(update(AuditEntry).where(AuditEntry.seq == 4).values(action="case.view"))


def _edit_actor(db: Session) -> None:
    db.execute(update(AuditEntry).where(AuditEntry.seq == 4).values(actor_id="someone-else"))


def _edit_time(db: Session) -> None:
    db.execute(
        update(AuditEntry).where(AuditEntry.seq == 4).values(at="2020-01-01T00:00:00.000000+00:00")
    )


def _edit_detail(db: Session) -> None:
    db.execute(update(AuditEntry).where(AuditEntry.seq == 4).values(detail='{"note":"forged"}'))


def _edit_and_rehash(db: Session) -> None:
    # A forger who recomputes the edited entry's own hash still breaks the next link.
    entry = db.get(AuditEntry, 4)
    assert entry is not None
    entry.outcome = "denied"
    entry.hash = audit.hash_of(entry)
    db.flush()


def _delete_middle(db: Session) -> None:
    db.execute(delete(AuditEntry).where(AuditEntry.seq == 4))


def _delete_last(db: Session) -> None:
    db.execute(delete(AuditEntry).where(AuditEntry.seq == 8))


def _swap(db: Session) -> None:
    # Reorder: exchange the positions of entries 4 and 5.
    db.execute(update(AuditEntry).where(AuditEntry.seq == 4).values(seq=-4))
    db.execute(update(AuditEntry).where(AuditEntry.seq == 5).values(seq=4))
    db.execute(update(AuditEntry).where(AuditEntry.seq == -4).values(seq=5))


def _delete_and_renumber(db: Session) -> None:
    db.execute(delete(AuditEntry).where(AuditEntry.seq == 4))
    for seq in range(5, 9):
        db.execute(update(AuditEntry).where(AuditEntry.seq == seq).values(seq=seq - 1))
    db.execute(update(AuditHead).values(seq=7))


TAMPERS: dict[str, tuple[Callable[[Session], None], int]] = {
    "edit action": (_edit_action, 4),
    "edit actor": (_edit_actor, 4),
    "edit time": (_edit_time, 4),
    "edit detail": (_edit_detail, 4),
    "edit and rehash": (_edit_and_rehash, 5),
    "delete middle": (_delete_middle, 4),
    "delete last": (_delete_last, 8),
    "reorder": (_swap, 4),
    "delete and renumber": (_delete_and_renumber, 4),
}


@pytest.mark.parametrize("name", list(TAMPERS))
def test_tampering_is_detected_at_the_right_entry(db: Session, name: str) -> None:
    _fill(db)
    tamper, first_bad = TAMPERS[name]
    tamper(db)
    db.commit()
    report = audit.verify(db)
    assert not report.ok, name
    assert report.first_broken == first_bad, (name, report)


def test_erasing_detail_keeps_the_chain_valid(db: Session) -> None:
    # Erasure blanks personal words in `detail`; the chain hashes a digest, so it still holds.
    _fill(db)
    db.execute(update(AuditEntry).where(AuditEntry.seq.in_([2, 3])).values(detail=None))
    db.commit()
    assert audit.verify(db).ok


def test_concurrent_writers_get_gap_free_numbers(settings: Settings, app: object) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from attunely.db import unit_of_work

    factory = app.state.session_factory  # type: ignore[attr-defined]

    def write(i: int) -> None:
        with unit_of_work(factory) as session:
            audit.record(
                session,
                actor=ACTOR,
                action="test.concurrent",
                object_type="thing",
                object_id=str(i),
            )

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(write, range(60)))
    with unit_of_work(factory) as session:
        seqs = session.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)).all()
        assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 60
        assert audit.verify(session).ok


def _cli_env(settings: Settings) -> dict[str, str]:
    env = {"ATTUNELY_DATA_DIR": str(settings.data_dir), "ATTUNELY_OPERATOR": "tester"}
    if settings.database_url:
        env["ATTUNELY_DATABASE_URL"] = settings.database_url
    return env


def test_cli_verify_exit_codes(
    settings: Settings, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from attunely.config import reset_settings_cache

    _fill(db)
    for key, value in _cli_env(settings).items():
        monkeypatch.setenv(key, value)
    reset_settings_cache()
    runner = CliRunner()
    ok = runner.invoke(cli_app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "entries verify" in ok.output
    db.execute(text("UPDATE audit_entries SET object_id = 'forged' WHERE seq = 3"))
    db.commit()
    broken = runner.invoke(cli_app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "entry 3" in broken.output
    reset_settings_cache()

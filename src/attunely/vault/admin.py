"""Operator commands on the vault (`attunely keys ...`), checked by the policy and audited."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from attunely.backup import ledger
from attunely.cases import service as cases
from attunely.config import Settings
from attunely.db import (
    current_revision,
    head_revision,
    make_engine,
    make_session_factory,
    unit_of_work,
)
from attunely.errors import ConfigurationError
from attunely.guard import require
from attunely.policy import Action, Actor
from attunely.vault import service
from attunely.vault.service import CleanupReport, RotationReport, ShredReport, Vault


@contextmanager
def open_vault(settings: Settings) -> Iterator[Vault]:
    """Yield the configured vault on a migrated database; dispose of the engine after."""
    engine = make_engine(settings)
    try:
        if current_revision(engine) != head_revision():
            raise ConfigurationError("the database is not up to date; run `attunely db upgrade`")
        yield service.vault_for(settings, make_session_factory(engine))
    finally:
        engine.dispose()


def _require_operator(vault: Vault, actor: Actor) -> None:
    with unit_of_work(vault.sessions) as db:
        require(db, actor=actor, action=Action.SYSTEM_ADMIN, object_type="vault")


def rotate(settings: Settings, *, actor: Actor) -> RotationReport:
    """Re-wrap every case key under a new master key version; destroy the old versions."""
    with open_vault(settings) as vault:
        _require_operator(vault, actor)
        return service.rotate_keys(vault, actor=actor)


@dataclass(frozen=True)
class ShredOutcome:
    shred: ShredReport
    blobs_removed: int
    rotation: RotationReport | None


def shred(
    settings: Settings, *, actor: Actor, reference: str, reason: str, rotate_after: bool = True
) -> ShredOutcome:
    """Crypto-shred a case by reference, delete its ciphertext and (by default) rotate."""
    with open_vault(settings) as vault:
        _require_operator(vault, actor)
        with unit_of_work(vault.sessions) as db:
            case = cases.find_by_reference(db, actor=actor, reference=reference)
            report = service.shred_case(
                db, vault=vault, actor=actor, case_id=case.id, reason=reason
            )
            # Before the commit: a restore re-applies it (attunely.retention.shredding).
            ledger.append(
                settings, op="shred_case", target={"case_id": case.id, "objects": report.objects}
            )
        removed = service.purge_blobs(vault, storage_keys=report.storage_keys)
        rotation = service.rotate_keys(vault, actor=actor) if rotate_after else None
        return ShredOutcome(report, removed, rotation)


def cleanup(settings: Settings, *, actor: Actor, older_than: timedelta) -> CleanupReport:
    """Remove orphaned blobs, abandoned uploads and their pending rows."""
    with open_vault(settings) as vault:
        _require_operator(vault, actor)
        return service.clean_orphans(vault, actor=actor, older_than=older_than)

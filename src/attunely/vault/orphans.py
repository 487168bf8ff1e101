"""Find and remove what a killed process or a deletion left behind in the blob store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from attunely.audit import service as audit
from attunely.db import unit_of_work, utcnow
from attunely.policy import Actor
from attunely.vault.context import Vault
from attunely.vault.models import ObjectState, VaultObject


@dataclass(frozen=True)
class Orphan:
    storage_key: str
    reason: str


@dataclass(frozen=True)
class OrphanScan:
    blobs: list[Orphan]
    #: Ids of pending rows older than the cut-off (uploads that will never finish).
    stale_rows: list[str]


def find_orphans(db: Session, *, vault: Vault, older_than: timedelta) -> OrphanScan:
    """Find blobs that no complete row points at, and pending rows that were abandoned.

    `older_than` must be longer than the slowest upload: a pending object younger than
    that may still be arriving and is left alone.
    """
    # List blobs before reading rows: a row is always committed before its blob exists,
    # so a blob listed here without a row really has none.
    blobs = list(vault.store.list())
    cutoff = utcnow() - older_than
    rows = {
        key: (state, created)
        for key, state, created in db.execute(
            select(VaultObject.storage_key, VaultObject.state, VaultObject.created_at)
        )
    }
    orphans: list[Orphan] = []
    for blob in blobs:
        found = rows.get(blob.key)
        if found is None:
            orphans.append(Orphan(blob.key, "no row"))
        elif found[0] == ObjectState.SHREDDED:
            orphans.append(Orphan(blob.key, "shredded"))
        elif found[0] == ObjectState.PENDING and found[1] < cutoff:
            orphans.append(Orphan(blob.key, "abandoned upload"))
    stale = list(
        db.scalars(
            select(VaultObject.id).where(
                VaultObject.state == ObjectState.PENDING, VaultObject.created_at < cutoff
            )
        )
    )
    return OrphanScan(blobs=orphans, stale_rows=stale)


@dataclass(frozen=True)
class CleanupReport:
    blobs_removed: int
    rows_removed: int
    incomplete_uploads_removed: int


def clean_orphans(
    vault: Vault, *, actor: Actor, older_than: timedelta = timedelta(hours=24)
) -> CleanupReport:
    """Remove orphaned blobs, abandoned pending rows and stale partial uploads (audited)."""
    with unit_of_work(vault.sessions) as db:
        scan = find_orphans(db, vault=vault, older_than=older_than)
    for orphan in scan.blobs:
        vault.store.delete(orphan.storage_key)
    incomplete = vault.store.purge_incomplete(older_than)
    with unit_of_work(vault.sessions) as db:
        removed = 0
        if scan.stale_rows:
            result = db.execute(
                delete(VaultObject).where(
                    VaultObject.id.in_(scan.stale_rows),
                    VaultObject.state == ObjectState.PENDING,
                )
            )
            removed = int(getattr(result, "rowcount", 0) or 0)
        if scan.blobs or removed or incomplete:
            audit.record(
                db,
                actor=actor,
                action="vault.cleanup",
                object_type="vault",
                object_id="-",
                purpose="operations",
                detail={
                    "blobs": len(scan.blobs),
                    "rows": removed,
                    "incomplete_uploads": incomplete,
                },
            )
    return CleanupReport(len(scan.blobs), removed, incomplete)

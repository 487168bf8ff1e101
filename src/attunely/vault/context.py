"""What every vault function is given, and how a stored object is described."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from attunely.config import Settings
from attunely.vault.keys import KeyManager, key_manager_for
from attunely.vault.models import VaultObject
from attunely.vault.storage import BlobStore, store_for


@dataclass(frozen=True)
class Vault:
    """What the vault functions need: where blobs go, who holds master keys, the database."""

    store: BlobStore
    keys: KeyManager
    sessions: sessionmaker[Session]


def vault_for(settings: Settings, sessions: sessionmaker[Session]) -> Vault:
    """Build the vault the settings describe (storage backend and key manager)."""
    return Vault(store=store_for(settings), keys=key_manager_for(settings), sessions=sessions)


@dataclass(frozen=True)
class StoredObject:
    """A vault object as plain values (safe to keep after its session closes)."""

    id: str
    case_id: str
    kind: str
    state: str
    length: int
    chunk_count: int
    chunk_size: int
    sha256: str | None
    created_at: datetime
    completed_at: datetime | None


def stored_object(row: VaultObject) -> StoredObject:
    return StoredObject(
        id=row.id,
        case_id=row.case_id,
        kind=row.kind,
        state=row.state,
        length=row.plaintext_length,
        chunk_count=row.chunk_count,
        chunk_size=row.chunk_size,
        sha256=row.sha256,
        created_at=row.created_at,
        completed_at=row.completed_at,
    )

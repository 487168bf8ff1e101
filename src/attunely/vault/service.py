"""Store, read, shred and rotate: the vault's rules, on top of crypto, keys and storage.

Callers (the media layer) check the policy first and pass an already-authorised actor and
the purpose of the access; every read, store, shred and rotation is audited here, and so is
every integrity failure.

Transactions: reading, shredding and deleting work inside the caller's session (the caller
commits). Storing and rotating own their transactions, through `Vault.sessions`, because a
multi-gigabyte upload must not hold a database transaction (on SQLite: the write lock) open
while bytes arrive, and old master keys may only be destroyed after the re-wrap is durable.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import BinaryIO, Self

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError as DbIntegrityError
from sqlalchemy.orm import Session, sessionmaker

from attunely.audit import service as audit
from attunely.cases.models import Case
from attunely.config import Settings
from attunely.db import new_id, unit_of_work, utcnow
from attunely.errors import ConfigurationError, Conflict, IntegrityError, InvalidInput, NotFound
from attunely.policy import Actor
from attunely.vault import crypto
from attunely.vault.keys import KeyManager, key_manager_for
from attunely.vault.models import (
    CaseKey,
    MasterKeyState,
    ObjectKind,
    ObjectState,
    VaultMasterKey,
    VaultObject,
)
from attunely.vault.storage import BlobStore, BlobWriter, store_for

log = logging.getLogger("attunely.vault")

#: How much of a file-like source `store_stream` reads at a time.
READ_SIZE = 1024 * 1024


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


def _info(row: VaultObject) -> StoredObject:
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


def _case_context(case_id: str) -> bytes:
    return b"case-key\x00" + case_id.encode()


def _data_context(object_id: str, case_id: str) -> bytes:
    return b"data-key\x00" + object_id.encode() + b"\x00" + case_id.encode()


# --- master key versions and case keys ----------------------------------------------------


def _active_version(db: Session, vault: Vault) -> int:
    """Return (locking it) the master key version new case keys are wrapped with."""
    for _attempt in range(3):
        row = db.scalars(
            select(VaultMasterKey)
            .where(VaultMasterKey.state == MasterKeyState.ACTIVE)
            .order_by(VaultMasterKey.version.desc())
            .limit(1)
            .with_for_update()
        ).first()
        if row is not None:
            if row.manager != vault.keys.name:
                raise ConfigurationError(
                    f"vault keys are held by key manager {row.manager!r}, "
                    f"but {vault.keys.name!r} is configured"
                )
            return row.version
        if db.scalar(select(func.count()).select_from(VaultMasterKey)):
            # A rotation just replaced the row we waited for; read again.
            continue
        vault.keys.create_version(1)
        try:
            with db.begin_nested():
                db.add(VaultMasterKey(version=1, manager=vault.keys.name))
        except DbIntegrityError:
            continue
        return 1
    raise ConfigurationError("the vault has no active master key")


def _unwrap_case_key(vault: Vault, row: CaseKey) -> bytes:
    if row.shredded_at is not None or row.wrapped_key is None:
        raise NotFound("the footage of this case was destroyed (its key was shredded)")
    return vault.keys.unwrap(
        row.wrapped_key, version=row.key_version, context=_case_context(row.case_id)
    )


def _case_key(db: Session, vault: Vault, case_id: str, *, create: bool) -> bytes:
    row = db.get(CaseKey, case_id)
    if row is not None:
        if create and row.shredded_at is not None:
            raise Conflict("this case's footage key was destroyed; it cannot store footage")
        return _unwrap_case_key(vault, row)
    if not create:
        raise NotFound("this case has no stored footage")
    if db.get(Case, case_id) is None:
        raise NotFound("no such case")
    version = _active_version(db, vault)
    key = crypto.new_key()
    wrapped = vault.keys.wrap(key, version=version, context=_case_context(case_id))
    try:
        with db.begin_nested():
            db.add(CaseKey(case_id=case_id, wrapped_key=wrapped, key_version=version))
    except DbIntegrityError:
        # Another writer created the case key first: use theirs.
        row = db.get(CaseKey, case_id, populate_existing=True)
        if row is None:
            raise
        return _unwrap_case_key(vault, row)
    return key


# --- storing ------------------------------------------------------------------------------


class VaultWriter:
    """Encrypt and store one object as its bytes arrive (push style).

    Use as a context manager, call `write` for each piece and `finish` at the end; leaving
    the block by an exception (or calling `abort`) removes every trace of the object. The
    object's row is committed as `pending` before the first byte is stored, so a killed
    process leaves a row that names its blob and `clean_orphans` can remove both.
    """

    def __init__(
        self,
        vault: Vault,
        *,
        actor: Actor,
        case_id: str,
        kind: ObjectKind | str,
        purpose: str,
        chunk_size: int = crypto.DEFAULT_CHUNK_SIZE,
        expected_sha256: str | None = None,
        detail: dict[str, str] | None = None,
    ) -> None:
        try:
            self.kind = ObjectKind(kind)
        except ValueError:
            raise InvalidInput(f"unknown kind of vault object: {kind!r}", field="kind") from None
        if expected_sha256 is not None and not (
            len(expected_sha256) == 64 and all(c in "0123456789abcdef" for c in expected_sha256)
        ):
            raise InvalidInput("a SHA-256 is 64 lower-case hex digits", field="sha256")
        self._vault = vault
        self._actor = actor
        self._purpose = purpose
        self._expected = expected_sha256
        self._detail = detail or {}
        self.case_id = case_id
        self.object_id = new_id()
        self.storage_key = f"{case_id}/{self.object_id}"
        data_key = crypto.new_key()
        self._encryptor = crypto.StreamEncryptor(
            key=data_key, object_id=self.object_id, chunk_size=chunk_size
        )
        with unit_of_work(vault.sessions) as db:
            case_key = _case_key(db, vault, case_id, create=True)
            db.add(
                VaultObject(
                    id=self.object_id,
                    case_id=case_id,
                    kind=self.kind,
                    state=ObjectState.PENDING,
                    wrapped_data_key=crypto.wrap_key(
                        case_key, data_key, context=_data_context(self.object_id, case_id)
                    ),
                    chunk_size=chunk_size,
                    storage_key=self.storage_key,
                    created_by=actor.audit_id,
                )
            )
        self._blob: BlobWriter | None = None
        self._closed = False
        try:
            self._blob = vault.store.open_writer(self.storage_key)
        except BaseException:
            self.abort()
            raise

    @property
    def length(self) -> int:
        """Plaintext bytes received so far."""
        return self._encryptor.length

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Encrypt and store the next piece of the object."""
        if self._closed or self._blob is None:
            raise Conflict("the vault writer is closed")
        try:
            sealed = self._encryptor.update(data)
            if sealed:
                self._blob.write(sealed)
        except BaseException:
            self.abort()
            raise

    def finish(self) -> StoredObject:
        """Seal the object, make its blob durable, then mark its row complete (audited)."""
        if self._closed or self._blob is None:
            raise Conflict("the vault writer is closed")
        blob = self._blob
        try:
            blob.write(self._encryptor.finish())
            summary = self._encryptor.summary
            if self._expected is not None and summary.sha256 != self._expected:
                raise InvalidInput(
                    "the data received does not match its SHA-256; nothing was stored",
                    field="sha256",
                )
            blob.commit()
        except BaseException:
            self.abort()
            raise
        try:
            with unit_of_work(self._vault.sessions) as db:
                row = db.get(VaultObject, self.object_id, with_for_update=True)
                if row is None or row.state != ObjectState.PENDING:
                    raise Conflict("the upload was abandoned and cleaned up; send it again")
                row.state = ObjectState.COMPLETE
                row.plaintext_length = summary.length
                row.chunk_count = summary.chunk_count
                row.sha256 = summary.sha256
                row.completed_at = utcnow()
                audit.record(
                    db,
                    actor=self._actor,
                    action="vault.store",
                    object_type="vault_object",
                    object_id=self.object_id,
                    purpose=self._purpose,
                    detail={
                        **self._detail,
                        "case_id": self.case_id,
                        "kind": str(self.kind),
                        "length": summary.length,
                    },
                )
                db.flush()
                info = _info(row)
        except BaseException:
            # The blob is durable but its row is not complete: remove both.
            self._discard(delete_blob=True)
            raise
        self._closed = True
        return info

    def abort(self) -> None:
        """Throw the object away: its partial blob and its pending row."""
        if self._closed:
            return
        if self._blob is not None:
            try:
                self._blob.abort()
            except Exception:
                log.exception("could not abort the blob of vault object %s", self.object_id)
        self._discard(delete_blob=False)

    def _discard(self, *, delete_blob: bool) -> None:
        self._closed = True
        try:
            if delete_blob:
                self._vault.store.delete(self.storage_key)
            with unit_of_work(self._vault.sessions) as db:
                db.execute(
                    delete(VaultObject).where(
                        VaultObject.id == self.object_id,
                        VaultObject.state == ObjectState.PENDING,
                    )
                )
        except Exception:
            # The pending row stays behind and `clean_orphans` removes it later.
            log.exception("could not discard vault object %s", self.object_id)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None or not self._closed:
            self.abort()


def open_writer(
    vault: Vault,
    *,
    actor: Actor,
    case_id: str,
    kind: ObjectKind | str,
    purpose: str,
    chunk_size: int = crypto.DEFAULT_CHUNK_SIZE,
    expected_sha256: str | None = None,
    detail: dict[str, str] | None = None,
) -> VaultWriter:
    """Start storing an object for a case; see `VaultWriter`. Commits its own transactions."""
    return VaultWriter(
        vault,
        actor=actor,
        case_id=case_id,
        kind=kind,
        purpose=purpose,
        chunk_size=chunk_size,
        expected_sha256=expected_sha256,
        detail=detail,
    )


def store_stream(
    vault: Vault,
    *,
    actor: Actor,
    case_id: str,
    kind: ObjectKind | str,
    source: BinaryIO | Iterable[bytes],
    purpose: str,
    chunk_size: int = crypto.DEFAULT_CHUNK_SIZE,
    expected_sha256: str | None = None,
    detail: dict[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> StoredObject:
    """Encrypt and store everything `source` yields; all or nothing. Commits its own work."""
    pieces: Iterable[bytes]
    if hasattr(source, "read"):
        reader = source.read

        def _pieces() -> Iterator[bytes]:
            while piece := reader(READ_SIZE):
                yield piece

        pieces = _pieces()
    else:
        pieces = source
    with open_writer(
        vault,
        actor=actor,
        case_id=case_id,
        kind=kind,
        purpose=purpose,
        chunk_size=chunk_size,
        expected_sha256=expected_sha256,
        detail=detail,
    ) as writer:
        for piece in pieces:
            writer.write(piece)
            if progress is not None:
                progress(writer.length)
        return writer.finish()


# --- reading ------------------------------------------------------------------------------


class VaultReader:
    """Authenticated random access to one stored object.

    Integrity failures met while reading are audited through the session the reader was
    opened with (rolling back whatever it holds uncommitted) before they are raised.
    """

    def __init__(
        self,
        *,
        info: StoredObject,
        sealed: crypto.SealedReader,
        on_failure: Callable[[IntegrityError], None],
    ) -> None:
        self.info = info
        self._sealed = sealed
        self._on_failure = on_failure

    @property
    def length(self) -> int:
        return self._sealed.length

    @property
    def sha256(self) -> str:
        return self._sealed.sha256

    def iter_range(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Yield the plaintext of [start, end) one chunk's worth at a time."""
        try:
            yield from self._sealed.iter_range(start, end)
        except IntegrityError as exc:
            self._on_failure(exc)
            raise

    def read_range(self, start: int = 0, end: int | None = None) -> bytes:
        """Return the plaintext of [start, end) (default: all of it)."""
        return b"".join(self.iter_range(start, end))

    def verify(self) -> None:
        """Decrypt everything and check it against the sealed SHA-256."""
        try:
            self._sealed.verify()
        except IntegrityError as exc:
            self._on_failure(exc)
            raise


def _readable_row(db: Session, object_id: str) -> VaultObject:
    row = db.get(VaultObject, object_id) if 0 < len(object_id) <= 64 else None
    if row is None or row.state == ObjectState.PENDING:
        raise NotFound("no such stored object")
    if row.state == ObjectState.SHREDDED:
        raise NotFound("this footage was destroyed (its case key was shredded)")
    return row


def _record_integrity_error(
    db: Session,
    *,
    actor: Actor,
    row: StoredObject,
    purpose: str,
    error: IntegrityError,
) -> None:
    try:
        audit.record_failure(
            db,
            actor=actor,
            action="vault.read",
            object_type="vault_object",
            object_id=row.id,
            outcome="integrity_error",
            purpose=purpose,
            detail={"case_id": row.case_id, "kind": row.kind, "problem": error.message},
        )
    except Exception:
        log.exception("could not audit an integrity failure of vault object %s", row.id)
    log.error("integrity failure in vault object %s: %s", row.id, error.message)


def open_reader(
    db: Session,
    *,
    vault: Vault,
    actor: Actor,
    object_id: str,
    purpose: str,
    detail: dict[str, str] | None = None,
) -> VaultReader:
    """Open a complete object for reading and audit the read in `db` (the caller commits).

    The caller has already checked the policy for `actor`. Commit `db` before streaming a
    long response, so no transaction is held open while bytes go out.
    """
    row = _readable_row(db, object_id)
    info = _info(row)
    key = row.storage_key
    store = vault.store

    def read_at(offset: int, size: int) -> bytes:
        return store.read_range(key, offset, offset + size)

    def failed(exc: IntegrityError) -> None:
        _record_integrity_error(db, actor=actor, row=info, purpose=purpose, error=exc)

    try:
        case_key = _case_key(db, vault, row.case_id, create=False)
        if row.wrapped_data_key is None:
            raise IntegrityError(f"object {row.id} has no data key")
        data_key = crypto.unwrap_key(
            case_key, row.wrapped_data_key, context=_data_context(row.id, row.case_id)
        )
        try:
            stored_size = store.size(key)
        except NotFound:
            raise IntegrityError(f"object {row.id} is missing from storage") from None
        sealed = crypto.SealedReader(
            key=data_key,
            object_id=row.id,
            chunk_size=row.chunk_size,
            length=row.plaintext_length,
            read_at=read_at,
            stored_size=stored_size,
        )
    except IntegrityError as exc:
        failed(exc)
        raise
    audit.record(
        db,
        actor=actor,
        action="vault.read",
        object_type="vault_object",
        object_id=row.id,
        purpose=purpose,
        detail={**(detail or {}), "case_id": row.case_id, "kind": row.kind},
    )
    return VaultReader(info=info, sealed=sealed, on_failure=failed)


def read_range(
    db: Session,
    *,
    vault: Vault,
    actor: Actor,
    object_id: str,
    purpose: str,
    start: int = 0,
    end: int | None = None,
) -> bytes:
    """Return plaintext bytes [start, end) of an object; the read is audited in `db`."""
    reader = open_reader(
        db,
        vault=vault,
        actor=actor,
        object_id=object_id,
        purpose=purpose,
        detail={"range": f"{start}-{'' if end is None else end}"},
    )
    return reader.read_range(start, end)


def object_info(db: Session, *, object_id: str) -> StoredObject:
    """Describe a stored object (any state) without reading it."""
    row = db.get(VaultObject, object_id) if 0 < len(object_id) <= 64 else None
    if row is None:
        raise NotFound("no such stored object")
    return _info(row)


def list_objects(db: Session, *, case_id: str) -> list[StoredObject]:
    """Describe every object of a case, oldest first."""
    rows = db.scalars(
        select(VaultObject)
        .where(VaultObject.case_id == case_id)
        .order_by(VaultObject.created_at, VaultObject.id)
    )
    return [_info(row) for row in rows]


def delete_object(db: Session, *, vault: Vault, actor: Actor, object_id: str, purpose: str) -> None:
    """Forget one object: its wrapped data key goes with its row, so its blob is unreadable.

    The blob is removed by the next `clean_orphans` (removing it before the caller commits
    could leave a row pointing at nothing if the transaction then failed).
    """
    row = db.get(VaultObject, object_id) if 0 < len(object_id) <= 64 else None
    if row is None:
        raise NotFound("no such stored object")
    audit.record(
        db,
        actor=actor,
        action="vault.delete",
        object_type="vault_object",
        object_id=row.id,
        purpose=purpose,
        detail={"case_id": row.case_id, "kind": row.kind},
    )
    db.delete(row)
    db.flush()


# --- crypto-shredding ---------------------------------------------------------------------


@dataclass(frozen=True)
class ShredReport:
    case_id: str
    objects: int
    storage_keys: list[str]


def shred_case(
    db: Session, *, vault: Vault, actor: Actor, case_id: str, reason: str
) -> ShredReport:
    """Destroy a case's key so none of its objects can ever be decrypted (audited).

    The wrapped case key and every wrapped data key of the case are overwritten and then
    cleared; a tombstone row keeps the case from silently getting a new key. Copies of the
    database made earlier (backups, WAL, dead row versions) still hold the old wrapped case
    key, wrapped by the current master key: rotate the master key (`rotate_keys`) after
    shredding so those copies become useless too. The caller commits; afterwards
    `purge_blobs` (or `clean_orphans`) removes the unreadable ciphertext.
    """
    if not reason.strip():
        raise InvalidInput("say why the footage is being destroyed", field="reason")
    if db.get(Case, case_id) is None:
        raise NotFound("no such case")
    if db.get_bind().dialect.name == "sqlite":
        # Zero freed database pages instead of leaving old key bytes in them.
        db.execute(text("PRAGMA secure_delete=ON"))
    row = db.get(CaseKey, case_id, with_for_update=True)
    now = utcnow()
    if row is None:
        db.add(CaseKey(case_id=case_id, wrapped_key=None, key_version=0, shredded_at=now))
    elif row.wrapped_key is not None:
        row.wrapped_key = os.urandom(len(row.wrapped_key))
        db.flush()
        row.wrapped_key = None
        row.shredded_at = now
    objects = list(
        db.scalars(select(VaultObject).where(VaultObject.case_id == case_id).with_for_update())
    )
    for obj in objects:
        if obj.wrapped_data_key is not None:
            obj.wrapped_data_key = os.urandom(len(obj.wrapped_data_key))
    db.flush()
    for obj in objects:
        obj.wrapped_data_key = None
        obj.state = ObjectState.SHREDDED
    audit.record(
        db,
        actor=actor,
        action="vault.shred",
        object_type="case",
        object_id=case_id,
        purpose="erasure",
        detail={"objects": len(objects), "reason": reason.strip()[:500]},
    )
    db.flush()
    return ShredReport(case_id, len(objects), [obj.storage_key for obj in objects])


def purge_blobs(vault: Vault, *, storage_keys: Iterable[str]) -> int:
    """Delete the ciphertext of shredded or deleted objects (after the commit)."""
    removed = 0
    for key in storage_keys:
        vault.store.delete(key)
        removed += 1
    return removed


# --- rotation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RotationReport:
    new_version: int
    rewrapped: int
    retired_versions: list[int]


def rotate_keys(vault: Vault, *, actor: Actor) -> RotationReport:
    """Re-wrap every case key under a new master key version, then destroy the old ones.

    Footage is not touched. Commits its own transactions: old versions are destroyed only
    once the re-wrap is committed, and only if no case key still uses them.
    """
    with unit_of_work(vault.sessions) as db:
        _active_version(db, vault)
        newest = db.scalar(select(func.max(VaultMasterKey.version))) or 0
        new_version = newest + 1
        vault.keys.create_version(new_version)
        for old in db.scalars(
            select(VaultMasterKey).where(VaultMasterKey.state == MasterKeyState.ACTIVE)
        ):
            old.state = MasterKeyState.RETIRING
        db.add(VaultMasterKey(version=new_version, manager=vault.keys.name))
        db.flush()
        rows = list(
            db.scalars(
                select(CaseKey)
                .where(CaseKey.wrapped_key.is_not(None))
                .order_by(CaseKey.case_id)
                .with_for_update()
            )
        )
        previous = sorted({row.key_version for row in rows})
        now = utcnow()
        for row in rows:
            try:
                key = _unwrap_case_key(vault, row)
            except IntegrityError as exc:
                raise IntegrityError(f"the key of case {row.case_id}: {exc.message}") from exc
            row.wrapped_key = vault.keys.wrap(
                key, version=new_version, context=_case_context(row.case_id)
            )
            row.key_version = new_version
            row.rotated_at = now
        audit.record(
            db,
            actor=actor,
            action="vault.keys.rotate",
            object_type="vault",
            object_id=f"master-v{new_version}",
            purpose="security",
            detail={"rewrapped": len(rows), "from_versions": previous},
        )
    retired = retire_unused_versions(vault, actor=actor)
    return RotationReport(new_version=new_version, rewrapped=len(rows), retired_versions=retired)


def retire_unused_versions(vault: Vault, *, actor: Actor) -> list[int]:
    """Destroy master key versions that are no longer active and wrap no case key."""
    with unit_of_work(vault.sessions) as db:
        in_use = set(
            db.scalars(
                select(CaseKey.key_version).where(CaseKey.wrapped_key.is_not(None)).distinct()
            )
        )
        retiring = list(
            db.scalars(
                select(VaultMasterKey)
                .where(VaultMasterKey.state == MasterKeyState.RETIRING)
                .with_for_update()
            )
        )
        retired: list[int] = []
        for row in retiring:
            if row.version in in_use:
                continue
            vault.keys.destroy_version(row.version)
            row.state = MasterKeyState.RETIRED
            row.retired_at = utcnow()
            retired.append(row.version)
        if retired:
            audit.record(
                db,
                actor=actor,
                action="vault.keys.retire",
                object_type="vault",
                object_id="master",
                purpose="security",
                detail={"versions": retired},
            )
    return retired


def master_key_versions(db: Session) -> list[tuple[int, str]]:
    """List (version, state) of every master key version, oldest first."""
    rows = db.execute(
        select(VaultMasterKey.version, VaultMasterKey.state).order_by(VaultMasterKey.version)
    )
    return [(int(v), str(s)) for v, s in rows]


# --- orphans ------------------------------------------------------------------------------


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

"""The vault's entry point: store, read, shred, rotate and clean up (one import for callers).

Storing and reading live here; key lifecycle in `keyring`, orphan clean-up in `orphans`,
re-exported below.

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
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import BinaryIO, Self

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from attunely import faults
from attunely.audit import service as audit
from attunely.db import new_id, unit_of_work, utcnow
from attunely.errors import Conflict, IntegrityError, InvalidInput, NotFound
from attunely.policy import Actor
from attunely.vault import crypto
from attunely.vault.context import StoredObject, Vault, stored_object, vault_for
from attunely.vault.keyring import (
    RotationReport,
    ShredReport,
    case_key,
    data_key_context,
    master_key_versions,
    purge_blobs,
    retire_unused_versions,
    rotate_keys,
    shred_case,
)
from attunely.vault.models import ObjectKind, ObjectState, VaultObject
from attunely.vault.orphans import (
    CleanupReport,
    Orphan,
    OrphanScan,
    clean_orphans,
    find_orphans,
)
from attunely.vault.storage import BlobWriter

__all__ = [
    "CleanupReport",
    "ObjectKind",
    "Orphan",
    "OrphanScan",
    "RotationReport",
    "ShredReport",
    "StoredObject",
    "Vault",
    "VaultReader",
    "VaultWriter",
    "clean_orphans",
    "delete_object",
    "find_orphans",
    "list_objects",
    "master_key_versions",
    "object_info",
    "open_reader",
    "open_writer",
    "purge_blobs",
    "read_range",
    "retire_unused_versions",
    "rotate_keys",
    "shred_case",
    "store_stream",
    "vault_for",
]

log = logging.getLogger("attunely.vault")

#: How much of a file-like source `store_stream` reads at a time.
READ_SIZE = 1024 * 1024


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
        if not crypto.MIN_CHUNK_SIZE <= chunk_size <= crypto.MAX_CHUNK_SIZE:
            raise InvalidInput("chunk size out of range", field="chunk_size")
        data_key = crypto.new_key()
        self._blob: BlobWriter | None = None
        self._encryptor: crypto.StreamEncryptor | None = None
        self._closed = False
        with unit_of_work(vault.sessions) as db:
            secret = case_key(db, vault, case_id, create=True)
            db.add(
                VaultObject(
                    id=self.object_id,
                    case_id=case_id,
                    kind=self.kind,
                    state=ObjectState.PENDING,
                    wrapped_data_key=crypto.wrap_key(
                        secret, data_key, context=data_key_context(self.object_id, case_id)
                    ),
                    chunk_size=chunk_size,
                    storage_key=self.storage_key,
                    created_by=actor.audit_id,
                )
            )
        try:
            self._blob = vault.store.open_writer(self.storage_key)
            # Sealed chunks go straight to storage as they are produced.
            self._encryptor = crypto.StreamEncryptor(
                key=data_key, object_id=self.object_id, chunk_size=chunk_size, sink=self._blob.write
            )
        except BaseException:
            self.abort()
            raise

    @property
    def length(self) -> int:
        """Plaintext bytes received so far."""
        return self._encryptor.length if self._encryptor else 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Encrypt and store the next piece of the object."""
        if self._closed or self._encryptor is None:
            raise Conflict("the vault writer is closed")
        try:
            self._encryptor.update(data)
            faults.point("vault.write")
        except BaseException:
            self.abort()
            raise

    def finish(self) -> StoredObject:
        """Seal the object, make its blob durable, then mark its row complete (audited)."""
        if self._closed or self._blob is None or self._encryptor is None:
            raise Conflict("the vault writer is closed")
        blob = self._blob
        try:
            self._encryptor.finish()
            summary = self._encryptor.summary
            if self._expected is not None and summary.sha256 != self._expected:
                raise InvalidInput(
                    "the data received does not match its SHA-256; nothing was stored",
                    field="sha256",
                )
            blob.commit()
            faults.point("vault.before_complete")
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
                info = stored_object(row)
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
        if self._encryptor is not None:
            self._encryptor.close()
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
    info = stored_object(row)
    key = row.storage_key
    store = vault.store

    def read_at(offset: int, size: int) -> bytes:
        return store.read_range(key, offset, offset + size)

    def failed(exc: IntegrityError) -> None:
        _record_integrity_error(db, actor=actor, row=info, purpose=purpose, error=exc)

    try:
        secret = case_key(db, vault, row.case_id, create=False)
        if row.wrapped_data_key is None:
            raise IntegrityError(f"object {row.id} has no data key")
        data_key = crypto.unwrap_key(
            secret, row.wrapped_data_key, context=data_key_context(row.id, row.case_id)
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
    return stored_object(row)


def list_objects(db: Session, *, case_id: str) -> list[StoredObject]:
    """Describe every object of a case, oldest first."""
    rows = db.scalars(
        select(VaultObject)
        .where(VaultObject.case_id == case_id)
        .order_by(VaultObject.created_at, VaultObject.id)
    )
    return [stored_object(row) for row in rows]


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

"""`attunely backup` and `attunely restore`: database and vault, still encrypted.

A backup holds the database, the vault's ciphertext and a signed manifest. It holds no
master key (those stay in the key manager, backed up apart: docs/backups.md) and no
erasure ledger (kept apart, so that a restore can re-apply every erasure made after the
backup was taken).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from attunely import __version__
from attunely.audit import service as audit
from attunely.backup import archive, database, ledger, reapply
from attunely.backup.archive import BlobEntry, Manifest
from attunely.config import Settings, ensure_data_dir
from attunely.db import make_engine, make_session_factory, unit_of_work, utcnow
from attunely.errors import (
    AttunelyError,
    ConfigurationError,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from attunely.guard import require
from attunely.policy import Action, Actor, decide
from attunely.vault import keyring
from attunely.vault.context import Vault
from attunely.vault.keys import key_manager_for
from attunely.vault.models import CaseKey, ObjectState, VaultObject
from attunely.vault.storage import BlobStore, store_for

#: Also re-apply ledger entries written this long before the backup started: an erasure
#: writes its entry just before it commits, so one that was mid-commit may be missing from
#: the snapshot. Re-applying an erasure twice changes nothing.
LEDGER_MARGIN = timedelta(minutes=10)
_PIECE = 8 * 1024 * 1024


def _authorise(settings: Settings, actor: Actor, what: str) -> None:
    engine = make_engine(settings)
    try:
        with unit_of_work(make_session_factory(engine)) as db:
            require(db, actor=actor, action=Action.SYSTEM_ADMIN, object_type=what)
    finally:
        engine.dispose()


# --- backup ---------------------------------------------------------------------------------


def take_backup(settings: Settings, *, actor: Actor, out: Path) -> Manifest:
    """Write a consistent backup of the database and vault into the new directory `out`."""
    _authorise(settings, actor, "backup")
    out = out.expanduser().resolve()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidInput(f"{out} exists and is not empty; choose a new folder", field="out")
    data_dir = settings.resolved_data_dir
    if out == data_dir or data_dir in out.parents:
        raise InvalidInput("write backups outside the data directory", field="out")
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = make_engine(settings)
    try:
        # Mark the ledger before the snapshot: every erasure the snapshot may lack is after it.
        mark = ledger.mark(settings)
        taken_at = utcnow()
        if engine.dialect.name == "sqlite":
            db_file = "database.sqlite"
            facts = database.sqlite_snapshot(settings, out / db_file)
        else:
            db_file = "database.pgdump"
            facts = database.pg_snapshot(settings, engine, out / db_file)
        store = store_for(settings)
        blobs, missing = _copy_blobs(store, out, facts.objects)
        manifest = Manifest(
            taken_at=taken_at,
            app_version=__version__,
            schema_revision=facts.revision,
            dialect=engine.dialect.name,
            database_file=db_file,
            database_size=(out / db_file).stat().st_size,
            database_sha256=archive.sha256_file(out / db_file),
            storage=store.name,
            key_manager=key_manager_for(settings).name,
            ledger=mark,
            master_key_versions=facts.master_key_versions,
            key_probes=_key_probes(settings, facts.master_key_versions),
            blobs=blobs,
            missing_blobs=missing,
            counts=facts.counts,
        )
        archive.write_manifest(settings, out, manifest)
        with unit_of_work(make_session_factory(engine)) as db:
            audit.record(
                db,
                actor=actor,
                action="backup.create",
                object_type="backup",
                object_id=taken_at.isoformat(),
                purpose="continuity",
                detail={"blobs": len(blobs), "missing": len(missing), "ledger": mark.lines},
            )
        return manifest
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        engine.dispose()


_PROBE_CONTEXT = b"attunely-backup-probe"


def _key_probes(settings: Settings, versions: list[int]) -> dict[str, str]:
    keys = key_manager_for(settings)
    return {
        str(v): keys.wrap(os.urandom(32), version=v, context=_PROBE_CONTEXT).hex() for v in versions
    }


def _missing_key(version: int, exc: AttunelyError) -> ConfigurationError:
    return ConfigurationError(
        f"the backup's case keys are wrapped by master key version {version}, which the key "
        "manager no longer holds (a key rotation after the backup destroyed it). Restore the "
        "keys directory from the key backup made with it (docs/backups.md) and run the "
        f"restore again ({exc.message})"
    )


def _check_probes(settings: Settings, manifest: Manifest) -> None:
    """Refuse, before touching anything, a backup whose master key versions are gone."""
    keys = key_manager_for(settings)
    for version, probe in sorted(manifest.key_probes.items()):
        try:
            keys.unwrap(bytes.fromhex(probe), version=int(version), context=_PROBE_CONTEXT)
        except AttunelyError as exc:
            raise _missing_key(int(version), exc) from None


def _copy_blobs(
    store: BlobStore, out: Path, objects: list[tuple[str, str]]
) -> tuple[list[BlobEntry], list[str]]:
    """Copy the ciphertext of every object the snapshot holds (not shredded ones)."""
    copied: list[BlobEntry] = []
    missing: list[str] = []
    for key, state in objects:
        if state == ObjectState.SHREDDED:
            continue
        try:
            size = store.size(key)
        except NotFound:
            # Deleted after the snapshot: a pending upload that finished, or an erasure
            # (which the ledger re-applies on restore).
            missing.append(key)
            continue
        target = archive.blob_path(out, key)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        digest = hashlib.sha256()
        with target.open("xb") as handle:
            for start in range(0, size, _PIECE):
                piece = store.read_range(key, start, min(start + _PIECE, size))
                digest.update(piece)
                handle.write(piece)
            handle.flush()
        copied.append(BlobEntry(key, size, digest.hexdigest()))
    return copied, missing


# --- restore --------------------------------------------------------------------------------


@dataclass
class RestoreReport:
    manifest: Manifest
    reapplied: list[reapply.Reapplied] = field(default_factory=list)
    blobs_restored: int = 0
    blobs_left_out: int = 0
    blobs_removed: int = 0
    rotated_to: int | None = None


def restore(
    settings: Settings, *, actor: Actor, source: Path, overwrite: bool, rotate: bool = True
) -> RestoreReport:
    """Restore a backup into the configured database and vault, then re-apply the ledger.

    Nothing is replaced until the backup verifies; the ledger is re-applied before the
    restored data can be used (SQLite: in a staged copy; PostgreSQL: emptied again if it
    fails), so a restore never leaves erased data readable.
    """
    if not decide(actor, Action.SYSTEM_ADMIN).allowed:
        # The database may not exist yet, so this refusal cannot be audited there.
        raise PermissionDenied("only the local operator can restore a backup")
    source = source.expanduser().resolve()
    manifest = archive.read_manifest(settings, source)
    database.check_revision(manifest.schema_revision)
    archive.verify_files(source, manifest)
    _check_probes(settings, manifest)
    pending = ledger.entries_after(settings, manifest.ledger, margin=LEDGER_MARGIN)
    reapply.load_handlers()
    for entry in pending:
        ledger.handler(entry.op)  # refuse an unknown kind before touching anything
    engine_kind = "sqlite" if settings.sqlalchemy_url.startswith("sqlite") else "postgresql"
    if engine_kind != manifest.dialect:
        raise ConfigurationError(
            f"this backup is of a {manifest.dialect} database but {engine_kind} is configured"
        )
    store = store_for(settings)
    if not overwrite and (_database_in_use(settings) or next(iter(store.list()), None)):
        raise Conflict(
            "the configured database or vault already holds data; "
            "run again with --yes to replace it with the backup"
        )
    report = RestoreReport(manifest)
    if engine_kind == "sqlite":
        ensure_data_dir(settings)
        target = database.sqlite_path(settings)
        name = f".restore-{secrets.token_hex(6)}.db"
        with database.staged_sqlite(target.parent, name) as staged:
            shutil.copyfile(source / manifest.database_file, staged)
            staged_settings = settings.model_copy(update={"database_url": f"sqlite:///{staged}"})
            _finish(staged_settings, settings, source, manifest, pending, actor, store, report)
            database.sqlite_install(staged, target)
    else:
        engine = make_engine(settings)
        try:
            if overwrite:
                database.pg_clear(engine)
            database.pg_load(settings, source / manifest.database_file)
        finally:
            engine.dispose()
        try:
            _finish(settings, settings, source, manifest, pending, actor, store, report)
        except BaseException:
            cleanup = make_engine(settings)
            try:
                database.pg_clear(cleanup)
            finally:
                cleanup.dispose()
            raise
    report.blobs_removed = _remove_unreferenced(settings, store)
    if rotate and any(r.outcome == "re-applied" for r in report.reapplied):
        engine = make_engine(settings)
        try:
            vault = Vault(store, key_manager_for(settings), make_session_factory(engine))
            report.rotated_to = keyring.rotate_keys(vault, actor=actor).new_version
        finally:
            engine.dispose()
    return report


def _database_in_use(settings: Settings) -> bool:
    if settings.sqlalchemy_url.startswith("sqlite"):
        return database.sqlite_in_use(settings)
    engine = make_engine(settings)
    try:
        return database.pg_in_use(engine)
    finally:
        engine.dispose()


def _finish(
    db_settings: Settings,
    settings: Settings,
    source: Path,
    manifest: Manifest,
    pending: list[ledger.Entry],
    actor: Actor,
    store: BlobStore,
    report: RestoreReport,
) -> None:
    """Migrate the restored database, re-apply the ledger, check keys, copy the blobs."""
    from alembic import command

    from attunely.db import alembic_config

    command.upgrade(alembic_config(db_settings), "head")
    engine = make_engine(db_settings)
    try:
        vault = Vault(store, key_manager_for(settings), make_session_factory(engine))
        with unit_of_work(vault.sessions) as db:
            report.reapplied = reapply.reapply(db, vault=vault, actor=actor, pending=pending)
            _check_keys(db, vault)
            live = set(
                db.scalars(
                    select(VaultObject.storage_key).where(VaultObject.state != ObjectState.SHREDDED)
                )
            )
            audit.record(
                db,
                actor=actor,
                action="backup.restore",
                object_type="backup",
                object_id=manifest.taken_at.isoformat(),
                purpose="continuity",
                detail={
                    "reapplied": [
                        {"op": r.entry.op, "at": r.entry.at.isoformat(), "outcome": r.outcome}
                        for r in report.reapplied
                    ][:200],
                    "schema_revision": manifest.schema_revision,
                },
            )
            db.flush()
            # Blobs go in before the database commits: a failure here leaves the old state.
            for blob in manifest.blobs:
                if blob.key not in live:
                    report.blobs_left_out += 1
                    continue
                _put_blob(store, source, blob)
                report.blobs_restored += 1
    finally:
        engine.dispose()


def _check_keys(db: Session, vault: Vault) -> None:
    """Refuse a restore whose case keys no master key version at hand can unwrap."""
    seen: set[int] = set()
    for row in db.scalars(select(CaseKey).where(CaseKey.wrapped_key.is_not(None))):
        if row.key_version in seen:
            continue
        try:
            keyring.unwrap_case_key(vault, row)
        except AttunelyError as exc:
            raise _missing_key(row.key_version, exc) from None
        seen.add(row.key_version)


def _put_blob(store: BlobStore, source: Path, blob: BlobEntry) -> None:
    path = archive.blob_path(source, blob.key)
    if store.exists(blob.key):
        if _stored_digest(store, blob.key) == blob.sha256:
            return
        store.delete(blob.key)
    writer = store.open_writer(blob.key)
    try:
        with path.open("rb") as handle:
            while piece := handle.read(_PIECE):
                writer.write(piece)
        writer.commit()
    finally:
        writer.abort()


def _stored_digest(store: BlobStore, key: str) -> str:
    digest = hashlib.sha256()
    size = store.size(key)
    for start in range(0, size, _PIECE):
        digest.update(store.read_range(key, start, min(start + _PIECE, size)))
    return digest.hexdigest()


def _remove_unreferenced(settings: Settings, store: BlobStore) -> int:
    """Delete blobs the restored database does not use (shredded, or newer than the backup)."""
    engine = make_engine(settings)
    try:
        with unit_of_work(make_session_factory(engine)) as db:
            live = set(
                db.scalars(
                    select(VaultObject.storage_key).where(VaultObject.state != ObjectState.SHREDDED)
                )
            )
    finally:
        engine.dispose()
    removed = 0
    for info in list(store.list()):
        if info.key not in live:
            store.delete(info.key)
            removed += 1
    return removed

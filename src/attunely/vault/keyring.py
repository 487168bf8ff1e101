"""Case keys and master key versions: create, unwrap, rotate, and crypto-shred.

Rotation commits its own transactions (old master key versions are destroyed only once the
re-wrap is durable); shredding works inside the caller's transaction.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError as DbIntegrityError
from sqlalchemy.orm import Session

from attunely.audit import service as audit
from attunely.cases.models import Case
from attunely.db import unit_of_work, utcnow
from attunely.errors import ConfigurationError, Conflict, IntegrityError, InvalidInput, NotFound
from attunely.policy import Actor
from attunely.vault import crypto
from attunely.vault.context import Vault
from attunely.vault.models import CaseKey, MasterKeyState, ObjectState, VaultMasterKey, VaultObject


def case_key_context(case_id: str) -> bytes:
    return b"case-key\x00" + case_id.encode()


def data_key_context(object_id: str, case_id: str) -> bytes:
    return b"data-key\x00" + object_id.encode() + b"\x00" + case_id.encode()


# --- master key versions and case keys ----------------------------------------------------


def active_master_version(db: Session, vault: Vault) -> int:
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


def unwrap_case_key(vault: Vault, row: CaseKey) -> bytes:
    if row.shredded_at is not None or row.wrapped_key is None:
        raise NotFound("the footage of this case was destroyed (its key was shredded)")
    return vault.keys.unwrap(
        row.wrapped_key, version=row.key_version, context=case_key_context(row.case_id)
    )


def case_key(db: Session, vault: Vault, case_id: str, *, create: bool) -> bytes:
    row = db.get(CaseKey, case_id)
    if row is not None:
        if create and row.shredded_at is not None:
            raise Conflict("this case's footage key was destroyed; it cannot store footage")
        return unwrap_case_key(vault, row)
    if not create:
        raise NotFound("this case has no stored footage")
    if db.get(Case, case_id) is None:
        raise NotFound("no such case")
    version = active_master_version(db, vault)
    key = crypto.new_key()
    wrapped = vault.keys.wrap(key, version=version, context=case_key_context(case_id))
    try:
        with db.begin_nested():
            db.add(CaseKey(case_id=case_id, wrapped_key=wrapped, key_version=version))
    except DbIntegrityError:
        # Another writer created the case key first: use theirs.
        row = db.get(CaseKey, case_id, populate_existing=True)
        if row is None:
            raise
        return unwrap_case_key(vault, row)
    return key


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


def shred_objects(
    db: Session,
    *,
    actor: Actor,
    case_id: str,
    object_ids: Iterable[str],
    reason: str,
    subject_type: str,
    subject_id: str,
) -> ShredReport:
    """Destroy the data keys of some objects of a case (one film and what was made from it),
    so they can never be decrypted; the case key and its other objects are untouched (audited).

    Each wrapped data key is overwritten, then cleared, and the object marked shredded.
    Earlier copies of the database still hold the wrapped data keys, and the case key that
    unwraps them lives on: a restore must re-apply the shredding from the erasure ledger.
    The caller commits, then calls `purge_blobs`.
    """
    if not reason.strip():
        raise InvalidInput("say why the footage is being destroyed", field="reason")
    wanted = sorted(set(object_ids))
    if db.get_bind().dialect.name == "sqlite":
        db.execute(text("PRAGMA secure_delete=ON"))
    objects = list(
        db.scalars(
            select(VaultObject)
            .where(VaultObject.id.in_(wanted), VaultObject.case_id == case_id)
            .order_by(VaultObject.id)
            .with_for_update()
        )
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
        object_type=subject_type,
        object_id=subject_id,
        purpose="erasure",
        detail={"case": case_id, "objects": len(objects), "reason": reason.strip()[:500]},
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
        active_master_version(db, vault)
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
                key = unwrap_case_key(vault, row)
            except IntegrityError as exc:
                raise IntegrityError(f"the key of case {row.case_id}: {exc.message}") from exc
            row.wrapped_key = vault.keys.wrap(
                key, version=new_version, context=case_key_context(row.case_id)
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

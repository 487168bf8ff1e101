"""Crypto-shred one film, delete expired records, write receipts and erasure-ledger entries.

Everything here works inside the caller's transaction and writes the ledger entry before the
caller commits (an entry whose erasure then failed only makes a restore erase what someone
already asked to erase). After the commit the caller deletes the ciphertext (`purge_blobs`).
Each op has a `@reapplies` handler, so `attunely restore` erases it again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, delete, select
from sqlalchemy.orm import Session

from attunely.audit import service as audit
from attunely.backup import ledger
from attunely.cases.models import Case
from attunely.config import Settings
from attunely.db import utcnow
from attunely.errors import Conflict
from attunely.films.models import Film, FilmAnalysis, Upload, UploadPart
from attunely.films.schemas import FilmState
from attunely.policy import Actor
from attunely.retention.holds import hold_on
from attunely.retention.models import ErasureReceipt
from attunely.vault import keyring
from attunely.vault.context import Vault
from attunely.vault.models import VaultObject
from attunely.workspace.models import Annotation, Clip, Still

#: Other packages name vault objects made from a film (rendered clips…): fn(db, film_id).
DerivedObjects = Callable[[Session, str], Iterable[str]]
DERIVED_OBJECTS: list[DerivedObjects] = []


def derived_objects(fn: DerivedObjects) -> DerivedObjects:
    """Register a function naming more vault objects made from a film (shredded with it)."""
    DERIVED_OBJECTS.append(fn)
    return fn


def film_object_ids(db: Session, film: Film) -> list[str]:
    """Return the ids of every vault object of a film: original, proxy, thumbnails,
    waveform, analysis, stills, leftover upload parts and registered derived objects."""
    ids = {
        i
        for i in (
            film.original_object_id,
            film.proxy_object_id,
            film.thumbs_object_id,
            film.waveform_object_id,
        )
        if i
    }
    analysis = db.get(FilmAnalysis, film.id)
    if analysis is not None:
        ids.update(i for i in (analysis.result_object_id, analysis.stills_object_id) if i)
    ids.update(
        db.scalars(
            select(UploadPart.object_id)
            .join(Upload, Upload.id == UploadPart.upload_id)
            .where(Upload.film_id == film.id)
        )
    )
    for source in DERIVED_OBJECTS:
        ids.update(source(db, film.id))
    return sorted(ids)


@dataclass(frozen=True)
class Erased:
    """A receipt, and the ciphertext to delete once the caller has committed."""

    receipt: ErasureReceipt
    storage_keys: list[str]


def _receipt_dict(receipt: ErasureReceipt) -> dict[str, Any]:
    return {
        "id": receipt.id,
        "created_at": receipt.created_at.isoformat(),
        "record_class": receipt.record_class,
        "trigger": receipt.trigger,
        "rule": receipt.rule,
        "case_id": receipt.case_id,
        "case_reference": receipt.case_reference,
        "film_id": receipt.film_id,
        "objects": receipt.objects,
        "records": receipt.records,
        "actor": receipt.actor,
        "ledger_op": receipt.ledger_op,
    }


def make_receipt(
    db: Session,
    *,
    actor: Actor,
    record_class: str,
    trigger: str,
    rule: str,
    case: Case | None,
    film_id: str | None = None,
    objects: list[dict[str, Any]] | None = None,
    records: dict[str, int] | None = None,
    ledger_op: str = "",
    case_id: str | None = None,
    case_reference: str = "",
) -> ErasureReceipt:
    """Store a receipt (audited); `case_id`/`case_reference` name a case already deleted."""
    receipt = ErasureReceipt(
        created_at=utcnow(),
        record_class=record_class,
        trigger=trigger,
        rule=rule[:2000],
        case_id=case.id if case else case_id,
        case_reference=case.reference if case else case_reference,
        film_id=film_id,
        objects=json.dumps(objects or []),
        records=json.dumps(records or {}),
        actor=actor.audit_id,
        ledger_op=ledger_op,
    )
    db.add(receipt)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="retention.receipt",
        object_type="receipt",
        object_id=receipt.id,
        purpose="erasure",
        detail={"class": record_class, "trigger": trigger, "case": receipt.case_id},
    )
    return receipt


def rows_changed(db: Session, statement: Executable) -> int:
    """Run a DELETE or UPDATE and return how many rows it changed."""
    return int(cast("CursorResult[Any]", db.execute(statement)).rowcount or 0)


def _drop_film_records(db: Session, film_id: str, *, annotations: bool) -> dict[str, int]:
    """Delete what a guider made on a film (clips, stills, and annotations if asked)."""
    counts = {
        "clips": rows_changed(db, delete(Clip).where(Clip.film_id == film_id)),
        "stills": rows_changed(db, delete(Still).where(Still.film_id == film_id)),
    }
    if annotations:
        counts["annotations"] = rows_changed(
            db, delete(Annotation).where(Annotation.film_id == film_id)
        )
    return counts


def _mark_destroyed(film: Film, *, why: str) -> None:
    film.state = str(FilmState.REJECTED)
    film.problem = f"Footage destroyed on {utcnow().date().isoformat()} ({why})."[:500]


def shred_film(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    film: Film,
    trigger: str,
    rule: str,
    drop_annotations: bool,
) -> Erased:
    """Crypto-shred a film and everything made from it; delete its clips and stills (and
    its annotations when no purpose covers it any more); write the receipt and the ledger
    entry. Refused while the film or its case is on legal hold."""
    hold = hold_on(db, case_id=film.case_id, film_id=film.id)
    if hold is not None:
        raise Conflict(f"the film is on legal hold: {hold.reason}")
    case = db.get(Case, film.case_id)
    ids = film_object_ids(db, film)
    described = _describe(db, ids)
    report = keyring.shred_objects(
        db,
        actor=actor,
        case_id=film.case_id,
        object_ids=ids,
        reason=rule,
        subject_type="film",
        subject_id=film.id,
    )
    records = _drop_film_records(db, film.id, annotations=drop_annotations)
    why = "consent withdrawn" if trigger == "consent_withdrawn" else "retention period ended"
    _mark_destroyed(film, why=why)
    receipt = make_receipt(
        db,
        actor=actor,
        record_class="films",
        trigger=trigger,
        rule=rule,
        case=case,
        film_id=film.id,
        objects=described,
        records=records,
        ledger_op="shred_film",
    )
    ledger.append(
        settings,
        op="shred_film",
        target={
            "film_id": film.id,
            "case_id": film.case_id,
            "object_ids": ids,
            "drop_annotations": drop_annotations,
            "receipt": _receipt_dict(receipt),
        },
    )
    return Erased(receipt, report.storage_keys)


def _describe(db: Session, ids: list[str]) -> list[dict[str, Any]]:
    rows = db.scalars(select(VaultObject).where(VaultObject.id.in_(ids)))
    found = [{"id": o.id, "kind": o.kind, "length": o.plaintext_length} for o in rows]
    return sorted(found, key=lambda o: (str(o["kind"]), str(o["id"])))


def clip_object_ids(db: Session, clip_ids: Iterable[str]) -> list[str]:
    """Return the vault objects rendered from clips (labelled copies made for sharing)."""
    from attunely.sharing.models import ClipShare

    wanted = list(clip_ids)
    if not wanted:
        return []
    found = db.scalars(select(ClipShare.object_id).where(ClipShare.clip_id.in_(wanted)))
    return sorted({i for i in found if i})


@derived_objects
def _shared_renders(db: Session, film_id: str) -> list[str]:
    from attunely.sharing.models import ClipShare

    found = db.scalars(select(ClipShare.object_id).where(ClipShare.film_id == film_id))
    return [i for i in found if i]


def delete_records(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    case: Case,
    record_class: str,
    rule: str,
    clips: Iterable[str] = (),
    stills: Iterable[str] = (),
    annotations: Iterable[str] = (),
    film_id: str | None = None,
) -> Erased:
    """Delete expired clips, stills or annotations by id, crypto-shredding any copy of a
    clip rendered into the vault; receipt and ledger entry."""
    wanted = {"clips": sorted(clips), "stills": sorted(stills), "annotations": sorted(annotations)}
    object_ids = clip_object_ids(db, wanted["clips"])
    described = _describe(db, object_ids)
    storage_keys: list[str] = []
    if object_ids:
        storage_keys = keyring.shred_objects(
            db,
            actor=actor,
            case_id=case.id,
            object_ids=object_ids,
            reason=rule,
            subject_type="clip",
            subject_id=wanted["clips"][0],
        ).storage_keys
    counts = delete_ids(db, wanted)
    receipt = make_receipt(
        db,
        actor=actor,
        record_class=record_class,
        trigger="retention",
        rule=rule,
        case=case,
        film_id=film_id,
        objects=described,
        records=counts,
        ledger_op="retention_delete",
    )
    ledger.append(
        settings,
        op="retention_delete",
        target={
            **wanted,
            "case_id": case.id,
            "object_ids": object_ids,
            "receipt": _receipt_dict(receipt),
        },
    )
    return Erased(receipt, storage_keys)


_TABLES: dict[str, Any] = {"clips": Clip, "stills": Still, "annotations": Annotation}


def delete_ids(db: Session, wanted: dict[str, list[str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name, ids in wanted.items():
        if ids:
            table = _TABLES[name]
            counts[name] = rows_changed(db, delete(table).where(table.id.in_(ids)))
    return counts


def record_erasure(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    record_class: str,
    rule: str,
    case: Case | None,
    records: dict[str, int],
    op: str,
    target: dict[str, Any],
    objects: list[dict[str, Any]] | None = None,
) -> ErasureReceipt:
    """Write the receipt and ledger entry of an erasure done by the caller."""
    receipt = make_receipt(
        db,
        actor=actor,
        record_class=record_class,
        trigger="retention",
        rule=rule,
        case=case,
        objects=objects,
        records=records,
        ledger_op=op,
    )
    ledger.append(settings, op=op, target={**target, "receipt": _receipt_dict(receipt)})
    return receipt


# --- re-applied by `attunely restore` ---------------------------------------------------------

RESTORE_REASON = "re-applied from the erasure ledger after a restore"


def restore_receipt(db: Session, target: dict[str, Any]) -> None:
    raw = target.get("receipt")
    if not isinstance(raw, dict) or db.get(ErasureReceipt, raw.get("id")) is not None:
        return
    from datetime import datetime

    db.add(
        ErasureReceipt(
            id=raw["id"],
            created_at=datetime.fromisoformat(raw["created_at"]),
            record_class=raw["record_class"],
            trigger=raw["trigger"],
            rule=raw["rule"],
            case_id=raw.get("case_id"),
            case_reference=raw.get("case_reference") or "",
            film_id=raw.get("film_id"),
            objects=raw.get("objects") or "[]",
            records=raw.get("records") or "{}",
            actor=raw["actor"],
            ledger_op=raw.get("ledger_op") or "",
        )
    )
    db.flush()


@ledger.reapplies("shred_film")
def reapply_shred_film(db: Session, vault: Vault, actor: Actor, target: dict[str, Any]) -> None:
    """Shred the film's objects again and delete what was deleted with them."""
    case_id, film_id = str(target["case_id"]), str(target["film_id"])
    if db.get(Case, case_id) is not None:
        report = keyring.shred_objects(
            db,
            actor=actor,
            case_id=case_id,
            object_ids=[str(i) for i in target.get("object_ids", [])],
            reason=RESTORE_REASON,
            subject_type="film",
            subject_id=film_id,
        )
        film = db.get(Film, film_id)
        if film is not None:
            _drop_film_records(db, film_id, annotations=bool(target.get("drop_annotations")))
            _mark_destroyed(film, why="re-applied after a restore")
        db.flush()
        # The restore brought the ciphertext back; it is unreadable, and unwanted.
        keyring.purge_blobs(vault, storage_keys=report.storage_keys)
    restore_receipt(db, target)


@ledger.reapplies("retention_delete")
def reapply_delete(db: Session, vault: Vault, actor: Actor, target: dict[str, Any]) -> None:
    """Delete the expired clips, stills and annotations again; shred their renders."""
    object_ids = [str(i) for i in target.get("object_ids", [])]
    case_id = str(target.get("case_id"))
    if object_ids and db.get(Case, case_id) is not None:
        report = keyring.shred_objects(
            db,
            actor=actor,
            case_id=case_id,
            object_ids=object_ids,
            reason=RESTORE_REASON,
            subject_type="clip",
            subject_id="-",
        )
        keyring.purge_blobs(vault, storage_keys=report.storage_keys)
    delete_ids(db, {name: [str(i) for i in target.get(name, [])] for name in _TABLES})
    restore_receipt(db, target)


@ledger.reapplies("shred_case")
def reapply_shred_case(db: Session, vault: Vault, actor: Actor, target: dict[str, Any]) -> None:
    """Destroy the case's key again (`attunely keys shred`, expired case records)."""
    case_id = str(target["case_id"])
    if db.get(Case, case_id) is None:
        return
    report = keyring.shred_case(
        db, vault=vault, actor=actor, case_id=case_id, reason=RESTORE_REASON
    )
    db.flush()
    keyring.purge_blobs(vault, storage_keys=report.storage_keys)
    restore_receipt(db, target)

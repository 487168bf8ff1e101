"""Erase a person or a whole case, leaving a receipt, an erasure ledger entry and a chain that
still verifies.

The rules (docs/rights.md says the same in words for the DPO):

* **A case**: its key is crypto-shredded (`vault.keyring.shred_case`), then every row of every
  holding of the case is deleted (the case itself, its people, consents, filming visits,
  films, uploads, analyses, coding, clips, stills, jobs, vault rows and key tombstone).
  Subject access requests about its people stay, with their notes emptied.
* **A person**: films of visits in which nobody else can be seen are shredded (their data
  keys destroyed) and their rows deleted. Films in which others can be seen too are kept for
  those others. The person's record stays, as "erased person" with no date of birth, because
  the consent rule needs to know that someone is in the remaining films; their consents are
  anonymised and withdrawn (so nobody may use footage of them on their consent again); notes
  coded about them are emptied; their name is replaced by "erased person" in every free text
  of the case (each word of it too, except words also in another family member's name).
* **Legal holds**: an erasure is refused while a hold (`retention_holds`, not lifted) is on the
  case, or on a film the erasure would destroy.
* **Audit**: entries are never edited in their hashed fields. The `detail` of every entry
  about the erased data is emptied (the chain hashes `detail_digest`, not `detail`, so it
  still verifies). What stays is when, which staff member, which action, and the random id of
  the object, which no longer leads to a name.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, text, update
from sqlalchemy.orm import Session

from attunely.audit import service as audit
from attunely.backup import ledger
from attunely.cases.models import Case, CasePerson
from attunely.config import Settings
from attunely.db import Base, utcnow
from attunely.errors import Conflict, InvalidInput, NotFound
from attunely.policy import Actor
from attunely.rights.holdings import AUDIT_TABLE, CASE_ROOT, ERASED_NAME, HOLDINGS, holding
from attunely.rights.inventory import (
    Inventory,
    Rows,
    inventory,
    name_pattern,
    replacer,
    row_key,
    sole_sessions,
    walk,
)
from attunely.rights.models import ErasureReceipt
from attunely.vault import keyring
from attunely.vault.context import Vault
from attunely.vault.models import ObjectState, VaultObject

OP_PERSON = "erase_person"
OP_CASE = "erase_case"
#: Entries written by erasures themselves hold ids and counts only: they are kept whole.
_KEEP_ACTIONS = ("rights.erase",)


@dataclass(frozen=True)
class Outcome:
    """What an erasure did; purge `storage_keys` from the blob store after the commit."""

    receipt_id: str
    scope: str
    target_id: str
    case_reference: str
    summary: dict[str, Any]
    storage_keys: list[str]

    @classmethod
    def of(cls, receipt: ErasureReceipt, summary: dict[str, Any], keys: list[str]) -> Outcome:
        return cls(
            receipt.id, receipt.scope, receipt.target_id, receipt.case_reference, summary, keys
        )


class _Tally:
    def __init__(self) -> None:
        self.tables: dict[str, dict[str, int]] = {}

    def add(self, table: str, how: str, count: int) -> None:
        if count:
            entry = self.tables.setdefault(table, {"deleted": 0, "anonymised": 0})
            entry[how] += count


def _check_reason(reason: str) -> str:
    cleaned = reason.strip()
    if not cleaned:
        raise InvalidInput("say why the data is erased (the request, or the rule)", field="reason")
    return cleaned[:500]


def _refuse_if_held(holds: list[dict[str, Any]], film_ids: set[str] | None) -> None:
    """Refuse while a legal hold covers what would be destroyed (`film_ids` None: all)."""
    for hold in holds:
        if hold.get("lifted_at") is not None:
            continue
        film = hold.get("film_id")
        if film is None or film_ids is None or film in film_ids:
            raise Conflict(
                "a legal hold covers this "
                + ("case" if film is None else "footage")
                + ": lift it on the retention page first, or keep the data"
            )


def _clear_audit(db: Session, entries: list[dict[str, Any]], tally: _Tally) -> int:
    table = Base.metadata.tables[AUDIT_TABLE]
    seqs = [
        e["seq"]
        for e in entries
        if e["detail"] is not None and not str(e["action"]).startswith(_KEEP_ACTIONS)
    ]
    for start in range(0, len(seqs), 500):
        chunk = seqs[start : start + 500]
        db.execute(update(table).where(table.c.seq.in_(chunk)).values(detail=None))
    tally.add(AUDIT_TABLE, "anonymised", len(seqs))
    return len(seqs)


def _delete(db: Session, rows: Rows, tally: _Tally, *, skip: set[str]) -> None:
    """Delete the given rows, children before the rows they point at."""
    for table in reversed(Base.metadata.sorted_tables):
        found = rows.get(table.name) or []
        if table.name in skip or not found:
            continue
        keys = list(table.primary_key.columns)
        for start in range(0, len(found), 500):
            chunk = found[start : start + 500]
            if len(keys) == 1:
                values = [r[keys[0].name] for r in chunk]
                db.execute(delete(table).where(keys[0].in_(values)))
            else:
                for r in chunk:
                    db.execute(delete(table).where(*(k == r[k.name] for k in keys)))
        tally.add(table.name, "deleted", len(found))


def _secure(db: Session) -> None:
    if db.get_bind().dialect.name == "sqlite":
        # Zero freed pages instead of leaving old key bytes in them.
        db.execute(text("PRAGMA secure_delete=ON"))


def _shred_objects(db: Session, object_ids: list[str]) -> list[str]:
    """Destroy the data keys of these objects (their case key lives on for other films)."""
    _secure(db)
    objects = [db.get(VaultObject, i, with_for_update=True) for i in object_ids]
    live = [o for o in objects if o is not None]
    for obj in live:
        if obj.wrapped_data_key is not None:
            obj.wrapped_data_key = os.urandom(len(obj.wrapped_data_key))
    db.flush()
    for obj in live:
        obj.wrapped_data_key = None
        obj.state = ObjectState.SHREDDED
    db.flush()
    return [o.storage_key for o in live]


def _changes(
    row: dict[str, Any], columns: tuple[str, ...], value: Callable[[Any], Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in columns:
        new = value(row.get(column))
        if new != row.get(column):
            out[column] = new
    return out


def _in_text(replace: Callable[[str], str]) -> Callable[[Any], Any]:
    def value(old: Any) -> Any:
        if not isinstance(old, str) or not old:
            return old
        try:
            parsed = json.loads(old)
        except ValueError:
            return replace(old)
        if isinstance(parsed, list):
            return json.dumps([replace(v) if isinstance(v, str) else v for v in parsed])
        return replace(old)

    return value


def _anonymise(
    db: Session, inv: Inventory, person: CasePerson, tally: _Tally, gone: set[str]
) -> int:
    """Blank the person's names and notes, replace their name in all the case's free text,
    and withdraw their consents. Return how many consents were withdrawn."""
    others = [str(p["display_name"]) for p in inv.people() if p["id"] != person.id]
    words = _in_text(replacer(name_pattern([person.display_name], keep=others), (), ERASED_NAME))
    own = {
        (h.table, row_key(Base.metadata.tables[h.table], r))
        for h in HOLDINGS
        for r in inv.of(h.table)
    }
    now = utcnow()
    withdrawn = 0
    for each in HOLDINGS:
        table = Base.metadata.tables[each.table]
        keys = list(table.primary_key.columns)
        for row in inv.case_rows.get(each.table, []):
            key = row_key(table, row)
            if key in gone:
                continue
            change = _changes(row, each.words, words)
            if (each.table, key) in own:
                change |= _changes(row, each.names, lambda _v: ERASED_NAME)
                change |= _changes(row, each.notes, lambda _v: "")
                change |= _changes(row, each.clear, lambda _v: None)
                if each.table == "consent_records" and row["withdrawn_at"] is None:
                    change |= {"withdrawn_at": now, "withdrawn_by": "erasure"}
                    withdrawn += 1
            if change:
                db.execute(update(table).where(*(k == row[k.name] for k in keys)).values(change))
                tally.add(each.table, "anonymised", 1)
    return withdrawn


def _receipt(
    db: Session,
    *,
    actor: Actor,
    scope: str,
    target: str,
    case: Case,
    reason: str,
    summary: dict[str, Any],
) -> ErasureReceipt:
    receipt = ErasureReceipt(
        scope=scope,
        target_id=target,
        case_id=case.id,
        case_reference=case.reference,
        reason=reason,
        receipt=json.dumps(summary, sort_keys=True),
        erased_by=actor.audit_id,
        erased_at=utcnow(),
    )
    db.add(receipt)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action=f"rights.erase.{scope}",
        object_type=scope,
        object_id=target,
        purpose="erasure",
        detail={"receipt": receipt.id, "case": case.id},
    )
    return receipt


def erase_person(
    db: Session,
    *,
    settings: Settings | None,
    actor: Actor,
    person_id: str,
    reason: str,
) -> Outcome:
    """Erase one person (rules above); with `settings`, write the ledger entry first.

    The caller has checked the policy, and commits; then purges `storage_keys`.
    """
    reason = _check_reason(reason)
    person = db.get(CasePerson, person_id)
    assert person is not None
    inv = inventory(db, case_id=person.case_id, person_id=person.id)
    sole = sole_sessions(inv)
    doomed = walk(db, seed={"filming_sessions": sole})
    films = sorted(str(f["id"]) for f in doomed.get("films", []))
    _refuse_if_held(inv.case_rows.get("retention_holds", []), set(films))
    tally = _Tally()
    cleared = _clear_audit(db, inv.audit, tally)
    object_ids = [str(o["id"]) for o in doomed.get("vault_objects", [])]
    keys = _shred_objects(db, object_ids)
    tally.add("vault_objects", "anonymised", len(object_ids))
    _delete(db, doomed, tally, skip={"vault_objects"})
    gone = {row_key(Base.metadata.tables[t], r) for t, rows in doomed.items() for r in rows}
    withdrawn = _anonymise(db, inv, person, tally, gone)
    summary = {
        "scope": "person",
        "person_id": person.id,
        "tables": tally.tables,
        "films_shredded": films,
        "vault_objects_shredded": len(object_ids),
        "consents_withdrawn": withdrawn,
        "audit_details_cleared": cleared,
        "kept": "the person's record as 'erased person'; films in which others can be seen",
    }
    receipt = _receipt(
        db,
        actor=actor,
        scope="person",
        target=person.id,
        case=inv.case,
        reason=reason,
        summary=summary,
    )
    if settings is not None:
        ledger.append(
            settings,
            op=OP_PERSON,
            target={"person_id": person.id, "case_id": inv.case.id, "receipt_id": receipt.id},
        )
    outcome = Outcome.of(receipt, summary, keys)
    db.expire_all()
    return outcome


def erase_case(
    db: Session,
    *,
    settings: Settings | None,
    vault: Vault,
    actor: Actor,
    case_id: str,
    reason: str,
) -> Outcome:
    """Erase a whole case (rules above); with `settings`, write the ledger entry first."""
    reason = _check_reason(reason)
    inv = inventory(db, case_id=case_id)
    case = inv.case
    _refuse_if_held(inv.case_rows.get("retention_holds", []), None)
    tally = _Tally()
    cleared = _clear_audit(db, inv.audit, tally)
    shred = keyring.shred_case(db, vault=vault, actor=actor, case_id=case.id, reason=reason)
    # Walk again: shredding leaves a key tombstone the first walk may not have seen.
    db.flush()
    rows = walk(db, seed={CASE_ROOT: inv.rows[CASE_ROOT]})
    kept = {h.table for h in HOLDINGS if h.erase_case != "delete"}
    _delete(db, rows, tally, skip=kept)
    requests = holding("rights_requests")
    table = Base.metadata.tables[requests.table]
    for row in rows.get(requests.table, []):
        change = _changes(row, requests.notes, lambda _v: "")
        if change:
            db.execute(update(table).where(table.c.id == row["id"]).values(change))
            tally.add(requests.table, "anonymised", 1)
    summary = {
        "scope": "case",
        "case_id": case.id,
        "tables": tally.tables,
        "films_shredded": sorted(str(f["id"]) for f in rows.get("films", [])),
        "vault_objects_shredded": shred.objects,
        "audit_details_cleared": cleared,
        "kept": "subject access requests about its people, with their notes emptied",
    }
    receipt = _receipt(
        db, actor=actor, scope="case", target=case.id, case=case, reason=reason, summary=summary
    )
    if settings is not None:
        ledger.append(settings, op=OP_CASE, target={"case_id": case.id, "receipt_id": receipt.id})
    outcome = Outcome.of(receipt, summary, shred.storage_keys)
    db.expunge(case)
    # Rows went by SQL: drop what the session remembers of them.
    db.expire_all()
    return outcome


_AGAIN = "re-applied from the erasure ledger after a restore"


@ledger.reapplies(OP_PERSON)
def reapply_person(db: Session, vault: Vault, actor: Actor, target: dict[str, Any]) -> None:
    """Erase the person again in a restored database (idempotent: an erased person stays so)."""
    person_id = str(target.get("person_id") or "")
    if db.get(CasePerson, person_id) is None:
        raise NotFound("the person is not in this backup")
    erase_person(db, settings=None, actor=actor, person_id=person_id, reason=_AGAIN)


@ledger.reapplies(OP_CASE)
def reapply_case(db: Session, vault: Vault, actor: Actor, target: dict[str, Any]) -> None:
    """Erase the case again in a restored database."""
    case_id = str(target.get("case_id") or "")
    if db.get(Case, case_id) is None:
        raise NotFound("the case is not in this backup")
    erase_case(db, settings=None, vault=vault, actor=actor, case_id=case_id, reason=_AGAIN)

"""Expire whole case records (anonymise, destroy the case key) and audit details.

Case records: the footage still kept is destroyed with the case key, what guiders made on
films is deleted, and the fields that name or describe a person are blanked; the case, its
dates and its consent records (purpose, basis, dates) stay as anonymous facts, so counts,
receipts and the audit trail keep their meaning.

Audit: entries are never dropped (the hash chain would stop verifying); their detail, which
may hold words about a person, is blanked. The chain covers `detail_digest`, not `detail`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from attunely.audit.models import AuditEntry
from attunely.backup import ledger
from attunely.cases.models import Case, CasePerson
from attunely.config import Settings
from attunely.consent.models import ConsentRecord
from attunely.films.models import Film
from attunely.policy import Actor
from attunely.retention.models import ErasureReceipt
from attunely.retention.shredding import (
    RESTORE_REASON,
    delete_ids,
    record_erasure,
    restore_receipt,
    rows_changed,
)
from attunely.vault import keyring
from attunely.vault.context import Vault
from attunely.workspace.models import Annotation, Clip, Still


def _anonymise(db: Session, case: Case) -> dict[str, int]:
    films = list(db.scalars(select(Film.id).where(Film.case_id == case.id)))
    wanted = {
        name: list(db.scalars(select(table.id).where(table.film_id.in_(films))))
        for name, table in (("clips", Clip), ("stills", Still), ("annotations", Annotation))
    }
    counts = delete_ids(db, wanted)
    case.suitability = ""
    case.concerns_shared = ""
    people = list(
        db.scalars(
            select(CasePerson)
            .where(CasePerson.case_id == case.id)
            .order_by(CasePerson.created_at, CasePerson.id)
        )
    )
    numbers: dict[str, int] = {}
    for person in people:
        numbers[person.kind] = numbers.get(person.kind, 0) + 1
        person.display_name = f"{person.kind.title()} {numbers[person.kind]}"
        person.born = None
    consents = list(db.scalars(select(ConsentRecord).where(ConsentRecord.case_id == case.id)))
    for record in consents:
        record.given_by = "(removed)"
        record.witness = ""
    counts["people_anonymised"] = len(people)
    counts["consent_records_anonymised"] = len(consents)
    db.flush()
    return counts


def expire_case(
    db: Session, *, vault: Vault, actor: Actor, settings: Settings, case: Case, rule: str
) -> tuple[ErasureReceipt, list[str]]:
    """Destroy a closed case's remaining footage and anonymise its records."""
    report = keyring.shred_case(db, vault=vault, actor=actor, case_id=case.id, reason=rule)
    counts = _anonymise(db, case)
    counts["vault_objects_shredded"] = report.objects
    receipt = record_erasure(
        db,
        actor=actor,
        settings=settings,
        record_class="case_records",
        rule=rule,
        case=case,
        records=counts,
        op="expire_case",
        target={"case_id": case.id},
    )
    return receipt, report.storage_keys


@ledger.reapplies("expire_case")
def reapply_expire_case(db: Session, vault: Vault, actor: Actor, target: dict[str, Any]) -> None:
    """Destroy the case key and anonymise the case again."""
    case = db.get(Case, str(target["case_id"]))
    if case is not None:
        report = keyring.shred_case(
            db, vault=vault, actor=actor, case_id=case.id, reason=RESTORE_REASON
        )
        _anonymise(db, case)
        keyring.purge_blobs(vault, storage_keys=report.storage_keys)
    restore_receipt(db, target)


def audit_cutoff(before: datetime) -> str:
    """Return the audit timestamp text entries written before `before` sort below."""
    return before.isoformat(timespec="microseconds")


def audit_to_minimise(db: Session, *, before: datetime) -> tuple[int, str | None]:
    """Count the entries written before `before` that still hold detail, and the oldest's time."""
    query = select(func.count(), func.min(AuditEntry.at)).where(
        AuditEntry.at < audit_cutoff(before), AuditEntry.detail.is_not(None)
    )
    count, oldest = db.execute(query).one()
    return int(count or 0), oldest


def _blank_details(db: Session, cutoff: str) -> int:
    return rows_changed(
        db,
        update(AuditEntry)
        .where(AuditEntry.at < cutoff, AuditEntry.detail.is_not(None))
        .values(detail=None),
    )


def minimise_audit(
    db: Session, *, actor: Actor, settings: Settings, before: datetime, rule: str
) -> ErasureReceipt:
    """Blank the detail of audit entries written before `before`; the chain still verifies."""
    cutoff = audit_cutoff(before)
    blanked = _blank_details(db, cutoff)
    return record_erasure(
        db,
        actor=actor,
        settings=settings,
        record_class="audit",
        rule=rule,
        case=None,
        records={"audit_details_blanked": blanked},
        op="audit_minimise",
        target={"before": cutoff},
    )


@ledger.reapplies("audit_minimise")
def reapply_minimise(db: Session, vault: Vault, actor: Actor, target: dict[str, Any]) -> None:
    """Blank the old audit details again."""
    _blank_details(db, str(target["before"]))
    restore_receipt(db, target)

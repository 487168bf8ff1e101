"""Expire whole case records (handed to the rights package's case erasure) and audit details.

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
from attunely.cases.models import Case
from attunely.config import Settings
from attunely.policy import Actor
from attunely.retention.models import ErasureReceipt
from attunely.retention.shredding import (
    make_receipt,
    record_erasure,
    restore_receipt,
    rows_changed,
)
from attunely.vault.context import Vault


def expire_case(
    db: Session, *, vault: Vault, actor: Actor, settings: Settings, case: Case, rule: str
) -> tuple[ErasureReceipt, list[str]]:
    """Erase a closed case whose records expired, by the rights package's case erasure
    (footage key destroyed, every record of the case deleted, its own receipt and ledger
    entry, audit details about it emptied); add a retention receipt naming the rule."""
    from attunely.rights.erasure import erase_case  # rights reads retention's tables

    case_id, reference = case.id, case.reference
    outcome = erase_case(
        db, settings=settings, vault=vault, actor=actor, case_id=case_id, reason=rule
    )
    tables = outcome.summary.get("tables", {})
    records = {f"{name}_{how}": n for name, done in tables.items() for how, n in done.items() if n}
    receipt = make_receipt(
        db,
        actor=actor,
        record_class="case_records",
        trigger="retention",
        rule=f"{rule}; case erased (rights receipt {outcome.receipt_id})",
        case=None,
        case_id=case_id,
        case_reference=reference,
        records=records,
        ledger_op="erase_case",
    )
    return receipt, outcome.storage_keys


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

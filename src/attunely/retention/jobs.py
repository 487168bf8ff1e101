"""The periodic retention run: workers expire what is due with the other housekeeping."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from attunely.config import Settings
from attunely.jobs.registry import register_maintenance
from attunely.policy import Actor, local_operator
from attunely.retention import service
from attunely.vault.context import vault_for

log = logging.getLogger("attunely.retention")

#: Who the periodic run acts as, in the audit trail and on receipts.
RETENTION_WORKER = local_operator("retention")


@register_maintenance
def expire_due(
    settings: Settings, sessions: sessionmaker[Session], actor: Actor = RETENTION_WORKER
) -> None:
    """Shred, delete, anonymise and blank whatever has fallen due (see retention.service)."""
    vault = vault_for(settings, sessions)
    with sessions() as db:
        report = service.run(db, vault=vault, actor=actor, settings=settings)
    for line in report.lines:
        log.info("retention: %s", line)

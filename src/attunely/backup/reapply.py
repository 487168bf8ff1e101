"""Re-apply erasure-ledger entries to a restored database, all in one transaction."""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import attunely
from attunely.backup import ledger
from attunely.backup.ledger import Entry
from attunely.cases.models import Case
from attunely.errors import NotFound
from attunely.policy import Actor
from attunely.vault import keyring
from attunely.vault.context import Vault
from attunely.vault.models import CaseKey, ObjectState, VaultObject

#: Packages that never erase anything (and are slow to import, or are not plain modules).
_NOT_ERASING = frozenset({"migrations", "analysis", "synth", "media", "__main__", "demo"})


@dataclass(frozen=True)
class Reapplied:
    entry: Entry
    #: "re-applied", or "nothing to do" when the backup never held the target.
    outcome: str


def _skip(_name: str) -> None:
    """Ignore a package that fails to import (see below)."""


def load_handlers() -> list[str]:
    """Import every feature's modules that may register re-apply handlers; return the ops.

    Handlers register themselves when their module is imported; a restore must not miss
    one because nothing happened to import it yet.
    """
    for info in pkgutil.walk_packages(attunely.__path__, "attunely.", onerror=_skip):
        if info.ispkg or info.name.split(".")[1] in _NOT_ERASING:
            continue
        # A module that fails to import cannot have registered anything; if the ledger
        # needs a handler it would have held, the restore refuses the unknown kind.
        with contextlib.suppress(Exception):
            importlib.import_module(info.name)
    # The vault's own shredding, if no feature registered a handler for it.
    ledger.reapplies("shred_case", replace=False)(reshred_case)
    return ledger.registered()


def reshred_case(db: Session, vault: Vault, actor: Actor, target: dict[str, Any]) -> None:
    """Crypto-shred a case again (its key came back with the backup)."""
    case_id = str(target.get("case_id") or "")
    if not case_id or db.get(Case, case_id) is None:
        raise NotFound("the case is not in this backup")
    row = db.get(CaseKey, case_id)
    live = db.scalar(
        select(VaultObject.id)
        .where(VaultObject.case_id == case_id, VaultObject.state != ObjectState.SHREDDED)
        .limit(1)
    )
    if row is not None and row.wrapped_key is None and live is None:
        return
    keyring.shred_case(
        db,
        vault=vault,
        actor=actor,
        case_id=case_id,
        reason=str(target.get("reason") or "re-applied from the erasure ledger after a restore"),
    )


def reapply(db: Session, *, vault: Vault, actor: Actor, pending: list[Entry]) -> list[Reapplied]:
    """Run each entry's handler, in order, inside the caller's transaction."""
    done: list[Reapplied] = []
    for entry in pending:
        fn = ledger.handler(entry.op)
        try:
            with db.begin_nested():
                fn(db, vault, actor, entry.target)
        except NotFound:
            done.append(Reapplied(entry, "nothing to do (not in this backup)"))
            continue
        done.append(Reapplied(entry, "re-applied"))
    db.flush()
    return done

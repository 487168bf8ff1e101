"""The erasure ledger: an append-only record of every shredding and erasure.

A backup taken before an erasure still holds what was erased. The ledger lives apart from
backups (`ATTUNELY_LEDGER_DIR`), and `attunely restore` re-applies every entry written after
the backup was taken, so a restore never brings erased footage or records back.

Each line is one JSON object: `{"at": ISO time, "op": name, "target": {...}}`. Features that
erase register a re-apply handler for their `op` with `reapplies`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from attunely.config import Settings
from attunely.db import utcnow
from attunely.errors import IntegrityError
from attunely.policy import Actor
from attunely.vault.context import Vault

LEDGER_FILE = "erasures.jsonl"

#: Re-apply one entry inside the restore's transaction: (db, vault, actor, target).
Reapply = Callable[[Session, Vault, Actor, dict[str, Any]], None]
_handlers: dict[str, Reapply] = {}


@dataclass(frozen=True)
class Entry:
    at: datetime
    op: str
    target: dict[str, Any]


def ledger_path(settings: Settings) -> Path:
    """Return the ledger file's path."""
    return settings.resolved_ledger_dir / LEDGER_FILE


def append(settings: Settings, *, op: str, target: dict[str, Any]) -> Entry:
    """Append one entry and flush it to disk before the erasure commits.

    Write it before committing the erasure: an entry whose erasure then failed only makes a
    restore erase what someone already asked to erase; a committed erasure missing from the
    ledger would come back from a backup.
    """
    entry = Entry(utcnow(), op, target)
    path = ledger_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    line = json.dumps({"at": entry.at.isoformat(), "op": op, "target": target}, sort_keys=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return entry


def entries(settings: Settings, *, since: datetime | None = None) -> Iterator[Entry]:
    """Yield the entries in order, those at or after `since` when given."""
    path = ledger_path(settings)
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            entry = _parse(number, line)
            if since is None or entry.at >= since:
                yield entry


def _parse(number: int, line: str) -> Entry:
    try:
        raw = json.loads(line)
        return Entry(datetime.fromisoformat(raw["at"]), str(raw["op"]), raw["target"])
    except (ValueError, KeyError, TypeError) as exc:
        raise IntegrityError(f"erasure ledger line {number} is unreadable") from exc


@dataclass(frozen=True)
class Mark:
    """How far the ledger went at one moment (recorded in a backup's manifest)."""

    taken_at: datetime
    offset: int
    lines: int
    last_at: datetime | None
    digest: str


def mark(settings: Settings) -> Mark:
    """Return the ledger's current end: byte offset of the last whole line, and a digest."""
    path = ledger_path(settings)
    data = path.read_bytes() if path.exists() else b""
    # An append may be under way: only whole lines count.
    data = data[: data.rfind(b"\n") + 1]
    lines = [line for line in data.decode("utf-8").splitlines() if line.strip()]
    last = _parse(len(lines), lines[-1]).at if lines else None
    return Mark(utcnow(), len(data), len(lines), last, hashlib.sha256(data).hexdigest())


def entries_after(settings: Settings, at: Mark, *, margin: timedelta) -> list[Entry]:
    """Return the entries written after `at`, and those written up to `margin` before it.

    Refuse when the ledger no longer begins with what `at` saw: it was replaced, truncated
    or edited, and a restore could then bring erased data back without anyone noticing.
    """
    path = ledger_path(settings)
    data = path.read_bytes() if path.exists() else b""
    if len(data) < at.offset or hashlib.sha256(data[: at.offset]).hexdigest() != at.digest:
        raise IntegrityError(
            f"the erasure ledger in {path.parent} does not continue the one this backup saw "
            f"({at.lines} entries then); it was replaced, truncated or edited"
        )
    try:
        # The offset ends a whole line, so both halves are whole UTF-8 text.
        head, tail = data[: at.offset].decode("utf-8"), data[at.offset :].decode("utf-8")
    except UnicodeDecodeError:
        raise IntegrityError(f"the erasure ledger in {path.parent} is not text") from None
    found: list[Entry] = []
    number = 0
    for line in head.splitlines():
        if line.strip():
            number += 1
            entry = _parse(number, line)
            if entry.at >= at.taken_at - margin:
                found.append(entry)
    for line in tail.splitlines():
        if line.strip():
            number += 1
            found.append(_parse(number, line))
    return found


def reapplies(op: str, *, replace: bool = True) -> Callable[[Reapply], Reapply]:
    """Register the function that re-applies entries of `op` after a restore.

    With `replace=False` an existing handler wins (a fallback registered by another package).
    """

    def decorate(fn: Reapply) -> Reapply:
        if replace or op not in _handlers:
            _handlers[op] = fn
        return fn

    return decorate


def registered() -> list[str]:
    """Return the ops that have a re-apply handler."""
    return sorted(_handlers)


def handler(op: str) -> Reapply:
    """Return the re-apply function of `op`."""
    try:
        return _handlers[op]
    except KeyError:
        raise IntegrityError(f"the erasure ledger has an entry of unknown kind {op!r}") from None

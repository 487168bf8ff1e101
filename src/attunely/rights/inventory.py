"""What do we hold about this person (or this case)? One walk over every holding.

`inventory` is the single answer used by subject access packages and by erasure. It reads the
tables through their metadata, so every column of every row comes back, not a chosen subset.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from attunely.cases.models import Case, CasePerson
from attunely.db import Base
from attunely.errors import NotFound
from attunely.inputs import is_id
from attunely.models import load_all
from attunely.rights.holdings import (
    AUDIT_TABLE,
    CASE_ROOT,
    HOLDINGS,
    REDACTED,
    Holding,
    Subject,
    identifiable,
)

Rows = dict[str, list[dict[str, Any]]]
_CHUNK = 500


def _table(name: str) -> Table:
    load_all()
    return Base.metadata.tables[name]


def row_key(table: Table, row: dict[str, Any]) -> str:
    """Return a row's primary key as one string (its id, for most tables)."""
    return "/".join(str(row[c.name]) for c in table.primary_key.columns)


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    ordered = sorted({v for v in values if v is not None}, key=str)
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


def _select(db: Session, table: Table, column: str, values: Iterable[Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for chunk in _chunks(values):
        query = select(table).where(table.c[column].in_(chunk))
        found.extend(dict(r) for r in db.execute(query).mappings())
    return found


def walk(db: Session, *, seed: Rows, subject: Subject | None = None) -> Rows:
    """Follow the holdings' links from the `seed` rows; with a subject, keep rows about them."""
    rows: Rows = {name: list(found) for name, found in seed.items()}
    for each in HOLDINGS:
        if each.table in seed or not each.links:
            continue
        table = _table(each.table)
        found: dict[str, dict[str, Any]] = {}
        for link in each.links:
            values = [r[link.parent_column] for r in rows.get(link.parent, [])]
            for row in _select(db, table, link.column, values):
                if link.only is None or link.only(row):
                    found[row_key(table, row)] = row
        kept = [r for r in found.values() if subject is None or _about(each, r, subject)]
        rows[each.table] = kept
    return rows


def _about(each: Holding, row: dict[str, Any], subject: Subject) -> bool:
    return each.about is None or each.about(row, subject)


def _ids_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _ids_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _ids_in(item)


def mentions(entry: dict[str, Any], known: set[str]) -> set[str]:
    """Return the known ids an audit entry points at (its object and ids in its detail)."""
    found = {entry["object_id"]} & known
    if entry.get("detail"):
        with contextlib.suppress(ValueError):
            found |= set(_ids_in(json.loads(entry["detail"]))) & known
    return found


def _audit(db: Session, *, ids: set[str], case_id: str) -> list[dict[str, Any]]:
    table = _table(AUDIT_TABLE)
    found: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        for row in db.execute(select(table).where(table.c.object_id.in_(chunk))).mappings():
            found[row["seq"]] = dict(row)
    # Entries about something of the case that name the case only in their detail.
    query = select(table).where(table.c.detail.contains(case_id))
    for row in db.execute(query).mappings():
        found[row["seq"]] = dict(row)
    return [found[seq] for seq in sorted(found)]


def _all_ids(rows: Rows) -> set[str]:
    ids: set[str] = set()
    for name, found in rows.items():
        table = _table(name)
        ids.update(row_key(table, r) for r in found)
    return ids


@dataclass
class Inventory:
    """Everything held about one person (`subject`) or one whole case (`subject` None)."""

    case: Case
    subject: Subject | None
    #: Rows per table: about the subject, or all of the case's.
    rows: Rows
    audit: list[dict[str, Any]]
    #: All of the case's rows, for telling the subject's data from other people's.
    case_rows: Rows
    ids: set[str] = field(default_factory=set)
    other_ids: set[str] = field(default_factory=set)

    def of(self, table: str) -> list[dict[str, Any]]:
        return self.rows.get(table, [])

    def people(self) -> list[dict[str, Any]]:
        """Everyone in the case."""
        return self.case_rows.get("case_people", [])

    def other_names(self) -> list[str]:
        """Names of the other people in the case."""
        own = self.subject.person_id if self.subject else None
        return [str(p["display_name"]) for p in self.people() if p["id"] != own]


def inventory(db: Session, *, case_id: str, person_id: str | None = None) -> Inventory:
    """Return everything held about a person, or (no person) about a whole case."""
    case = db.get(Case, case_id) if is_id(case_id) else None
    if case is None:
        raise NotFound("no such case")
    subject: Subject | None = None
    if person_id is not None:
        person = db.get(CasePerson, person_id) if is_id(person_id) else None
        if person is None or person.case_id != case.id:
            raise NotFound("no such person")
        subject = Subject(person_id=person.id, kind=person.kind, case_id=case.id)
    root = _table(CASE_ROOT)
    seed: Rows = {CASE_ROOT: _select(db, root, "id", [case.id])}
    case_rows = walk(db, seed=seed)
    rows = walk(db, seed=seed, subject=subject) if subject else case_rows
    all_case_ids = _all_ids(case_rows)
    ids = _all_ids(rows)
    other = all_case_ids - ids
    entries = _audit(db, ids=all_case_ids, case_id=case.id)
    if subject is not None:
        own = ids - {case.id}
        entries = [
            e
            for e in entries
            if (m := mentions(e, all_case_ids)) & own or (case.id in m and not m & other)
        ]
    return Inventory(case, subject, rows, entries, case_rows, ids, other)


def find_person(db: Session, *, person_id: str) -> CasePerson:
    """Return a person in any case, or refuse."""
    person = db.get(CasePerson, person_id) if is_id(person_id) else None
    if person is None:
        raise NotFound("no such person")
    return person


def sole_sessions(inv: Inventory) -> list[dict[str, Any]]:
    """Return the subject's filming sessions in which nobody else can be seen."""
    assert inv.subject is not None
    people = [str(p["id"]) for p in inv.people()]
    return [
        s for s in inv.of("filming_sessions") if identifiable(s, people) == [inv.subject.person_id]
    ]


def name_pattern(names: Iterable[str], *, keep: Iterable[str] = ()) -> re.Pattern[str] | None:
    """Match each name, and each word of it, except words in `keep` (another's own name)."""
    kept = {w.lower() for name in keep for w in re.findall(r"\w+", name)}
    words: set[str] = set()
    for name in names:
        name = name.strip()
        if not name:
            continue
        words.add(name)
        words.update(w for w in re.findall(r"\w+", name) if len(w) > 1 and w.lower() not in kept)
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def replacer(pattern: re.Pattern[str] | None, ids: Iterable[str], by: str) -> Callable[[str], str]:
    """Return a function replacing names matched by `pattern` and the given ids with `by`."""
    # Only real ids: a numeric key such as an upload part's "5" must never replace digits.
    id_list = sorted({i for i in ids if is_id(i)}, key=len, reverse=True)

    def replace(text: str) -> str:
        for each in id_list:
            if each in text:
                text = text.replace(each, by)
        return pattern.sub(by, text) if pattern is not None else text

    return replace


def redactor(inv: Inventory) -> Callable[[str], str]:
    """Replace other people's names and the ids of their rows with a neutral mark."""
    own_id = inv.subject.person_id if inv.subject else None
    own = [str(p["display_name"]) for p in inv.people() if p["id"] == own_id]
    return replacer(name_pattern(inv.other_names(), keep=own), inv.other_ids, REDACTED)

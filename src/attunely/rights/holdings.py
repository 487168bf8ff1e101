"""The map of personal data: every table, and how a person's (or a case's) rows are found in it.

Subject access and erasure both walk this one list, so a table missing from it would be left
out of packages and survive erasures. `NO_PERSONAL_DATA` names, with a reason, every table that
holds nothing about the people in cases; a test fails when a table is in neither.

A holding is reached from rows already found: `Link(parent, parent_column, column)` selects
the rows whose `column` equals `parent_column` of a selected row of `parent`. The walk starts
at the case (`cases.id`). For one person, `about` keeps only the rows about them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

#: What replaces a person's name when they are erased.
ERASED_NAME = "erased person"
#: What replaces another person's name or id in a subject access package.
REDACTED = "[another person]"


@dataclass(frozen=True)
class Subject:
    """The person a subject access request or an erasure is about."""

    person_id: str
    kind: str
    case_id: str


Row = Mapping[str, Any]
About = Callable[[Row, Subject], bool]


@dataclass(frozen=True)
class Link:
    parent: str
    parent_column: str
    column: str
    #: Keep only the rows this link finds that pass (e.g. case-wide holds, not film holds).
    only: Callable[[Row], bool] | None = None


@dataclass(frozen=True)
class Holding:
    """One table holding data about people in cases.

    names: a person's name (replaced by ERASED_NAME when they are erased).
    notes: free text about the row's person (emptied when they are erased).
    words: free text that may mention people (their name is replaced when they are erased;
        other people's names are redacted in a package).
    secret: columns never written to a package (wrapped keys).
    erase_case: what erasing the whole case does to its rows.
    """

    table: str
    what: str
    links: tuple[Link, ...] = ()
    about: About | None = None
    names: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    clear: tuple[str, ...] = ()
    secret: tuple[str, ...] = ()
    erase_case: Literal["delete", "anonymise"] = "delete"


def identifiable(row: Row, case_people: list[str]) -> list[str]:
    """Return who can be seen in a filming session: the people it names, or, when it names
    nobody, everyone in the case (the same rule as the consent gate)."""
    named = json.loads(row.get("filmed_people") or "[]")
    return [str(p) for p in named] if named else list(case_people)


def _is_person(row: Row, subject: Subject) -> bool:
    return bool(row["id"] == subject.person_id)


def _filmed(row: Row, subject: Subject) -> bool:
    named = json.loads(row.get("filmed_people") or "[]")
    return not named or subject.person_id in named


#: Annotation subjects ("adult", "child", "both") and the kinds of person each is about.
_SUBJECT_KINDS = {"adult": {"caregiver"}, "child": {"child"}, "both": {"caregiver", "child"}}


def _annotation_about(row: Row, subject: Subject) -> bool:
    return subject.kind in _SUBJECT_KINDS.get(str(row.get("subject")), {"caregiver", "child"})


def _own(row: Row, subject: Subject) -> bool:
    return bool(row.get("person_id") == subject.person_id)


CASE_ROOT = "cases"

#: In walking order: every link's parent comes before the holding.
HOLDINGS: tuple[Holding, ...] = (
    Holding(
        CASE_ROOT,
        "The case record (its reference, programme, status and notes)",
        words=("suitability", "concerns_shared"),
    ),
    Holding(
        "case_people",
        "The person as recorded in the case",
        links=(Link("cases", "id", "case_id"),),
        about=_is_person,
        names=("display_name",),
        clear=("born",),
    ),
    Holding(
        "consent_records",
        "Consents given (or the other lawful basis), per purpose",
        links=(Link("case_people", "id", "person_id"),),
        names=("given_by",),
        clear=("signature",),
    ),
    Holding(
        "helping_questions",
        "The family's own questions for the programme",
        links=(Link("cases", "id", "case_id"),),
        words=("text",),
    ),
    Holding(
        "filming_sessions",
        "Filming visits in which the person can be seen",
        links=(Link("cases", "id", "case_id"),),
        about=_filmed,
        words=("activity",),
    ),
    Holding(
        "films",
        "Films in which the person can be seen",
        links=(Link("filming_sessions", "id", "session_id"),),
        words=("label",),
    ),
    Holding(
        "uploads",
        "Film uploads of those visits",
        links=(Link("filming_sessions", "id", "session_id"),),
        words=("label",),
    ),
    Holding("upload_parts", "Parts of those uploads", links=(Link("uploads", "id", "upload_id"),)),
    Holding(
        "film_analyses",
        "The automatic first pass over those films",
        links=(Link("films", "id", "film_id"),),
    ),
    Holding(
        "film_annotations",
        "Coded moments and notes about the person in those films",
        links=(Link("films", "id", "film_id"),),
        about=_annotation_about,
        notes=("note",),
    ),
    Holding(
        "film_clips",
        "Clips chosen from those films",
        links=(Link("films", "id", "film_id"),),
        words=("title", "caption", "questions"),
    ),
    Holding(
        "film_stills",
        "Stills chosen from those films",
        links=(Link("films", "id", "film_id"),),
        words=("caption",),
    ),
    Holding(
        "film_regions",
        "Where the adult and child are in those films, and the motion measured there",
        links=(Link("films", "id", "film_id"),),
    ),
    Holding(
        "proposal_reviews",
        "Decisions on the moments the analysis proposed in those films",
        links=(Link("films", "id", "film_id"),),
        words=("reason",),
    ),
    Holding(
        "speaker_corrections",
        "Corrections of who spoke when in those films",
        links=(Link("films", "id", "film_id"),),
    ),
    Holding(
        "clip_shares",
        "Clips of those films shared with other professionals, and with whom",
        links=(Link("films", "id", "film_id"),),
        words=("clip_title",),
        secret=("token_hash",),
    ),
    Holding(
        "retention_holds",
        "Legal holds on the case or on those films",
        links=(
            Link("cases", "id", "case_id", only=lambda r: r.get("film_id") is None),
            Link("films", "id", "film_id"),
        ),
        words=("reason", "lift_reason"),
    ),
    Holding(
        "retention_shred_schedules",
        "Those films' scheduled destruction",
        links=(Link("films", "id", "film_id"),),
        words=("note",),
    ),
    Holding(
        "jobs",
        "Background processing of those films",
        links=(
            Link("films", "id", "subject_id"),
            Link("uploads", "id", "subject_id"),
            Link("clip_shares", "id", "subject_id"),
        ),
    ),
    Holding(
        "vault_objects",
        "Encrypted footage and what was made from it (originals, playback copies, analyses)",
        links=(
            Link("films", "original_object_id", "id"),
            Link("films", "proxy_object_id", "id"),
            Link("films", "thumbs_object_id", "id"),
            Link("films", "waveform_object_id", "id"),
            Link("film_analyses", "result_object_id", "id"),
            Link("film_analyses", "stills_object_id", "id"),
            Link("upload_parts", "object_id", "id"),
            Link("film_regions", "motion_object_id", "id"),
            Link("clip_shares", "object_id", "id"),
        ),
        secret=("wrapped_data_key",),
    ),
    Holding(
        "vault_case_keys",
        "The case's footage key (never exported; destroyed when the case is erased)",
        links=(Link("cases", "id", "case_id"),),
        secret=("wrapped_key",),
    ),
    Holding(
        "rights_requests",
        "Subject access requests about the person",
        links=(Link("case_people", "id", "person_id"),),
        about=_own,
        notes=("note",),
        erase_case="anonymise",
    ),
)

#: Found separately (entries point at any row above by id; see rights.inventory).
AUDIT_TABLE = "audit_entries"

#: Tables that hold nothing about the people in cases, and why.
NO_PERSONAL_DATA: dict[str, str] = {
    "organisations": "the organisation's own name",
    "teams": "team names (staff, not families)",
    "users": "staff accounts, not people in cases",
    "user_roles": "staff roles",
    "team_memberships": "which staff belong to which team",
    "web_sessions": "staff sign-in sessions",
    "login_throttle": "failed staff sign-ins per username",
    "coding_schemes": "a team's coding vocabulary",
    "coding_scheme_versions": "versions of that vocabulary (codes, no observations)",
    "audit_head": "the audit chain's tip: a sequence number and a hash",
    "vault_master_keys": "master key version numbers and states",
    "rights_erasures": "erasure receipts: ids and counts, never a name",
    "retention_receipts": "retention receipts: ids, kinds and counts, never a name",
    "consent_texts": "the consent form's wording, the same for everyone shown it",
}


def holding(table: str) -> Holding:
    """Return the holding of `table`."""
    for each in HOLDINGS:
        if each.table == table:
            return each
    raise KeyError(table)


def covered_tables() -> set[str]:
    """Every table the rights package walks, the audit trail included."""
    return {h.table for h in HOLDINGS} | {AUDIT_TABLE}

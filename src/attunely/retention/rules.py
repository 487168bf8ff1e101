"""When each record class falls due (pure rules; docs/retention.md says the same in words).

* Films and clips: the case's closing date plus the class period, or the upload date plus
  the shortest retention the filmed people's consent forms named, whichever comes first.
  An open case's footage is kept only as long as its consent forms said.
* Annotations: the case's closing date plus the class period.
* Case records: the case's closing date plus the class period.
* Audit: each entry's words (detail) are dropped the class period after it was written; the
  entry itself stays, so the hash chain still verifies.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from attunely.config import Settings


class RecordClass(StrEnum):
    FILMS = "films"
    CLIPS = "clips"
    ANNOTATIONS = "annotations"
    CASE_RECORDS = "case_records"
    AUDIT = "audit"


CLASS_LABELS: dict[RecordClass, str] = {
    RecordClass.FILMS: "Films (footage and everything made from it)",
    RecordClass.CLIPS: "Clips and stills chosen for the family",
    RecordClass.ANNOTATIONS: "Coded events on films",
    RecordClass.CASE_RECORDS: "Case records (people, notes, consent forms)",
    RecordClass.AUDIT: "Audit trail details",
}


def periods(settings: Settings) -> dict[RecordClass, int]:
    """Return each class's retention period in months."""
    return {
        RecordClass.FILMS: settings.retention_films_months,
        RecordClass.CLIPS: settings.retention_clips_months,
        RecordClass.ANNOTATIONS: settings.retention_annotations_months,
        RecordClass.CASE_RECORDS: settings.retention_case_records_months,
        RecordClass.AUDIT: settings.retention_audit_months,
    }


def add_months(moment: datetime, months: int) -> datetime:
    """Return the same day and time `months` later (the month's last day if it is shorter)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def grace_due(withdrawn_at: datetime, grace_days: float) -> datetime:
    """Return when a film no purpose covers any more is shredded."""
    return withdrawn_at + timedelta(days=grace_days)


@dataclass(frozen=True)
class Due:
    """When a record falls due, and the rule that says so, in words."""

    at: datetime
    rule: str


def footage_due(
    *,
    record_class: RecordClass,
    period_months: int,
    closed_at: datetime | None,
    uploaded_at: datetime,
    consent_months: Iterable[int],
) -> Due | None:
    """Return when a film or clip falls due: the earlier of the class rule and the consent
    forms' retention; None while the case is open and no consent form limits it."""
    found: list[Due] = []
    if closed_at is not None:
        found.append(
            Due(
                add_months(closed_at, period_months),
                f"{record_class}: {period_months} months after the case closed "
                f"({closed_at.date().isoformat()})",
            )
        )
    shortest = min(consent_months, default=None)
    if shortest is not None:
        found.append(
            Due(
                add_months(uploaded_at, shortest),
                f"consent form: kept {shortest} months from the upload "
                f"({uploaded_at.date().isoformat()})",
            )
        )
    return min(found, key=lambda d: d.at, default=None)


def closing_due(
    *, record_class: RecordClass, period_months: int, closed_at: datetime | None
) -> Due | None:
    """Return when a record kept for `period_months` after the case closed falls due."""
    if closed_at is None:
        return None
    return Due(
        add_months(closed_at, period_months),
        f"{record_class}: {period_months} months after the case closed "
        f"({closed_at.date().isoformat()})",
    )

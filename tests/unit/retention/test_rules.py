"""When each record class falls due (pure rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from attunely.config import Settings
from attunely.retention.rules import (
    RecordClass,
    add_months,
    closing_due,
    footage_due,
    grace_due,
    periods,
)

T = datetime(2025, 1, 31, 9, 30, tzinfo=UTC)


def test_add_months_keeps_the_day_or_takes_the_last_of_a_shorter_month() -> None:
    assert add_months(T, 1) == datetime(2025, 2, 28, 9, 30, tzinfo=UTC)
    assert add_months(T, 13) == datetime(2026, 2, 28, 9, 30, tzinfo=UTC)
    assert add_months(datetime(2024, 1, 31, tzinfo=UTC), 1).day == 29
    assert add_months(T, 12) == datetime(2026, 1, 31, 9, 30, tzinfo=UTC)
    assert add_months(T, -2) == datetime(2024, 11, 30, 9, 30, tzinfo=UTC)
    assert add_months(T, 0) == T


def test_grace_allows_fractions_of_a_day() -> None:
    assert grace_due(T, 0.5) == T + timedelta(hours=12)
    assert grace_due(T, 0) == T


def test_footage_takes_the_earlier_of_the_closing_rule_and_the_consent_form() -> None:
    uploaded = datetime(2025, 3, 1, tzinfo=UTC)
    closed = datetime(2025, 6, 1, tzinfo=UTC)
    by_case = footage_due(
        record_class=RecordClass.FILMS,
        period_months=12,
        closed_at=closed,
        uploaded_at=uploaded,
        consent_months=[24, 36],
    )
    assert by_case is not None and by_case.at == datetime(2026, 6, 1, tzinfo=UTC)
    assert "after the case closed (2025-06-01)" in by_case.rule
    by_form = footage_due(
        record_class=RecordClass.FILMS,
        period_months=12,
        closed_at=closed,
        uploaded_at=uploaded,
        consent_months=[6, 24],
    )
    assert by_form is not None and by_form.at == datetime(2025, 9, 1, tzinfo=UTC)
    assert "consent form: kept 6 months" in by_form.rule


def test_an_open_case_without_a_consent_limit_keeps_its_footage() -> None:
    found = footage_due(
        record_class=RecordClass.CLIPS,
        period_months=12,
        closed_at=None,
        uploaded_at=T,
        consent_months=[],
    )
    assert found is None
    assert (
        closing_due(record_class=RecordClass.ANNOTATIONS, period_months=24, closed_at=None) is None
    )
    due = closing_due(record_class=RecordClass.CASE_RECORDS, period_months=84, closed_at=T)
    assert due is not None and due.at == datetime(2032, 1, 31, 9, 30, tzinfo=UTC)


def test_every_class_has_a_period_from_the_settings() -> None:
    months = periods(Settings(retention_clips_months=3))
    assert set(months) == set(RecordClass)
    assert months[RecordClass.CLIPS] == 3 and months[RecordClass.FILMS] == 12
    assert months[RecordClass.CASE_RECORDS] == 84

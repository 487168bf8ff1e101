"""Case and person input rules."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from attunely.cases.schemas import (
    CaseCreate,
    PersonCreate,
    Programme,
    age_in_months,
    parse_programme,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("VIG", Programme.VIG),
        ("VIPP-SD", Programme.VIPP_SD),
        ("Minding the Baby", Programme.MINDING_THE_BABY),
        ("New Orleans Model", Programme.NEW_ORLEANS),
        ("other", Programme.OTHER),
    ],
)
def test_programme_names(text: str, expected: Programme) -> None:
    assert parse_programme(text) == expected


@pytest.mark.parametrize(
    "born, today, months",
    [
        (date(2026, 1, 31), date(2026, 2, 28), 0),
        (date(2026, 1, 15), date(2026, 2, 15), 1),
        (date(2025, 11, 25), date(2026, 11, 25), 12),
        (date(2025, 11, 26), date(2026, 11, 25), 11),
    ],
)
def test_age_in_completed_months(born: date, today: date, months: int) -> None:
    assert age_in_months(born, today) == months


@pytest.mark.parametrize("reference", ["ab", "has space", "-leading", "x" * 33, "naïve-1"])
def test_bad_references(reference: str) -> None:
    with pytest.raises(ValidationError):
        CaseCreate(reference=reference, programme=Programme.VIG)


def test_person_rules() -> None:
    with pytest.raises(ValidationError, match="date of birth"):
        PersonCreate.model_validate({"kind": "child", "display_name": "B"})
    with pytest.raises(ValidationError, match="parental responsibility"):
        PersonCreate.model_validate(
            {
                "kind": "child",
                "display_name": "B",
                "born": "2025-01-01",
                "parental_responsibility": True,
            }
        )
    ok = PersonCreate.model_validate(
        {"kind": "caregiver", "display_name": " Mum ", "parental_responsibility": True}
    )
    assert ok.display_name == "Mum"

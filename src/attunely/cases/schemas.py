"""Validated shapes for cases and the people in them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator, model_validator

from attunely.inputs import InputModel

REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{2,31}$"


class Programme(StrEnum):
    VIG = "vig"
    VIPP_SD = "vipp_sd"
    MINDING_THE_BABY = "minding_the_baby"
    NEW_ORLEANS = "new_orleans"
    OTHER = "other"


PROGRAMME_LABELS: dict[Programme, str] = {
    Programme.VIG: "Video Interaction Guidance",
    Programme.VIPP_SD: "VIPP-SD",
    Programme.MINDING_THE_BABY: "Minding the Baby",
    Programme.NEW_ORLEANS: "New Orleans Model",
    Programme.OTHER: "Other",
}

# Accept the names practitioners type as well as the stored values.
_PROGRAMME_ALIASES = {
    "vig": Programme.VIG,
    "video interaction guidance": Programme.VIG,
    "vipp-sd": Programme.VIPP_SD,
    "vipp_sd": Programme.VIPP_SD,
    "vippsd": Programme.VIPP_SD,
    "minding the baby": Programme.MINDING_THE_BABY,
    "minding_the_baby": Programme.MINDING_THE_BABY,
    "mtb": Programme.MINDING_THE_BABY,
    "new orleans model": Programme.NEW_ORLEANS,
    "new orleans": Programme.NEW_ORLEANS,
    "new_orleans": Programme.NEW_ORLEANS,
    "other": Programme.OTHER,
}


def parse_programme(value: object) -> Programme:
    """Read a programme from its value or a common name ("VIPP-SD", "Minding the Baby")."""
    if isinstance(value, Programme):
        return value
    key = str(value).strip().lower()
    if key in _PROGRAMME_ALIASES:
        return _PROGRAMME_ALIASES[key]
    choices = ", ".join(PROGRAMME_LABELS.values())
    raise ValueError(f"unknown programme; choose one of: {choices}")


class CaseStatus(StrEnum):
    REFERRED = "referred"
    ASSESSMENT = "assessment"
    ACTIVE = "active"
    CLOSED = "closed"


#: The forward steps a case may take; a closed case stays closed.
STATUS_STEPS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.REFERRED: frozenset({CaseStatus.ASSESSMENT, CaseStatus.CLOSED}),
    CaseStatus.ASSESSMENT: frozenset({CaseStatus.ACTIVE, CaseStatus.CLOSED}),
    CaseStatus.ACTIVE: frozenset({CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset(),
}


class PersonKind(StrEnum):
    CAREGIVER = "caregiver"
    CHILD = "child"


class CaseCreate(InputModel):
    reference: str = Field(min_length=3, max_length=32, pattern=REFERENCE_PATTERN)
    programme: Programme
    team_id: str | None = Field(default=None, max_length=64)
    guider_id: str | None = Field(default=None, max_length=64)
    supervisor_id: str | None = Field(default=None, max_length=64)
    suitability: str = Field(default="", max_length=5000)
    concerns_shared: str = Field(default="", max_length=5000)

    @field_validator("programme", mode="before")
    @classmethod
    def _programme(cls, value: object) -> Programme:
        return parse_programme(value)


class CaseUpdate(InputModel):
    programme: Programme | None = None
    status: CaseStatus | None = None
    suitability: str | None = Field(default=None, max_length=5000)
    concerns_shared: str | None = Field(default=None, max_length=5000)

    @field_validator("programme", mode="before")
    @classmethod
    def _programme(cls, value: object) -> Programme | None:
        return None if value is None else parse_programme(value)


class CaseAssign(InputModel):
    guider_id: str | None = Field(default=None, max_length=64)
    supervisor_id: str | None = Field(default=None, max_length=64)


class PersonCreate(InputModel):
    kind: PersonKind
    display_name: str = Field(min_length=1, max_length=120)
    born: date | None = None
    parental_responsibility: bool = False

    @model_validator(mode="after")
    def _by_kind(self) -> PersonCreate:
        if self.kind == PersonKind.CHILD:
            if self.born is None:
                raise ValueError("a child needs a date of birth")
            if self.parental_responsibility:
                raise ValueError("parental responsibility applies to caregivers, not children")
        if self.born is not None:
            if self.born > date.today():
                raise ValueError("date of birth is in the future")
            if self.born.year < 1900:
                raise ValueError("date of birth is too far in the past")
        return self


class PersonRead(BaseModel):
    id: str
    kind: PersonKind
    display_name: str
    born: date | None
    age_months: int | None
    parental_responsibility: bool


class CaseSummary(BaseModel):
    id: str
    reference: str
    programme: Programme
    programme_label: str
    status: CaseStatus
    team_id: str
    guider_id: str | None
    supervisor_id: str | None
    updated_at: datetime


class CaseRead(CaseSummary):
    suitability: str
    concerns_shared: str
    created_at: datetime
    people: list[PersonRead]
    allowed_statuses: list[CaseStatus]


def age_in_months(born: date, today: date | None = None) -> int:
    """Return completed months of age (what practitioners use for babies and toddlers)."""
    today = today or date.today()
    months = (today.year - born.year) * 12 + (today.month - born.month)
    if today.day < born.day:
        months -= 1
    return max(months, 0)

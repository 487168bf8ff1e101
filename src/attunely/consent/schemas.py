"""Validated shapes for consent records."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator, model_validator

from attunely.inputs import InputModel


class Purpose(StrEnum):
    """What footage may be used for; each needs its own consent (or basis)."""

    FILMING_FEEDBACK = "filming_feedback"
    SUPERVISION = "supervision"
    PEER_INTERVISION = "peer_intervision"
    TRAINING = "training"
    PROFESSIONAL_NETWORK = "professional_network"
    RESEARCH = "research"


class LawfulBasis(StrEnum):
    CONSENT = "consent"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTEREST = "legitimate_interest"
    LEGAL_OBLIGATION = "legal_obligation"


class Method(StrEnum):
    """How the agreement was given."""

    SIGNATURE = "signature"
    WITNESSED_TYPED_NAME = "witnessed_typed_name"
    PAPER = "paper"


def parse_purposes(text: str) -> list[Purpose]:
    """Read "all" or a comma-separated list of purposes (for the command line)."""
    words = [w.strip().lower().replace("-", "_") for w in text.split(",") if w.strip()]
    if words == ["all"]:
        return list(Purpose)
    known = {str(p) for p in Purpose}
    unknown = [w for w in words if w not in known]
    if unknown or not words:
        raise ValueError("purposes are 'all' or a list of: " + ", ".join(sorted(known)))
    return [Purpose(w) for w in dict.fromkeys(words)]


class ConsentCreate(InputModel):
    person_id: str = Field(min_length=1, max_length=36)
    purposes: list[Purpose] = Field(min_length=1, max_length=len(Purpose))
    basis: LawfulBasis = LawfulBasis.CONSENT
    text_version: str = Field(min_length=1, max_length=32)
    retention_months: int = Field(ge=1, le=300)
    access: str = Field(min_length=1, max_length=500)
    method: Method
    given_by: str = Field(min_length=1, max_length=120)
    witness: str = Field(default="", max_length=120)
    given_on: date
    expires_on: date | None = None

    @field_validator("purposes")
    @classmethod
    def _distinct(cls, value: list[Purpose]) -> list[Purpose]:
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _consistent(self) -> ConsentCreate:
        if self.given_on > date.today():
            raise ValueError("the date consent was given cannot be in the future")
        if self.expires_on is not None and self.expires_on <= self.given_on:
            raise ValueError("the expiry date must come after the date consent was given")
        if self.method == Method.WITNESSED_TYPED_NAME and not self.witness:
            raise ValueError("a typed name must be witnessed: name the witness")
        return self


class ConsentWithdraw(InputModel):
    person_id: str = Field(min_length=1, max_length=36)
    purposes: list[Purpose] = Field(min_length=1, max_length=len(Purpose))


class ConsentRead(BaseModel):
    id: str
    case_id: str
    person_id: str
    purpose: Purpose
    basis: LawfulBasis
    text_version: str
    retention_months: int
    access: str
    method: Method
    given_by: str
    witness: str
    given_on: date
    expires_on: date | None
    withdrawn_at: datetime | None
    recorded_by: str
    created_at: datetime
    #: Whether the record covers its purpose today (not withdrawn, not expired).
    current: bool

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
    """A consent to record.

    On the tablet the form shown is named by `text_sha256`; the version, retention and access
    then come from that form (the live settings). A paper form printed elsewhere instead
    states its own `text_version`, `retention_months` and `access`.
    """

    person_id: str = Field(min_length=1, max_length=36)
    purposes: list[Purpose] = Field(min_length=1, max_length=len(Purpose))
    basis: LawfulBasis = LawfulBasis.CONSENT
    text_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    text_version: str | None = Field(default=None, min_length=1, max_length=32)
    retention_months: int | None = Field(default=None, ge=1, le=300)
    access: str | None = Field(default=None, min_length=1, max_length=500)
    method: Method
    given_by: str = Field(min_length=1, max_length=120)
    witness: str = Field(default="", max_length=120)
    #: Strokes JSON from the signature pad (method "signature"); see consent.signature.
    signature: str | None = Field(default=None, max_length=200_000)
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
        if self.text_sha256 is None and self.text_version is None:
            raise ValueError("name the consent text shown (text_sha256) or its version")
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
    #: The form shown, when Attunely showed it (GET .../consents/{id}/text gives its words).
    text_sha256: str | None
    retention_months: int
    access: str
    method: Method
    given_by: str
    witness: str
    #: Whether a drawn signature is kept (the strokes are not part of this shape).
    signed: bool
    given_on: date
    expires_on: date | None
    withdrawn_at: datetime | None
    recorded_by: str
    created_at: datetime
    #: Whether the record covers its purpose today (not withdrawn, not expired).
    current: bool


class ConsentTextRead(BaseModel):
    """A consent form's words: plain-language and full, with its version and hash."""

    version: str
    sha256: str
    label: str
    plain: str
    full: str

"""Validated shapes for clip shares."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

from attunely.consent.schemas import Purpose
from attunely.inputs import InputModel

#: The longest a link may stay open: a share is for one professional conversation.
MAX_SHARE_DAYS = 90
#: The longest clip that may leave the organisation: clips, never whole films.
MAX_SHARE_SECONDS = 300


class ShareStatus(StrEnum):
    RENDERING = "rendering"
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    #: No current consent for sharing covers everyone in the film: the link shows nothing.
    NO_CONSENT = "no_consent"
    FAILED = "failed"


class ShareCreate(InputModel):
    """A share names one clip, its recipient, its purpose, the agreement and an expiry."""

    clip_id: str = Field(min_length=1, max_length=36)
    recipient_name: str = Field(min_length=1, max_length=120)
    recipient_organisation: str = Field(min_length=1, max_length=160)
    recipient_email: str = Field(default="", max_length=254)
    purpose: Purpose
    agreement_reference: str = Field(min_length=1, max_length=120)
    expires_on: date

    @field_validator("recipient_email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value and ("@" not in value or " " in value or value.startswith("@")):
            raise ValueError("enter an e-mail address like name@example.org, or leave it empty")
        return value


class ShareRevoke(InputModel):
    reason: str = Field(default="", max_length=200)


class ShareRead(BaseModel):
    """A share as its case's people see it (never the link: only its hash is kept)."""

    id: str
    case_id: str
    film_id: str
    clip_id: str | None
    clip_title: str
    in_frame: int
    out_frame: int
    duration_s: float | None
    recipient_name: str
    recipient_organisation: str
    recipient_email: str
    purpose: Purpose
    agreement_reference: str
    expires_at: datetime
    status: ShareStatus
    problem: str
    views: int
    last_viewed_at: datetime | None
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    revoke_reason: str


class ShareCreated(BaseModel):
    """The new share and its link. The link is shown this once: only its hash is stored."""

    share: ShareRead
    link: str

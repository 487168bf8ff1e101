"""Shapes for filming sessions, films and uploads."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, field_validator

from attunely.inputs import InputModel

#: Largest part one request may carry; parts are sealed whole, so this bounds memory.
MAX_PART_BYTES = 16 * 1024 * 1024
#: Part size the browser is asked to use: small enough to resend cheaply on a weak line.
PART_BYTES = 4 * 1024 * 1024
#: Largest film accepted (a two-hour clinic recording fits with room to spare).
MAX_FILM_BYTES = 64 * 1024**3


class Setting(StrEnum):
    HOME = "home"
    CLINIC = "clinic"
    OTHER = "other"


class FilmState(StrEnum):
    UPLOADING = "uploading"
    PROCESSING = "processing"
    READY = "ready"
    REJECTED = "rejected"
    FAILED = "failed"


class UploadSource(StrEnum):
    FILE = "file"
    CAPTURE = "capture"


class FilmingSessionCreate(InputModel):
    filmed_on: date
    setting: Setting = Setting.HOME
    activity: str = Field(default="", max_length=200)
    filmed_people: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("filmed_on")
    @classmethod
    def _not_future(cls, value: date) -> date:
        if value > date.today():
            raise ValueError("the filming date is in the future")
        return value


class FilmingSessionRead(BaseModel):
    id: str
    case_id: str
    filmed_on: date
    setting: Setting
    activity: str
    filmed_people: list[str]
    created_at: datetime


class UploadCreate(InputModel):
    label: str = Field(min_length=1, max_length=120)
    source: UploadSource = UploadSource.FILE
    size: int | None = Field(default=None, ge=1, le=MAX_FILM_BYTES)


class UploadComplete(InputModel):
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class UploadRead(BaseModel):
    id: str
    session_id: str
    label: str
    source: UploadSource
    state: str
    offset: int
    expected_size: int | None
    part_size: int = PART_BYTES
    max_part_size: int = MAX_PART_BYTES
    film_id: str | None


class JobRead(BaseModel):
    kind: str
    state: str
    progress: float
    message: str


class FilmRead(BaseModel):
    id: str
    case_id: str
    session_id: str
    label: str
    state: FilmState
    problem: str
    size_bytes: int
    sha256: str | None
    duration_s: float | None
    probe: dict[str, Any]
    proxy: dict[str, Any]
    playable: bool
    jobs: list[JobRead]
    created_at: datetime

"""Validated shapes for subject access requests and erasures."""

from __future__ import annotations

from datetime import date

from pydantic import Field, field_validator

from attunely.cases.schemas import REFERENCE_PATTERN
from attunely.inputs import InputModel
from attunely.workspace.schemas import ID_PATTERN


class RequestCreate(InputModel):
    person_id: str = Field(pattern=ID_PATTERN)
    received_on: date
    note: str = Field(default="", max_length=2000)

    @field_validator("received_on")
    @classmethod
    def _not_future(cls, value: date) -> date:
        if value > date.today():
            raise ValueError("the request cannot have been received in the future")
        return value


class PersonErasure(InputModel):
    person_id: str = Field(pattern=ID_PATTERN)
    reason: str = Field(min_length=3, max_length=500)


class CaseErasure(InputModel):
    reference: str = Field(pattern=REFERENCE_PATTERN)
    reason: str = Field(min_length=3, max_length=500)

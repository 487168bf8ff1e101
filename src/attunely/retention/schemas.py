"""Validated shapes for retention: legal holds, what is due, receipts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from attunely.inputs import InputModel


class HoldCreate(InputModel):
    case_id: str = Field(min_length=1, max_length=36)
    film_id: str | None = Field(default=None, max_length=36)
    reason: str = Field(min_length=1, max_length=1000)


class HoldLift(InputModel):
    reason: str = Field(min_length=1, max_length=1000)


class RunRequest(InputModel):
    dry_run: bool = False


class HoldRead(BaseModel):
    id: str
    case_id: str
    film_id: str | None
    reason: str
    set_by: str
    set_at: datetime
    lifted_at: datetime | None
    lifted_by: str | None
    lift_reason: str


class DueRead(BaseModel):
    record_class: str
    subject_type: str
    subject_id: str
    case_id: str | None
    case_reference: str
    due_at: datetime
    rule: str
    trigger: str
    hold: str | None
    film_id: str | None


class ReceiptRead(BaseModel):
    id: str
    created_at: datetime
    record_class: str
    trigger: str
    rule: str
    case_id: str | None
    case_reference: str
    film_id: str | None
    objects: list[dict[str, Any]]
    records: dict[str, int]
    actor: str
    ledger_op: str


class RunRead(BaseModel):
    dry_run: bool
    lines: list[str]
    summary: str
    receipts: list[str]

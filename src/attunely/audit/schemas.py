"""Shapes for reading the audit trail."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: str
    actor_id: str
    action: str
    object_type: str
    object_id: str
    purpose: str
    outcome: str
    hash: str


class VerifyRead(BaseModel):
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    first_broken: int | None
    problem: str | None

"""Rules every piece of text input follows, wherever it comes from."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

# C0 controls except tab, newline and carriage return, plus DEL. PostgreSQL cannot store NUL
# at all, and none of these belongs in a name, a note or an id.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def has_control_chars(value: str) -> bool:
    """Say whether the text holds characters that never belong in input."""
    return _CONTROL.search(value) is not None


def is_id(value: object) -> bool:
    """Say whether the value has the shape of one of our ids (a lower-case UUID)."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def printable(value: str, limit: int = 120) -> str:
    """Return the text with control characters replaced, cut to `limit` (for audit ids)."""
    return _CONTROL.sub("?", value)[:limit]


def _check(value: Any) -> Any:
    if isinstance(value, str) and has_control_chars(value):
        raise ValueError("contains control characters")
    if isinstance(value, list):
        for item in value:
            _check(item)
    return value


class InputModel(BaseModel):
    """Base of every input schema: trims text, refuses unknown fields and control characters."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_chars(cls, value: Any) -> Any:
        return _check(value)

"""Validated shapes for users and teams."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from attunely.inputs import InputModel
from attunely.policy import Role

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"


class UserCreate(InputModel):
    username: str = Field(min_length=2, max_length=64)
    display_name: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=1, max_length=256)
    roles: list[Role] = Field(min_length=1, max_length=6)
    teams: list[str] = Field(default_factory=list, max_length=20)
    manages_teams: bool = False

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        import re

        value = value.lower()
        if not re.fullmatch(USERNAME_PATTERN, value):
            raise ValueError("use 2-64 lower-case letters, digits, '.', '_' or '-'")
        return value


class RolesUpdate(InputModel):
    roles: list[Role] = Field(min_length=1, max_length=6)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    username: str
    display_name: str
    roles: list[Role]
    team_ids: list[str]
    mfa_enabled: bool
    is_active: bool


class TeamCreate(InputModel):
    name: str = Field(min_length=1, max_length=120)


class TeamRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str

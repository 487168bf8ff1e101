"""Shapes for signing in and the second factor."""

from __future__ import annotations

from pydantic import BaseModel, Field

from attunely.inputs import InputModel


class SignInCreate(InputModel):
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


class CodeCreate(InputModel):
    code: str = Field(min_length=6, max_length=12)


class SessionRead(BaseModel):
    user_id: str
    username: str
    display_name: str
    roles: list[str]
    mfa_step: str | None
    csrf_token: str


class EnrolmentRead(BaseModel):
    secret: str
    otpauth_uri: str


class CsrfRead(BaseModel):
    csrf_token: str

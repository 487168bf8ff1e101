"""Server-rendered pages of the backup package."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

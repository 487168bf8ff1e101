"""Server-rendered pages of the retention package."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

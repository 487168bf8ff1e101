"""Server-rendered pages of the dpia package."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

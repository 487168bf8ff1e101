"""JSON routes of the rights package."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

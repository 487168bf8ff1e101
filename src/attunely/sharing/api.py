"""JSON routes of the sharing package."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

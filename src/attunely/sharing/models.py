"""Tables of the sharing package."""

from __future__ import annotations

"""Tables of the rights package."""

from __future__ import annotations

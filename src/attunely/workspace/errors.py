"""Errors of the workspace that carry the state a client needs to recover."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from attunely.errors import Conflict


class StaleRevision(Conflict):
    """The object changed since the client saw it; `current` is how it stands now."""

    code = "stale_revision"

    def __init__(self, what: str, current: BaseModel | list[Any] | None) -> None:
        super().__init__(
            f"this {what} was changed meanwhile (in another tab or by someone else); "
            "nothing was overwritten: here is the latest version"
        )
        if isinstance(current, BaseModel):
            self.details = {"current": current.model_dump(mode="json")}
        elif isinstance(current, list):
            self.details = {
                "current": [
                    c.model_dump(mode="json") if isinstance(c, BaseModel) else c for c in current
                ]
            }
        else:
            self.details = {"current": None}


class FilmNotReady(Conflict):
    """The film cannot be annotated yet (still arriving or being prepared) or at all."""

    code = "film_not_ready"

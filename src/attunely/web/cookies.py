"""Set and clear the session cookie the same way everywhere."""

from __future__ import annotations

from fastapi import Response

from attunely.config import Settings
from attunely.web.deps import SESSION_COOKIE


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    """Attach the session cookie: Secure, HttpOnly, SameSite=Lax, no fixed lifetime."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
        path="/",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    """Remove the session cookie."""
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=settings.cookie_secure, httponly=True, samesite="lax"
    )

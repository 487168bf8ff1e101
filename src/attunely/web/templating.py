"""Render server-side pages with the context every page needs."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from attunely import __version__
from attunely.policy import ROLE_LABELS, Role
from attunely.web.deps import PRE_CSRF_COOKIE, Viewer

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals["version"] = __version__
TEMPLATES.env.globals["role_labels"] = {str(k): v for k, v in ROLE_LABELS.items()}


def _months(value: int | None) -> str:
    if value is None:
        return ""
    if value < 24:
        return f"{value} month" + ("" if value == 1 else "s")
    return f"{value // 12} years {value % 12} months"


TEMPLATES.env.filters["months"] = _months


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page; pages for signed-out visitors get a pre-sign-in anti-forgery cookie."""
    viewer: Viewer | None = getattr(request.state, "viewer", None)
    new_pre_token: str | None = None
    if viewer is not None:
        csrf = viewer.csrf_token
    else:
        csrf = request.cookies.get(PRE_CSRF_COOKIE) or ""
        if not csrf:
            new_pre_token = secrets.token_urlsafe(32)
            csrf = new_pre_token
    roles = set(viewer.roles) if viewer else set()
    full = {
        "request": request,
        "user": viewer,
        "roles": roles,
        "is_manager": str(Role.MANAGER) in roles,
        "is_admin": str(Role.ADMIN) in roles,
        "is_dpo": str(Role.DPO) in roles,
        "csrf_token": csrf,
        "mfa_pending": viewer is not None and viewer.mfa_pending,
        **(context or {}),
    }
    response = TEMPLATES.TemplateResponse(request, name, full, status_code=status_code)
    if new_pre_token:
        response.set_cookie(
            PRE_CSRF_COOKIE,
            new_pre_token,
            httponly=True,
            secure=request.app.state.settings.cookie_secure,
            samesite="strict",
            path="/",
        )
    return response

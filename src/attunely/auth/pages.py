"""Pages for signing in, the second factor and the user's own account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from attunely.auth import service, totp
from attunely.auth.service import CurrentSession
from attunely.errors import AttunelyError, AuthenticationRequired
from attunely.policy import Action, Actor
from attunely.web.cookies import clear_session_cookie, set_session_cookie
from attunely.web.deps import FormDep, OptionalSession, SessionDep, SettingsDep, allow
from attunely.web.errors import status_for
from attunely.web.templating import render

router = APIRouter(include_in_schema=False)


def _safe_next(value: str | None) -> str:
    # Only same-site paths: an open redirect would help phishing.
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _need(current: CurrentSession | None) -> CurrentSession:
    if current is None:
        raise AuthenticationRequired("please sign in")
    return current


@router.get("/login")
def login_page(
    request: Request,
    current: OptionalSession,
    _actor: Annotated[Actor, allow(Action.SESSION_LOGIN)],
    next: str | None = None,
) -> Response:
    """Show the sign-in form."""
    if current is not None and service.mfa_step_for(current.user, current.session) is None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", {"next": _safe_next(next)})


@router.post("/login")
def login_submit(
    request: Request,
    form: FormDep,
    db: SessionDep,
    settings: SettingsDep,
    _actor: Annotated[Actor, allow(Action.SESSION_LOGIN)],
) -> Response:
    """Check the password and continue to the second factor or the page asked for."""
    username = form.get("username", "")[:128]
    target = _safe_next(form.get("next"))
    try:
        result = service.sign_in(
            db, username=username, password=form.get("password", "")[:1024], settings=settings
        )
    except AttunelyError as exc:
        return render(
            request,
            "login.html",
            {"error": exc.message, "username": username, "next": target},
            status_code=status_for(exc),
        )
    goto = "/mfa?next=" + target if result.mfa_step else target
    response = RedirectResponse(goto, status_code=303)
    set_session_cookie(response, result.token, settings)
    return response


@router.post("/logout")
def logout(
    db: SessionDep,
    settings: SettingsDep,
    current: OptionalSession,
    _actor: Annotated[Actor, allow(Action.SESSION_LOGOUT)],
) -> Response:
    """Sign out and return to the sign-in page."""
    service.sign_out(db, current=_need(current))
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, settings)
    return response


def _mfa_context(
    request: Request, db: SessionDep, current: CurrentSession, settings: SettingsDep
) -> dict[str, object]:
    step = service.mfa_step_for(current.user, current.session)
    context: dict[str, object] = {"step": step}
    if step == "enrol" or (step is None and not current.user.totp_enabled):
        key = request.app.state.master_key
        secret = service.pending_secret(current, key) or service.start_enrolment(
            db, current=current, master_key=key
        )
        uri = totp.provisioning_uri(
            secret, username=current.user.username, issuer=settings.mfa_issuer
        )
        context.update(secret=secret, qr_svg=totp.qr_svg(uri), uri=uri, enrolling=True)
    return context


@router.get("/mfa")
def mfa_page(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    current: OptionalSession,
    _actor: Annotated[Actor, allow(Action.SELF_MFA)],
    next: str | None = None,
) -> Response:
    """Ask for a code, or walk through setting up an authenticator app."""
    cur = _need(current)
    context = _mfa_context(request, db, cur, settings)
    context["next"] = _safe_next(next)
    return render(request, "mfa.html", context)


@router.post("/mfa")
def mfa_submit(
    request: Request,
    form: FormDep,
    db: SessionDep,
    settings: SettingsDep,
    current: OptionalSession,
    _actor: Annotated[Actor, allow(Action.SELF_MFA)],
) -> Response:
    """Check a code: confirms a new authenticator or passes the second factor."""
    cur = _need(current)
    code = form.get("code", "")[:12]
    target = _safe_next(form.get("next"))
    key = request.app.state.master_key
    try:
        if cur.user.totp_enabled:
            token = service.verify_mfa(
                db, current=cur, code=code, settings=settings, master_key=key
            )
        else:
            token = service.confirm_enrolment(
                db, current=cur, code=code, settings=settings, master_key=key
            )
    except AttunelyError as exc:
        context = _mfa_context(request, db, cur, settings)
        context.update(error=exc.message, next=target)
        return render(request, "mfa.html", context, status_code=status_for(exc))
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, token, settings)
    return response


@router.get("/account")
def account_page(
    request: Request,
    current: OptionalSession,
    _actor: Annotated[Actor, allow(Action.SELF_VIEW)],
) -> Response:
    """Show the user's roles, teams and second-factor status."""
    cur = _need(current)
    return render(request, "account.html", {"mfa_enabled": cur.user.totp_enabled})

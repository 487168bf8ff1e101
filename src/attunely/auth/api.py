"""JSON routes for signing in and out and the second factor."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Request, Response

from attunely.accounts.models import User
from attunely.auth import service, totp
from attunely.auth.models import WebSession
from attunely.auth.schemas import CodeCreate, CsrfRead, EnrolmentRead, SessionRead, SignInCreate
from attunely.auth.service import CurrentSession
from attunely.errors import AuthenticationRequired
from attunely.policy import Action, Actor
from attunely.web.cookies import clear_session_cookie, set_session_cookie
from attunely.web.deps import PRE_CSRF_COOKIE, OptionalSession, SessionDep, SettingsDep, allow

router = APIRouter(tags=["session"])


def _signed_in(current: CurrentSession | None) -> CurrentSession:
    if current is None:
        raise AuthenticationRequired("please sign in")
    return current


def _read(session: WebSession, user: User) -> SessionRead:
    return SessionRead(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=[r.role for r in user.roles],
        mfa_step=service.mfa_step_for(user, session),
        csrf_token=session.csrf_token,
    )


@router.get("/csrf", response_model=CsrfRead)
def csrf(
    request: Request,
    response: Response,
    settings: SettingsDep,
    current: OptionalSession,
    _actor: Annotated[Actor, allow(Action.PUBLIC_PAGE)],
) -> CsrfRead:
    """Return the anti-forgery token to send as `X-CSRF-Token` with every change."""
    if current is not None:
        return CsrfRead(csrf_token=current.session.csrf_token)
    token = request.cookies.get(PRE_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response.set_cookie(
        PRE_CSRF_COOKIE, token, httponly=True, secure=settings.cookie_secure, samesite="strict"
    )
    return CsrfRead(csrf_token=token)


@router.post("/session", response_model=SessionRead)
def sign_in(
    body: SignInCreate,
    response: Response,
    db: SessionDep,
    settings: SettingsDep,
    _actor: Annotated[Actor, allow(Action.SESSION_LOGIN)],
) -> SessionRead:
    """Sign in with username and password; `mfa_step` says what is still owed."""
    result = service.sign_in(db, username=body.username, password=body.password, settings=settings)
    set_session_cookie(response, result.token, settings)
    return _read(result.session, result.user)


@router.get("/session", response_model=SessionRead)
def who_am_i(
    current: OptionalSession, _actor: Annotated[Actor, allow(Action.SELF_VIEW)]
) -> SessionRead:
    """Describe the signed-in user."""
    cur = _signed_in(current)
    return _read(cur.session, cur.user)


@router.post("/session/mfa", response_model=SessionRead)
def verify_code(
    request: Request,
    body: CodeCreate,
    response: Response,
    db: SessionDep,
    settings: SettingsDep,
    current: OptionalSession,
    _actor: Annotated[Actor, allow(Action.SELF_MFA)],
) -> SessionRead:
    """Pass the second factor with a code from the authenticator app."""
    cur = _signed_in(current)
    token = service.verify_mfa(
        db, current=cur, code=body.code, settings=settings, master_key=request.app.state.master_key
    )
    set_session_cookie(response, token, settings)
    return _read(cur.session, cur.user)


@router.post("/session/mfa/enrolment", response_model=EnrolmentRead)
def start_enrolment(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    current: OptionalSession,
    _actor: Annotated[Actor, allow(Action.SELF_MFA)],
) -> EnrolmentRead:
    """Create an authenticator secret to scan; confirm it with a code next."""
    cur = _signed_in(current)
    secret = service.start_enrolment(db, current=cur, master_key=request.app.state.master_key)
    uri = totp.provisioning_uri(secret, username=cur.user.username, issuer=settings.mfa_issuer)
    return EnrolmentRead(secret=secret, otpauth_uri=uri)


@router.post("/session/mfa/enrolment/confirm", response_model=SessionRead)
def confirm_enrolment(
    request: Request,
    body: CodeCreate,
    response: Response,
    db: SessionDep,
    settings: SettingsDep,
    current: OptionalSession,
    _actor: Annotated[Actor, allow(Action.SELF_MFA)],
) -> SessionRead:
    """Turn the authenticator on with its first code."""
    cur = _signed_in(current)
    token = service.confirm_enrolment(
        db, current=cur, code=body.code, settings=settings, master_key=request.app.state.master_key
    )
    set_session_cookie(response, token, settings)
    return _read(cur.session, cur.user)


@router.delete("/session", status_code=204)
def sign_out(
    response: Response,
    db: SessionDep,
    settings: SettingsDep,
    current: OptionalSession,
    _actor: Annotated[Actor, allow(Action.SESSION_LOGOUT)],
) -> Response:
    """Sign out."""
    service.sign_out(db, current=_signed_in(current))
    out = Response(status_code=204)
    clear_session_cookie(out, settings)
    return out

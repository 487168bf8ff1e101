"""Typed dependencies shared by every route: the database, the session, the policy gate."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from attunely.auth import service as auth
from attunely.auth.service import CurrentSession
from attunely.config import Settings
from attunely.errors import CsrfFailed, MfaRequired
from attunely.guard import require
from attunely.policy import ANONYMOUS, Action, Actor

SESSION_COOKIE = "attunely_session"
PRE_CSRF_COOKIE = "attunely_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: Actions a signed-in user may take before finishing the second-factor step.
PRE_MFA_ACTIONS = frozenset(
    {Action.PUBLIC_PAGE, Action.SESSION_LOGIN, Action.SESSION_LOGOUT, Action.SELF_MFA}
)


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_db(request: Request) -> Iterator[Session]:
    """Give the request one unit of work: committed if the route succeeds, else rolled back."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit before the response goes out, so a failed commit is reported.
SessionDep = Annotated[Session, Depends(get_db, scope="function")]


@dataclass(frozen=True)
class Viewer:
    """Plain facts about the signed-in user for rendering pages.

    A snapshot, not ORM objects: error pages render after the request's session is gone.
    """

    user_id: str
    username: str
    display_name: str
    roles: frozenset[str]
    totp_enabled: bool
    csrf_token: str
    mfa_pending: bool


def get_current_session(
    request: Request, db: SessionDep, settings: SettingsDep
) -> CurrentSession | None:
    """Return the signed-in session for the request's cookie, if any."""
    if not hasattr(request.state, "current_session"):
        token = request.cookies.get(SESSION_COOKIE)
        current = auth.resolve(db, token=token, settings=settings)
        request.state.current_session = current
        request.state.viewer = (
            Viewer(
                user_id=current.user.id,
                username=current.user.username,
                display_name=current.user.display_name,
                roles=frozenset(r.role for r in current.user.roles),
                totp_enabled=current.user.totp_enabled,
                csrf_token=current.session.csrf_token,
                mfa_pending=auth.mfa_step_for(current.user, current.session) is not None,
            )
            if current
            else None
        )
    found: CurrentSession | None = request.state.current_session
    return found


OptionalSession = Annotated[CurrentSession | None, Depends(get_current_session)]


async def submitted_csrf_token(request: Request) -> str | None:
    """Read the anti-forgery token from the header, or from a url-encoded form body."""
    if request.method in SAFE_METHODS:
        return None
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    # Only small url-encoded forms are parsed here; uploads must send the header.
    if content_type.startswith("application/x-www-form-urlencoded"):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


def expected_csrf_token(request: Request, current: CurrentSession | None) -> str | None:
    """The token this browser must echo: its session's, or its pre-sign-in cookie's."""
    if current is not None:
        return current.session.csrf_token
    return request.cookies.get(PRE_CSRF_COOKIE)


class Allow:
    """Route dependency: the policy gate every route must have.

    It names the route's action, refuses actors the policy refuses, holds back users who
    still owe a second factor, and checks the anti-forgery token on state changes.
    """

    def __init__(self, action: Action) -> None:
        self.action = action

    def __repr__(self) -> str:
        return f"Allow({self.action})"

    def __call__(
        self,
        request: Request,
        db: SessionDep,
        current: OptionalSession,
        csrf: Annotated[str | None, Depends(submitted_csrf_token)],
    ) -> Actor:
        if request.method not in SAFE_METHODS and not auth.csrf_matches(
            expected_csrf_token(request, current), csrf
        ):
            raise CsrfFailed("the form expired or came from elsewhere; reload the page and retry")
        actor = current.actor if current else ANONYMOUS
        if current is not None and self.action not in PRE_MFA_ACTIONS:
            step = auth.mfa_step_for(current.user, current.session)
            if step is not None:
                raise MfaRequired(
                    "set up your authenticator app first"
                    if step == "enrol"
                    else "enter the code from your authenticator app"
                )
        require(
            db,
            actor=actor,
            action=self.action,
            object_type="route",
            object_id=request.url.path[:120],
        )
        request.state.policy_action = self.action
        return actor


def allow(action: Action) -> object:
    """Return the `Depends` for a route's policy gate."""
    return Depends(Allow(action))


PublicActor = Annotated[Actor, Depends(Allow(Action.PUBLIC_PAGE))]


class FormFields:
    """The text fields of a url-encoded form."""

    def __init__(self, pairs: list[tuple[str, str]] | None = None) -> None:
        self._pairs = pairs or []

    def get(self, name: str, default: str = "") -> str:
        """Return the first value of a field, or `default`."""
        for key, value in self._pairs:
            if key == name:
                return value
        return default

    def __contains__(self, name: object) -> bool:
        return any(key == name for key, _ in self._pairs)

    def getlist(self, name: str) -> list[str]:
        """Return every value of a field (checkbox groups, multi-selects)."""
        return [value for key, value in self._pairs if key == name]


async def read_form(request: Request) -> FormFields:
    """Parse a url-encoded form body; files are never accepted this way."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return FormFields()
    form = await request.form(max_files=0, max_fields=200)
    return FormFields([(k, v) for k, v in form.multi_items() if isinstance(v, str)])


FormDep = Annotated[FormFields, Depends(read_form)]

"""Sign-in, sessions, second factor and lock-out."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from attunely.accounts.models import User
from attunely.accounts.service import actor_for, find_user_by_username
from attunely.audit import service as audit
from attunely.auth import totp
from attunely.auth.models import LoginThrottle, WebSession
from attunely.auth.passwords import verify_password
from attunely.config import Settings
from attunely.db import utcnow
from attunely.errors import AuthenticationFailed, InvalidInput
from attunely.policy import ANONYMOUS, MFA_REQUIRED_ROLES, Actor

SIGN_IN_FAILED = (
    "Sign-in failed. Check your username and password. After several failed tries "
    "sign-in pauses for a while; try again later."
)
CODE_FAILED = "That code was not accepted. Enter the current 6-digit code from your app."


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _throttle_key(username: str) -> str:
    return hashlib.sha256(b"login:" + username.strip().lower().encode()).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    """A new session: the cookie token, and what the user must still do."""

    token: str
    session: WebSession
    user: User
    #: "verify" (enter a code), "enrol" (set up a second factor first) or None.
    mfa_step: str | None


@dataclass
class CurrentSession:
    """A live session with its user and the policy's view of them."""

    session: WebSession
    user: User
    actor: Actor


def mfa_step_for(user: User, session: WebSession | None = None) -> str | None:
    """Say what second-factor step the user still owes in this session."""
    if session is not None and session.mfa_passed:
        return None
    if user.totp_enabled:
        return "verify"
    if {r.role for r in user.roles} & {str(r) for r in MFA_REQUIRED_ROLES}:
        return "enrol"
    return None


def _throttled(db: Session, *, key: str, now: datetime) -> bool:
    row = db.get(LoginThrottle, key)
    return bool(row and row.locked_until and row.locked_until > now)


def _note_failure(db: Session, *, key: str, settings: Settings, now: datetime) -> None:
    row = db.get(LoginThrottle, key)
    window = timedelta(minutes=settings.login_lockout_minutes)
    if row is None:
        row = LoginThrottle(key=key, failures=0, window_started_at=now)
        db.add(row)
    if now - row.window_started_at > window:
        row.failures = 0
        row.window_started_at = now
    row.failures += 1
    if row.failures >= settings.login_max_failures:
        row.locked_until = now + window


def sign_in(db: Session, *, username: str, password: str, settings: Settings) -> SignedIn:
    """Check a password and open a session; failures are counted, audited and generic."""
    now = utcnow()
    key = _throttle_key(username)
    user = find_user_by_username(db, username=username) if len(username) <= 64 else None
    # Always verify, also for unknown users, so timing does not reveal who exists.
    password_ok = verify_password(user.password_hash if user else None, password)
    locked = _throttled(db, key=key, now=now)
    if user is None or not user.is_active or not password_ok or locked:
        _note_failure(db, key=key, settings=settings, now=now)
        db.commit()
        reason = "locked" if locked else "bad credentials"
        audit.record_failure(
            db,
            actor=actor_for(user) if user else ANONYMOUS,
            action="auth.login",
            object_type="user",
            object_id=user.id if user else "unknown",
            outcome="failure",
            detail={"reason": reason},
        )
        raise AuthenticationFailed(SIGN_IN_FAILED)
    db.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
    token = secrets.token_urlsafe(32)
    session = WebSession(
        token_hash=_hash_token(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        mfa_passed=False,
        created_at=now,
        last_seen_at=now,
    )
    db.add(session)
    db.flush()
    step = mfa_step_for(user, session)
    audit.record(
        db,
        actor=actor_for(user),
        action="auth.login",
        object_type="user",
        object_id=user.id,
        detail={"mfa": step or "not needed"},
    )
    return SignedIn(token=token, session=session, user=user, mfa_step=step)


def resolve(db: Session, *, token: str | None, settings: Settings) -> CurrentSession | None:
    """Return the live session for a cookie token, ending it if it has timed out."""
    if not token or len(token) > 128:
        return None
    session = db.get(WebSession, _hash_token(token))
    if session is None:
        return None
    now = utcnow()
    idle = timedelta(minutes=settings.session_idle_minutes)
    absolute = timedelta(hours=settings.session_absolute_hours)
    user = db.get(User, session.user_id)
    if (
        user is None
        or not user.is_active
        or now - session.last_seen_at > idle
        or now - session.created_at > absolute
    ):
        db.delete(session)
        db.flush()
        return None
    # Touch at most once a minute: a write per request would serialise every read.
    if now - session.last_seen_at > timedelta(minutes=1):
        session.last_seen_at = now
    return CurrentSession(session=session, user=user, actor=actor_for(user))


def _rotate(db: Session, current: CurrentSession) -> str:
    """Replace the session token (after a privilege change) and return the new one."""
    token = secrets.token_urlsafe(32)
    old = current.session
    fresh = WebSession(
        token_hash=_hash_token(token),
        user_id=old.user_id,
        csrf_token=secrets.token_urlsafe(32),
        mfa_passed=True,
        created_at=old.created_at,
        last_seen_at=utcnow(),
    )
    db.delete(old)
    db.add(fresh)
    db.flush()
    current.session = fresh
    return token


def _check_code(
    db: Session, *, user: User, code: str, settings: Settings, master_key: bytes
) -> None:
    if not user.totp_secret_enc:
        raise InvalidInput("no authenticator is set up for this account")
    key = _throttle_key(user.username)
    now = utcnow()
    secret = totp.unseal(user.totp_secret_enc, master_key, user.id)
    step = totp.accepted_step(secret, code, last_step=user.totp_last_step)
    if step is None or _throttled(db, key=key, now=now):
        _note_failure(db, key=key, settings=settings, now=now)
        db.commit()
        audit.record_failure(
            db,
            actor=actor_for(user),
            action="auth.mfa",
            object_type="user",
            object_id=user.id,
            outcome="failure",
        )
        raise AuthenticationFailed(CODE_FAILED, field="code")
    user.totp_last_step = step


def verify_mfa(
    db: Session, *, current: CurrentSession, code: str, settings: Settings, master_key: bytes
) -> str:
    """Accept a one-time code for this session; return the rotated session token."""
    _check_code(db, user=current.user, code=code, settings=settings, master_key=master_key)
    token = _rotate(db, current)
    audit.record(
        db, actor=current.actor, action="auth.mfa", object_type="user", object_id=current.user.id
    )
    return token


def start_enrolment(db: Session, *, current: CurrentSession, master_key: bytes) -> str:
    """Create a new (not yet active) authenticator secret and return it."""
    user = current.user
    if user.totp_enabled and not current.session.mfa_passed:
        raise InvalidInput("confirm your current authenticator code first")
    secret = totp.new_secret()
    if not user.totp_enabled:
        user.totp_secret_enc = totp.seal(secret, master_key, user.id)
        user.totp_last_step = None
    db.flush()
    return secret


def pending_secret(current: CurrentSession, master_key: bytes) -> str | None:
    """Return the secret awaiting confirmation, if enrolment has started."""
    user = current.user
    if user.totp_enabled or not user.totp_secret_enc:
        return None
    return totp.unseal(user.totp_secret_enc, master_key, user.id)


def confirm_enrolment(
    db: Session, *, current: CurrentSession, code: str, settings: Settings, master_key: bytes
) -> str:
    """Turn the authenticator on once the user proves it works; return the rotated token."""
    user = current.user
    if user.totp_enabled:
        raise InvalidInput("an authenticator is already set up")
    _check_code(db, user=user, code=code, settings=settings, master_key=master_key)
    user.totp_enabled = True
    token = _rotate(db, current)
    audit.record(
        db, actor=current.actor, action="auth.mfa_enrol", object_type="user", object_id=user.id
    )
    return token


def disable_mfa(
    db: Session, *, current: CurrentSession, code: str, settings: Settings, master_key: bytes
) -> None:
    """Turn the authenticator off (not allowed for roles that require it)."""
    user = current.user
    if mfa_step_for(user) == "verify" and {r.role for r in user.roles} & {
        str(r) for r in MFA_REQUIRED_ROLES
    }:
        raise InvalidInput("your role requires a second factor; it cannot be turned off")
    _check_code(db, user=user, code=code, settings=settings, master_key=master_key)
    user.totp_enabled = False
    user.totp_secret_enc = None
    audit.record(
        db, actor=current.actor, action="auth.mfa_disable", object_type="user", object_id=user.id
    )


def sign_out(db: Session, *, current: CurrentSession) -> None:
    """End the session."""
    db.delete(current.session)
    audit.record(
        db, actor=current.actor, action="auth.logout", object_type="user", object_id=current.user.id
    )


def csrf_matches(expected: str | None, given: str | None) -> bool:
    """Compare anti-forgery tokens in constant time."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())

"""Signing in: generic failures, lock-out, second factor, sessions, cookies."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from attunely.accounts.models import User
from attunely.audit.models import AuditEntry
from attunely.auth.models import LoginThrottle, WebSession
from attunely.db import utcnow
from attunely.policy import Role
from tests.support.factories import PASSWORD, World


def _fresh(app: FastAPI) -> TestClient:
    client = TestClient(app, base_url="https://testserver")
    client.headers["X-CSRF-Token"] = client.get("/api/csrf").json()["csrf_token"]
    return client


def _login(client: TestClient, username: str, password: str) -> object:
    return client.post("/api/session", json={"username": username, "password": password})


def test_wrong_password_and_unknown_user_look_the_same(app: FastAPI, world: World) -> None:
    user = world.user(Role.GUIDER, team=world.team())
    client = _fresh(app)
    wrong = _login(client, user.username, "not the password at all")
    unknown = _login(client, "nobody-here", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401  # type: ignore[attr-defined]
    assert wrong.json() == unknown.json()  # type: ignore[attr-defined]


def test_lockout_after_repeated_failures_then_recovery(
    app: FastAPI, world: World, db: Session
) -> None:
    user = world.user(Role.GUIDER, team=world.team())
    client = _fresh(app)
    for _ in range(app.state.settings.login_max_failures):
        assert _login(client, user.username, "wrong password!!").status_code == 401  # type: ignore[attr-defined]
    locked = _login(client, user.username, PASSWORD)
    assert locked.status_code == 401, "a locked account must refuse even the right password"  # type: ignore[attr-defined]
    # Time passes: the lock expires and the right password works again.
    db.execute(
        update(LoginThrottle).values(
            locked_until=utcnow() - timedelta(seconds=1),
            window_started_at=utcnow() - timedelta(hours=1),
        )
    )
    db.commit()
    assert _login(client, user.username, PASSWORD).status_code == 200  # type: ignore[attr-defined]
    failures = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "auth.login", AuditEntry.outcome == "failure")
    ).all()
    assert len(failures) == app.state.settings.login_max_failures + 1


def test_admin_must_enrol_a_second_factor_before_anything(
    app: FastAPI, world: World, db: Session
) -> None:
    admin = world.user(Role.ADMIN, mfa=False)
    client = _fresh(app)
    body = _login(client, admin.username, PASSWORD).json()  # type: ignore[attr-defined]
    assert body["mfa_step"] == "enrol"
    client.headers["X-CSRF-Token"] = body["csrf_token"]
    blocked = client.get("/api/users")
    assert blocked.status_code == 401 and blocked.json()["error"]["code"] == "mfa_required"
    secret = client.post("/api/session/mfa/enrolment").json()["secret"]
    # The secret is stored encrypted, never as the base32 text.
    stored = db.scalars(select(User.totp_secret_enc).where(User.id == admin.id)).one()
    assert stored and secret.encode() not in stored
    db.rollback()  # end the read: SQLite transactions hold the write lock
    wrong = client.post("/api/session/mfa/enrolment/confirm", json={"code": "000000"})
    assert wrong.status_code == 401
    done = client.post(
        "/api/session/mfa/enrolment/confirm", json={"code": pyotp.TOTP(secret).now()}
    )
    assert done.status_code == 200, done.text
    client.headers["X-CSRF-Token"] = done.json()["csrf_token"]
    assert client.get("/api/users").status_code == 200


def test_a_code_is_accepted_only_once(app: FastAPI, world: World) -> None:
    dpo = world.user(Role.DPO)
    code = world.code_for(dpo)
    first, second = _fresh(app), _fresh(app)
    for client in (first, second):
        body = _login(client, dpo.username, PASSWORD).json()  # type: ignore[attr-defined]
        client.headers["X-CSRF-Token"] = body["csrf_token"]
    assert first.post("/api/session/mfa", json={"code": code}).status_code == 200
    assert second.post("/api/session/mfa", json={"code": code}).status_code == 401


def test_session_cookie_flags_and_hashed_storage(app: FastAPI, world: World, db: Session) -> None:
    user = world.user(Role.GUIDER, team=world.team())
    response = _login(_fresh(app), user.username, PASSWORD)
    cookie = response.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "attunely_session=" in cookie
    for flag in ("Secure", "HttpOnly", "SameSite=lax"):
        assert flag.lower() in cookie.lower(), flag
    token = re.search(r"attunely_session=([^;]+)", cookie).group(1)  # type: ignore[union-attr]
    stored = db.scalars(select(WebSession.token_hash)).all()
    db.rollback()
    assert token not in stored and len(stored) == 1


def test_idle_and_absolute_timeouts_end_the_session(
    app: FastAPI, world: World, db: Session
) -> None:
    user = world.user(Role.GUIDER, team=world.team())
    client = world.client_for(user)
    assert client.get("/api/session").status_code == 200
    db.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    db.commit()
    assert client.get("/api/session").status_code == 401

    client = world.client_for(user)
    db.execute(update(WebSession).values(created_at=utcnow() - timedelta(hours=13)))
    db.commit()
    assert client.get("/api/cases").status_code == 401


def test_logout_ends_the_session(world: World) -> None:
    user = world.user(Role.GUIDER, team=world.team())
    client = world.client_for(user)
    assert client.delete("/api/session").status_code == 204
    assert client.get("/api/session").status_code == 401


def test_login_form_flow_with_csrf(app: FastAPI, world: World) -> None:
    user = world.user(Role.GUIDER, team=world.team())
    client = TestClient(app, base_url="https://testserver", follow_redirects=False)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    forged = client.post(
        "/login", data={"username": user.username, "password": PASSWORD, "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    bad = client.post(
        "/login",
        data={"username": user.username, "password": "nope nope nope", "csrf_token": token},
    )
    assert bad.status_code == 401 and "Sign-in failed" in bad.text
    good = client.post(
        "/login",
        data={
            "username": user.username,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "https://evil.example/",
        },
    )
    assert good.status_code == 303 and good.headers["location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and "My cases" in home.text


def test_signed_out_pages_redirect_to_login(app: FastAPI) -> None:
    client = TestClient(app, base_url="https://testserver", follow_redirects=False)
    response = client.get("/cases/new")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert client.get("/api/cases").status_code == 401


def test_role_changes_are_audited_and_take_effect(world: World, db: Session) -> None:
    team = world.team()
    admin = world.user(Role.ADMIN)
    guider = world.user(Role.GUIDER, team=team)
    admin_client = world.client_for(admin)
    changed = admin_client.put(f"/api/users/{guider.id}/roles", json={"roles": ["supervisor"]})
    assert changed.status_code == 200 and changed.json()["roles"] == ["supervisor"]
    assert admin_client.put(f"/api/users/{guider.id}/roles", json={"roles": []}).status_code == 422
    assert admin_client.put("/api/users/nobody/roles", json={"roles": ["dpo"]}).status_code == 404
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "user.roles")).one()
    assert entry.object_id == guider.id and entry.actor_id == admin.id
    db.rollback()
    # A guider cannot promote themselves.
    own = world.client_for(world.user(Role.GUIDER, team=team))
    assert own.put(f"/api/users/{guider.id}/roles", json={"roles": ["admin"]}).status_code == 403


def test_openapi_document_is_served_locally(app: FastAPI) -> None:
    client = TestClient(app, base_url="https://testserver")
    spec = client.get("/api/openapi.json").json()
    assert "/api/cases/{case_id}" in spec["paths"]
    page = client.get("/login")
    assert "https://" not in page.text.split("<body>")[0]  # no CDN assets in the head

"""Malformed input of every kind gets a clear 4xx, never a 500."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attunely.policy import Role
from tests.support.factories import World

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=300),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=20), inner, max_size=6)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(
    [
        "reference",
        "programme",
        "kind",
        "display_name",
        "born",
        "status",
        "guider_id",
        "supervisor_id",
        "username",
        "password",
        "roles",
        "teams",
        "code",
        "name",
        "parental_responsibility",
    ]
)
bodies = st.one_of(json_values, st.dictionaries(field_names, json_values, max_size=6))
odd_ids = st.one_of(
    st.text(min_size=1, max_size=80).filter(
        lambda s: "/" not in s and "?" not in s and "#" not in s
    ),
    st.just("0" * 500),
    st.just("%00"),
    st.just("..%2F..%2Fetc"),
)


def _unsafe_routes(app: FastAPI) -> list[tuple[str, str]]:
    found = []
    for context in iter_route_contexts(app.routes):
        for method in (context.methods or set()) - {"GET", "HEAD", "OPTIONS"}:
            found.append((method, str(context.path)))
    return sorted(found)


def _check(response: Any) -> None:
    assert response.status_code < 500, (
        response.request.method,
        response.request.url,
        response.text,
    )
    if response.request.url.path.startswith("/api") and response.status_code >= 400:
        assert response.json()["error"]["message"]


def test_random_json_bodies_never_cause_a_500(app: FastAPI, world: World) -> None:
    team = world.team()
    manager = world.user(Role.MANAGER, team=team, manages=True)
    admin = world.user(Role.ADMIN)
    case = world.case(team)
    clients = [world.client_for(manager), world.client_for(admin)]
    routes = _unsafe_routes(app)

    @settings(
        max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(st.sampled_from(routes), bodies, st.sampled_from([0, 1]), st.booleans())
    def probe(route: tuple[str, str], body: Any, who: int, real_id: bool) -> None:
        method, template = route
        path = template.replace("{case_id}", case.id if real_id else "no-such-case")
        if path.startswith("/api/session") or path in ("/logout", "/login", "/mfa"):
            return  # signing out mid-run would turn the rest into 401s
        _check(clients[who].request(method, path, json=body))

    probe()


def test_odd_ids_and_queries_never_cause_a_500(world: World) -> None:
    team = world.team()
    manager = world.user(Role.MANAGER, team=team, manages=True)
    client = world.client_for(manager)

    @settings(
        max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(odd_ids)
    def probe(value: str) -> None:
        from urllib.parse import quote

        for path in (f"/api/cases/{quote(value)}", f"/cases/{quote(value)}"):
            response = client.get(path)
            assert response.status_code in (404, 422), (path, response.status_code)
        _check(client.get("/api/caseload", params={"team_id": value}))
        _check(client.get("/audit", params={"before": value}))

    probe()


def test_malformed_bodies_and_content_types(world: World) -> None:
    team = world.team()
    guider = world.user(Role.GUIDER, team=team)
    client = world.client_for(guider)
    cases = [
        ("application/json", b"{not json"),
        ("application/json", b"\xff\xfe\x00garbage"),
        ("application/json", b""),
        ("text/plain", b"reference=ABC"),
        ("application/x-www-form-urlencoded", b"reference=%ZZ&&&=="),
        ("application/json", b'{"reference": "' + b"A" * 100_000 + b'", "programme": "vig"}'),
        ("application/json", b'{"reference": "ABC-1", "programme": "vig", "extra": 1}'),
        ("application/json", b'{"reference": "no spaces allowed", "programme": "vig"}'),
        ("application/json", b'{"reference": "ABC-2", "programme": "astrology"}'),
    ]
    for content_type, raw in cases:
        response = client.post("/api/cases", content=raw, headers={"content-type": content_type})
        assert 400 <= response.status_code < 500, (raw[:40], response.status_code, response.text)
        assert response.json()["error"]["message"]
    bad_people = [
        {"kind": "child", "display_name": "No birthday"},
        {"kind": "child", "display_name": "Future", "born": "2999-01-01"},
        {"kind": "child", "display_name": "Bad date", "born": "2024-02-30"},
        {"kind": "caregiver", "display_name": ""},
        {"kind": "pet", "display_name": "Rex"},
        {
            "kind": "child",
            "display_name": "PR child",
            "born": "2025-01-01",
            "parental_responsibility": True,
        },
    ]
    case = world.case(team, guider=guider)
    for body in bad_people:
        response = client.post(f"/api/cases/{case.id}/people", json=body)
        assert response.status_code == 422, (body, response.text)
    assert client.get(f"/api/cases/{case.id}").json()["people"] == []


def test_bad_form_input_redisplays_the_form_with_a_message(app: FastAPI, world: World) -> None:
    import re

    team = world.team()
    guider = world.user(Role.GUIDER, team=team)
    client = world.client_for(guider)
    page = client.get("/cases/new")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/cases/new",
        data={"csrf_token": token, "reference": "x", "programme": "vig", "team_id": team.id},
    )
    assert response.status_code == 422
    assert 'role="alert"' in response.text and "reference" in response.text
    ok = client.post(
        "/cases/new",
        data={"csrf_token": token, "reference": "FORM-1", "programme": "vig", "team_id": team.id},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    case_url = ok.headers["location"]
    child = client.post(
        f"{case_url}/people",
        data={"csrf_token": token, "kind": "child", "display_name": "Baby", "born": "not a date"},
    )
    assert child.status_code == 422 and "born" in child.text
    assert isinstance(client, TestClient)


def test_control_characters_are_refused_everywhere(app: FastAPI, world: World) -> None:
    # PostgreSQL cannot store NUL at all; every entry point must refuse it cleanly.
    team = world.team()
    guider = world.user(Role.GUIDER, team=team)
    client = world.client_for(guider)
    case = world.case(team, guider=guider)
    nul = "A\x00B"
    assert (
        client.post(
            "/api/cases", json={"reference": "NUL-1", "programme": "vig", "concerns_shared": nul}
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"/api/cases/{case.id}/people", json={"kind": "caregiver", "display_name": nul}
        ).status_code
        == 422
    )
    assert client.get("/api/cases/%00").status_code == 404
    assert client.get("/api/caseload", params={"team_id": nul}).status_code == 403
    fresh = TestClient(app, base_url="https://testserver")
    fresh.headers["X-CSRF-Token"] = fresh.get("/api/csrf").json()["csrf_token"]
    login = fresh.post("/api/session", json={"username": nul, "password": "whatever it is"})
    assert login.status_code == 422
    form_login = fresh.post(
        "/login",
        data={
            "username": nul,
            "password": "whatever it is",
            "csrf_token": fresh.headers["X-CSRF-Token"],
        },
    )
    assert form_login.status_code == 401

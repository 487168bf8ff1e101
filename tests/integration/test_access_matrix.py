"""Every route has a policy decision, and nobody reaches a case they have no part in."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from attunely.policy import Role
from attunely.web.deps import Allow
from tests.support.factories import World


def _gates(dependant: Any) -> list[Allow]:
    found: list[Allow] = []
    for dep in dependant.dependencies:
        if isinstance(dep.call, Allow):
            found.append(dep.call)
        found.extend(_gates(dep))
    return found


def api_routes(app: FastAPI) -> list[tuple[str, set[str], APIRoute]]:
    """Every route the app serves, with its full path (included routers are flattened)."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount):
            assert route.path == "/static", f"unexpected mount {route.path}"
            continue
        assert isinstance(route, APIRoute), f"route {route!r} is not an APIRoute"
        found.append((str(context.path), set(context.methods or ()), route))
    return found


def test_every_route_has_exactly_one_policy_gate(app: FastAPI) -> None:
    routes = api_routes(app)
    assert len(routes) > 20
    missing, doubled = [], []
    for path, methods, route in routes:
        gates = _gates(route.dependant)
        if not gates:
            missing.append(f"{sorted(methods)} {path}")
        elif len(gates) > 1:
            doubled.append(f"{sorted(methods)} {path}")
    assert not missing, f"routes without a policy decision: {missing}"
    assert not doubled, f"routes with two policy gates: {doubled}"


def test_gate_detection_would_catch_an_ungated_route(app: FastAPI) -> None:
    # The coverage test must be able to fail: add a route without a gate and look.
    @app.get("/api/ungated-probe")
    def ungated() -> dict[str, str]:
        return {}

    route = next(r for p, _m, r in api_routes(app) if p == "/api/ungated-probe")
    assert _gates(route.dependant) == []


def test_unsafe_routes_refuse_requests_without_csrf_token(app: FastAPI, world: World) -> None:
    user = world.user(Role.GUIDER, team=world.team())
    client = world.client_for(user)
    del client.headers["X-CSRF-Token"]
    unsafe = 0
    for template, methods, _route in api_routes(app):
        for method in methods - {"GET", "HEAD", "OPTIONS"}:
            unsafe += 1
            path = template.replace("{case_id}", "x")
            response = client.request(method, path, json={})
            assert response.status_code == 403, (method, path, response.text)
            assert "form expired" in response.text
    assert unsafe > 10


# What each role may do on a case it is part of ("own") and on another team's case.
ACTIONS = ("view", "edit", "assign", "add_person")
EXPECTED: dict[tuple[Role, str], set[str]] = {
    (Role.GUIDER, "own"): {"view", "edit", "add_person"},
    (Role.TRAINEE_GUIDER, "own"): {"view", "edit", "add_person"},
    (Role.SUPERVISOR, "own"): {"view"},
    (Role.MANAGER, "own"): {"view", "edit", "assign", "add_person"},
    (Role.DPO, "own"): {"view"},
    (Role.ADMIN, "own"): set(),
    (Role.GUIDER, "other"): set(),
    (Role.TRAINEE_GUIDER, "other"): set(),
    (Role.SUPERVISOR, "other"): set(),
    (Role.MANAGER, "other"): set(),
    # The DPO reads any case of the organisation (subject access), and changes none.
    (Role.DPO, "other"): {"view"},
    (Role.ADMIN, "other"): set(),
}


def _attempt(client: TestClient, action: str, case_id: str, staff: dict[str, str]) -> Any:
    if action == "view":
        return client.get(f"/api/cases/{case_id}")
    if action == "edit":
        return client.patch(f"/api/cases/{case_id}", json={"concerns_shared": "changed"})
    if action == "assign":
        return client.put(
            f"/api/cases/{case_id}/assignment",
            json={"guider_id": staff["guider"], "supervisor_id": staff["supervisor"]},
        )
    return client.post(
        f"/api/cases/{case_id}/people", json={"kind": "caregiver", "display_name": "Probe"}
    )


@pytest.mark.parametrize("role", list(Role))
def test_role_by_action_by_case_matrix(world: World, role: Role) -> None:
    north, south = world.team("North"), world.team("South")
    north_guider = world.user(Role.GUIDER, team=north)
    north_super = world.user(Role.SUPERVISOR, team=north)
    south_guider = world.user(Role.GUIDER, team=south)
    south_super = world.user(Role.SUPERVISOR, team=south)

    # The actor holds `role`, placed so that the north case is "own" where that means anything.
    actor = world.user(
        role,
        team=north
        if role in (Role.GUIDER, Role.TRAINEE_GUIDER, Role.SUPERVISOR, Role.MANAGER)
        else None,
        manages=role == Role.MANAGER,
    )
    own = world.case(
        north,
        guider=actor if role in (Role.GUIDER, Role.TRAINEE_GUIDER) else north_guider,
        supervisor=actor if role == Role.SUPERVISOR else north_super,
    )
    other = world.case(south, guider=south_guider, supervisor=south_super)
    staff = {
        "own": {"guider": own.guider_id or "", "supervisor": own.supervisor_id or ""},
        "other": {"guider": south_guider.id, "supervisor": south_super.id},
    }
    client = world.client_for(actor)
    for which, case in (("own", own), ("other", other)):
        allowed = EXPECTED[(role, which)]
        for action in ACTIONS:
            response = _attempt(client, action, case.id, staff[which])
            if action in allowed:
                assert response.status_code in (200, 201), (role, which, action, response.text)
            else:
                assert response.status_code in (403, 404), (role, which, action, response.text)
                assert case.reference not in response.text
                if which == "other" and response.status_code == 403:
                    # 403 only where the role may never do this (decided before any lookup);
                    # otherwise another team's case is not even confirmed to exist.
                    assert action not in EXPECTED[(role, "own")], (role, action)


def test_refused_change_leaves_case_untouched_and_is_audited(world: World, db: Any) -> None:
    from sqlalchemy import select

    from attunely.audit.models import AuditEntry
    from attunely.cases.models import Case

    north, south = world.team(), world.team()
    case = world.case(north, guider=world.user(Role.GUIDER, team=north))
    outsider = world.user(Role.GUIDER, team=south)
    response = world.client_for(outsider).patch(
        f"/api/cases/{case.id}", json={"concerns_shared": "tampered"}
    )
    assert response.status_code == 404
    assert db.get(Case, case.id).concerns_shared == ""
    denied = db.scalars(
        select(AuditEntry).where(AuditEntry.outcome == "denied", AuditEntry.object_id == case.id)
    ).all()
    assert [e.actor_id for e in denied] == [outsider.id]

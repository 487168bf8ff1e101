"""Schemes are versioned (old annotations keep their meaning); who may see and change what."""

from __future__ import annotations

from typing import Any

from attunely.policy import Role
from tests.integration.workspace.conftest import Desk


def _codes(scheme: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(c) for c in scheme["codes"]]


def test_editing_a_scheme_makes_a_new_version_and_old_codes_keep_their_meaning(
    desk: Desk,
) -> None:
    v1 = desk.client.get(f"/api/teams/{desk.team.id}/schemes").json()[0]
    old = desk.annotate(code="guiding", start_frame=5).json()
    codes = [c for c in _codes(v1) if c["code"] != "guiding"]
    codes[0]["name"] = "Attentive to each other"
    codes.append({"code": "naming", "name": "Naming feelings", "type": "point", "key": "n"})
    edit = {"version": 1, "name": v1["name"], "description": "Our team's version", "codes": codes}
    v2 = desk.client.put(f"/api/schemes/{v1['scheme_id']}", json=edit)
    assert v2.status_code == 200, v2.text
    assert v2.json()["version"] == 2 and v2.json()["id"] != v1["id"]
    # An edit made from version 1 now comes too late.
    stale = desk.client.put(f"/api/schemes/{v1['scheme_id']}", json=edit)
    assert stale.status_code == 409 and stale.json()["error"]["current"]["version"] == 2
    body = desk.client.get(f"/api/films/{desk.film_id}/workspace").json()
    assert [s["version"] for s in body["schemes"]] == [2]
    assert [v["id"] for v in body["older_versions"]] == [v1["id"]]
    assert body["annotations"][0]["scheme_version_id"] == v1["id"]
    older = desk.client.get(f"/api/scheme-versions/{v1['id']}").json()
    assert older["current"] is False
    assert "Guiding" in [c["name"] for c in older["codes"]]
    v2_id = v2.json()["id"]
    gone = desk.annotate(code="guiding", start_frame=9, scheme_version_id=v2_id)
    assert gone.status_code == 422 and gone.json()["error"]["field"] == "code"
    assert desk.annotate(code="naming", start_frame=9, scheme_version_id=v2_id).status_code == 201
    assert old["id"] in [a["id"] for a in body["annotations"]]


def test_scheme_input_is_checked(desk: Desk) -> None:
    url = f"/api/teams/{desk.team.id}/schemes"
    base = {"code": "a", "name": "A"}
    bad = [
        {"name": "Empty", "codes": []},
        {"name": "Twice", "codes": [base, base]},
        {"name": "Keys", "codes": [{**base, "key": "x"}, {"code": "b", "name": "B", "key": "x"}]},
        {"name": "Key", "codes": [{**base, "key": ","}]},
        {"name": "Colour", "codes": [{**base, "colour": "red"}]},
        {"name": "Type", "codes": [{**base, "type": "duration"}]},
    ]
    for body in bad:
        response = desk.client.post(url, json=body)
        assert response.status_code == 422, (body, response.text)
    made = desk.client.post(url, json={"name": "Serve and return", "codes": [base]})
    assert made.status_code == 201, made.text
    again = desk.client.post(url, json={"name": "Serve and return", "codes": [base]})
    assert again.status_code == 422 and again.json()["error"]["field"] == "name"
    names = [s["name"] for s in desk.client.get(url).json()]
    assert names == ["Attuned interaction and guidance", "Serve and return"]


def test_who_may_see_and_change_the_coding(desk: Desk) -> None:
    world = desk.world
    made = desk.annotate(code="receiving", start_frame=1)
    assert made.status_code == 201
    annotation_id = made.json()["id"]
    film = f"/api/films/{desk.film_id}/workspace"

    supervisor = world.client_for(desk.supervisor)
    seen = supervisor.get(film)
    assert seen.status_code == 200 and seen.json()["may_edit"] is False
    assert len(seen.json()["annotations"]) == 1
    refused = supervisor.patch(f"/api/annotations/{annotation_id}", json={"revision": 1})
    assert refused.status_code == 403
    assert supervisor.get(f"/films/{desk.film_id}/workspace").status_code == 200

    outsider = world.client_for(world.user(Role.GUIDER, team=world.team()))
    assert outsider.get(film).status_code == 404
    assert outsider.get(f"/films/{desk.film_id}/workspace").status_code == 404
    hidden = outsider.patch(f"/api/annotations/{annotation_id}", json={"revision": 1, "note": "x"})
    assert hidden.status_code == 404
    assert outsider.get(f"/api/teams/{desk.team.id}/schemes").status_code == 404

    # A colleague guider in the same team, not assigned to the case.
    colleague = world.client_for(world.user(Role.GUIDER, team=desk.team))
    assert colleague.get(film).status_code == 404
    assert colleague.get(f"/api/teams/{desk.team.id}/schemes").status_code == 200

    # The team's manager sees that films exist, not what is coded in them.
    manager = world.client_for(world.user(Role.MANAGER, team=desk.team, manages=True))
    assert manager.get(film).status_code == 403
    assert manager.get(f"/api/teams/{desk.team.id}/schemes").status_code == 200

    trainee = world.client_for(world.user(Role.TRAINEE_GUIDER, team=desk.team))
    assert trainee.get(f"/api/teams/{desk.team.id}/schemes").status_code == 200
    assert (
        trainee.post(
            f"/api/teams/{desk.team.id}/schemes",
            json={"name": "Mine", "codes": [{"code": "a", "name": "A"}]},
        ).status_code
        == 403
    )
    after = desk.client.get(film).json()["annotations"]
    assert [a["note"] for a in after] == [""]

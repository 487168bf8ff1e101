"""Cases through the JSON API: open, read, change, add people; outsiders see nothing."""

from __future__ import annotations

from datetime import date

from attunely.policy import Role
from tests.support.factories import World


def test_guider_opens_case_adds_people_and_reads_it(world: World) -> None:
    team = world.team()
    guider = world.user(Role.GUIDER, team=team)
    client = world.client_for(guider)

    created = client.post("/api/cases", json={"reference": "FAM-0001", "programme": "VIPP-SD"})
    assert created.status_code == 201, created.text
    case = created.json()
    assert case["programme"] == "vipp_sd" and case["guider_id"] == guider.id
    assert case["status"] == "referred"

    parent = client.post(
        f"/api/cases/{case['id']}/people",
        json={"kind": "caregiver", "display_name": "Parent", "parental_responsibility": True},
    )
    assert parent.status_code == 201, parent.text
    born = date(date.today().year - 1, date.today().month, 1)
    child = client.post(
        f"/api/cases/{case['id']}/people",
        json={"kind": "child", "display_name": "Baby", "born": born.isoformat()},
    )
    assert child.status_code == 201, child.text
    assert child.json()["age_months"] in (11, 12)

    read = client.get(f"/api/cases/{case['id']}").json()
    assert [p["kind"] for p in read["people"]] == ["caregiver", "child"]
    mine = client.get("/api/cases").json()
    assert [c["reference"] for c in mine] == ["FAM-0001"]


def test_other_team_gets_404_not_403(world: World) -> None:
    north, south = world.team(), world.team()
    owner = world.user(Role.GUIDER, team=north)
    outsider = world.user(Role.GUIDER, team=south)
    case = world.case(north, guider=owner)
    response = world.client_for(outsider).get(f"/api/cases/{case.id}")
    assert response.status_code == 404
    assert case.reference not in response.text
    assert world.client_for(outsider).get("/api/cases/does-not-exist").status_code == 404


def test_status_moves_forward_only(world: World) -> None:
    team = world.team()
    guider = world.user(Role.GUIDER, team=team)
    case = world.case(team, guider=guider)
    client = world.client_for(guider)
    assert client.patch(f"/api/cases/{case.id}", json={"status": "active"}).status_code == 422
    assert client.patch(f"/api/cases/{case.id}", json={"status": "assessment"}).status_code == 200
    assert client.patch(f"/api/cases/{case.id}", json={"status": "active"}).status_code == 200
    assert client.patch(f"/api/cases/{case.id}", json={"status": "referred"}).status_code == 422


def test_duplicate_reference_is_a_conflict(world: World) -> None:
    team = world.team()
    guider = world.user(Role.GUIDER, team=team)
    client = world.client_for(guider)
    assert (
        client.post("/api/cases", json={"reference": "DUP-1", "programme": "vig"}).status_code
        == 201
    )
    again = client.post("/api/cases", json={"reference": "DUP-1", "programme": "vig"})
    assert again.status_code == 409
    assert again.json()["error"]["field"] == "reference"

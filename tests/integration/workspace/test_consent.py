"""The workspace follows consent: codes and clips describe footage, so the same purpose rules."""

from __future__ import annotations

from tests.integration.workspace.conftest import Desk


def test_withdrawn_supervision_closes_the_workspace_to_the_supervisor(desk: Desk) -> None:
    supervisor = desk.world.client_for(desk.supervisor)
    assert desk.annotate(code="receiving", start_frame=3).status_code == 201
    assert supervisor.get(f"/api/films/{desk.film_id}/workspace").status_code == 200
    people = desk.client.get(f"/api/cases/{desk.case_id}").json()["people"]
    withdrawn = desk.client.post(
        f"/api/cases/{desk.case_id}/consents/withdraw",
        json={"person_id": people[0]["id"], "purposes": ["supervision"]},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    refused = supervisor.get(f"/api/films/{desk.film_id}/workspace")
    assert refused.status_code == 403 and refused.json()["error"]["purpose"] == "supervision"
    # The guider works on: feedback with the family is still agreed.
    assert desk.client.get(f"/api/films/{desk.film_id}/workspace").status_code == 200

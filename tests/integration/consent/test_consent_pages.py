"""The consent page: the guider records a witnessed consent and withdraws one purpose."""

from __future__ import annotations

from datetime import date

from attunely.policy import Role
from tests.support.factories import World


def test_record_and_withdraw_on_the_consent_page(world: World) -> None:
    team = world.team()
    guider = world.user(Role.GUIDER, team=team)
    supervisor = world.user(Role.SUPERVISOR, team=team)
    case = world.case(team, guider=guider, supervisor=supervisor)
    mum = world.person(case, kind="caregiver", display_name="Mum Z", parental_responsibility=True)
    client = world.client_for(guider)
    assert f"/cases/{case.id}/consent" in client.get(f"/cases/{case.id}").text
    page = client.get(f"/cases/{case.id}/consent")
    assert page.status_code == 200 and "nothing may be filmed" in page.text
    form = {
        "person_id": mum,
        "basis": "consent",
        "method": "witnessed_typed_name",
        "given_by": "Mum Z",
        "text_sha256": client.get("/api/consent-text").json()["sha256"],
        "given_on": date.today().isoformat(),
    }
    none = client.post(f"/cases/{case.id}/consent", data=form)
    assert none.status_code == 422 and "purposes" in none.text
    fields = {**form, "purposes": ["filming_feedback", "supervision"]}
    done = client.post(f"/cases/{case.id}/consent", data=fields, follow_redirects=False)
    assert done.status_code == 303, done.text
    shown = client.get(f"/cases/{case.id}/consent").text
    assert shown.count(">current<") == 2 and f"witnessed by {guider.display_name}" in shown
    visit = {"filmed_on": "2026-11-01", "setting": "home"}
    assert client.post(f"/api/cases/{case.id}/filming-sessions", json=visit).status_code == 201

    gone = client.post(
        f"/cases/{case.id}/consent/withdraw",
        data={"person_id": mum, "purpose": "supervision"},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    shown = client.get(f"/cases/{case.id}/consent").text
    assert shown.count(">current<") == 1 and "withdrawn " + date.today().isoformat() in shown

    # The supervisor reads the page but has no forms; posting is refused.
    watching = world.client_for(supervisor)
    seen = watching.get(f"/cases/{case.id}/consent")
    assert seen.status_code == 200 and "record-consent" not in seen.text
    assert "consent/withdraw" not in seen.text
    refused = watching.post(
        f"/cases/{case.id}/consent/withdraw", data={"person_id": mum, "purpose": "filming_feedback"}
    )
    assert refused.status_code == 403

"""Who may share, list and revoke; the link needs no account, and outsiders learn nothing."""

from __future__ import annotations

from attunely.policy import Role
from tests.integration.sharing.conftest import Sharing, visitor


def test_the_supervisor_may_share_and_the_manager_and_dpo_may_only_oversee(
    sharing: Sharing,
) -> None:
    world = sharing.world
    supervisor = world.client_for(sharing.supervisor)
    made = supervisor.post("/api/shares", json=sharing.body())
    assert made.status_code == 201, made.text
    share_id = made.json()["share"]["id"]
    assert made.json()["share"]["created_by"] == sharing.supervisor.id
    team = world.team()
    manager = world.user(Role.MANAGER, team=team, manages=True)
    dpo = world.user(Role.DPO)
    dpo_client = world.client_for(dpo)
    for client in (world.client_for(manager), dpo_client):
        refused = client.post("/api/shares", json=sharing.body())
        assert refused.status_code == 403, refused.text
    # The DPO of the organisation oversees every case's shares, and can stop one.
    listed = dpo_client.get(f"/api/cases/{sharing.case_id}/shares")
    assert listed.status_code == 200 and [s["id"] for s in listed.json()] == [share_id]
    revoked = dpo_client.post(f"/api/shares/{share_id}/revoke", json={"reason": "no agreement"})
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"


def test_people_outside_the_case_learn_nothing(sharing: Sharing) -> None:
    made = sharing.share()
    assert made.status_code == 201, made.text
    share_id = made.json()["share"]["id"]
    other = sharing.world.user(Role.GUIDER, team=sharing.world.team())
    outsider = sharing.world.client_for(other)
    assert outsider.post("/api/shares", json=sharing.body()).status_code == 404
    assert outsider.get(f"/api/shares/{share_id}").status_code == 404
    assert outsider.get(f"/api/films/{sharing.film_id}/shares").status_code == 404
    assert outsider.get(f"/api/cases/{sharing.case_id}/shares").status_code == 404
    assert outsider.post(f"/api/shares/{share_id}/revoke", json={}).status_code == 404
    assert outsider.get(f"/films/{sharing.film_id}/shares").status_code == 404
    # Without an account, the API and the guider's pages ask for a sign-in; only links work.
    guest = visitor(sharing.app)
    assert guest.get(f"/api/shares/{share_id}").status_code == 401
    assert guest.get(f"/films/{sharing.film_id}/shares", follow_redirects=False).status_code == 303


def test_a_link_not_yet_rendered_says_so(sharing: Sharing) -> None:
    made = sharing.share()
    guest = visitor(sharing.app)
    page = guest.get(made.json()["link"])
    assert page.status_code == 409 and "being prepared" in page.text
    assert guest.get(made.json()["link"] + "/clip.mp4").status_code == 409

"""The scheme pages: the team's list, and the editor filled with the newest version."""

from __future__ import annotations

import json
import re

from attunely.policy import Role
from tests.integration.workspace.conftest import Desk


def embedded(html: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="se-start">(.*?)</script>', html, re.S)
    assert found, html[:2000]
    return dict(json.loads(found.group(1)))


def test_the_editor_starts_from_the_newest_version_and_escapes_it(desk: Desk) -> None:
    v1 = desk.client.get(f"/api/teams/{desk.team.id}/schemes").json()[0]
    listed = desk.client.get(f"/teams/{desk.team.id}/schemes")
    assert listed.status_code == 200, listed.text
    assert f'href="/schemes/{v1["scheme_id"]}/edit"' in listed.text
    assert f'href="/teams/{desk.team.id}/schemes/new"' in listed.text

    # A name that would end the page's script element if it were not escaped.
    codes = [dict(c) for c in v1["codes"]]
    codes[0]["name"] = "Attentive </script><b>bold</b>"
    saved = desk.client.put(
        f"/api/schemes/{v1['scheme_id']}",
        json={"version": 1, "name": v1["name"], "description": "", "codes": codes},
    )
    assert saved.status_code == 200, saved.text
    page = desk.client.get(f"/schemes/{v1['scheme_id']}/edit")
    assert page.status_code == 200, page.text
    assert "</script><b>" not in page.text
    start = embedded(page.text)
    assert start["version"] == 2
    rows = start["codes"]
    assert isinstance(rows, list) and rows[0]["name"] == "Attentive </script><b>bold</b>"
    assert "Version 2" in page.text and "Version 1" in page.text
    assert "Save as version 3" in page.text

    blank = desk.client.get(f"/teams/{desk.team.id}/schemes/new")
    assert blank.status_code == 200
    assert embedded(blank.text)["version"] == 0


def test_who_may_see_and_change_the_schemes(desk: Desk) -> None:
    scheme_id = desk.client.get(f"/api/teams/{desk.team.id}/schemes").json()[0]["scheme_id"]
    trainee = desk.world.client_for(desk.world.user(Role.TRAINEE_GUIDER, team=desk.team))
    seen = trainee.get(f"/teams/{desk.team.id}/schemes")
    assert seen.status_code == 200
    assert "/edit" not in seen.text and "New scheme" not in seen.text
    assert trainee.get(f"/schemes/{scheme_id}/edit").status_code == 403
    assert trainee.get(f"/teams/{desk.team.id}/schemes/new").status_code == 403
    outsider = desk.world.client_for(desk.world.user(Role.GUIDER, team=desk.world.team()))
    for url in (
        f"/teams/{desk.team.id}/schemes",
        f"/schemes/{scheme_id}/edit",
        f"/teams/{desk.team.id}/schemes/new",
    ):
        assert outsider.get(url).status_code in (403, 404), url
    assert desk.client.get("/schemes/not-an-id/edit").status_code == 404

"""The guider's pages: share a clip from the film, see the link once, list and revoke."""

from __future__ import annotations

import re
from datetime import date, timedelta

from tests.integration.sharing.conftest import Sharing, run_render, visitor


def _form(sharing: Sharing, **fields: str) -> dict[str, str]:
    body = {k: str(v) for k, v in sharing.body().items()}
    body.update(fields)
    return body


def test_share_from_the_film_page_then_revoke_from_the_case_page(sharing: Sharing) -> None:
    client = sharing.client
    film_page = client.get(f"/films/{sharing.film_id}")
    assert 'id="open-shares"' in film_page.text
    page = client.get(f"/films/{sharing.film_id}/shares?clip={sharing.clip_id}")
    assert page.status_code == 200, page.text
    assert 'id="share-form"' in page.text and "Turn-taking" in page.text
    assert f'value="{sharing.clip_id}" selected' in page.text
    made = client.post(f"/films/{sharing.film_id}/shares", data=_form(sharing))
    assert made.status_code == 201, made.text
    found = re.search(r'value="https://testserver(/s/[A-Za-z0-9_-]+)"', made.text)
    assert found, made.text
    link = found.group(1)
    share_id = client.get(f"/api/films/{sharing.film_id}/shares").json()[0]["id"]
    run_render(sharing.app, sharing.settings, share_id)
    assert visitor(sharing.app).get(link).status_code == 200
    listing = client.get(f"/cases/{sharing.case_id}/shares")
    assert listing.status_code == 200
    assert "Dr Ada Example" in listing.text and "Active" in listing.text
    # The link itself is never shown again.
    film_listing = client.get(f"/films/{sharing.film_id}/shares")
    assert link not in listing.text and link not in film_listing.text
    revoked = client.post(
        f"/shares/{share_id}/revoke", data={"back": "case"}, follow_redirects=False
    )
    assert revoked.status_code == 303
    assert revoked.headers["location"] == f"/cases/{sharing.case_id}/shares"
    assert "Revoked" in client.get(f"/cases/{sharing.case_id}/shares").text
    gone = visitor(sharing.app).get(link)
    assert gone.status_code == 404 and 'id="share-gone"' in gone.text


def test_a_refused_share_keeps_what_was_typed(sharing: Sharing) -> None:
    too_late = (date.today() + timedelta(days=120)).isoformat()
    refused = sharing.client.post(
        f"/films/{sharing.film_id}/shares",
        data=_form(sharing, expires_on=too_late, recipient_name="Dr Kept Name"),
    )
    assert refused.status_code == 422
    assert "at most 90 days" in refused.text
    assert 'value="Dr Kept Name"' in refused.text
    assert sharing.client.get(f"/api/films/{sharing.film_id}/shares").json() == []

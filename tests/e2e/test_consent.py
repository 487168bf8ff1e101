"""Consent in a real browser on a tablet: record a witnessed consent, withdraw a purpose,
and filming is refused at once."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.support.film_site import FilmSite, film_site, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FilmSite]:
    with film_site(tmp_path_factory.mktemp("consent")) as running:
        yield running


def test_record_and_withdraw_consent_on_a_tablet(browser: Browser, site: FilmSite) -> None:
    context = browser.new_context(
        base_url=site.base_url, viewport={"width": 800, "height": 1280}, locale="en-GB"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, site.guider, site.password)
    page.goto(f"/cases/{site.case_id}")
    page.click("#consent-link")
    expect(page.locator("h1")).to_contain_text("Consent for case")
    rows = page.locator("#consent-table tbody tr")
    expect(rows).to_have_count(2)  # the seeded paper consent: feedback and supervision

    parent = site.people["Parent A"]
    page.select_option("#person_id", parent)
    page.locator("fieldset.purposes label", has_text="Training events").locator("input").check()
    page.fill("#given_by", "Parent A")
    page.fill("#text_version", "2026-11")
    page.click("#record-consent button[type=submit]")
    expect(rows).to_have_count(3)
    training = page.locator("tr[data-purpose=training]")
    expect(training.locator(".consent-status")).to_have_text("current")
    expect(training).to_contain_text("witnessed by")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 800, f"the consent page scrolls sideways on a tablet ({width}px)"

    page.get_by_role(
        "button", name="Withdraw Filming and feedback with the family for Parent A"
    ).click()
    feedback = page.locator("tr[data-purpose=filming_feedback]")
    expect(feedback.locator(".consent-status")).to_have_text(re.compile(r"^withdrawn "))

    token = page.locator("meta[name=csrf-token]").get_attribute("content") or ""
    refused = page.context.request.post(
        f"/api/cases/{site.case_id}/filming-sessions",
        headers={"X-CSRF-Token": token},
        data={"filmed_on": "2026-11-01", "setting": "home", "filmed_people": [parent]},
    )
    assert refused.status == 403, refused.text()
    assert refused.json()["error"]["purpose"] == "filming_feedback"
    assert "Parent A" not in refused.text()
    context.close()

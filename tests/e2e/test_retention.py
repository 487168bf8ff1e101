"""The DPO's retention page in real Chromium: sign in with a second factor, put a case on
legal hold with a reason, see it listed, lift it with a reason; the page has no serious
accessibility findings and no sideways scroll on a tablet."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Browser, Page, ViewportSize, expect

from attunely.app import create_app
from attunely.config import Settings, reset_settings_cache
from attunely.db import upgrade
from attunely.policy import Role
from tests.support import server as app_server
from tests.support.factories import PASSWORD, World

pytestmark = pytest.mark.e2e

TABLET: ViewportSize = {"width": 768, "height": 1024}
REFERENCE = "HOLD-0001"


@dataclass(frozen=True)
class Office:
    base_url: str
    dpo: str
    secret: str


def _seed(data_dir: Path) -> dict[str, str]:
    settings = Settings(data_dir=data_dir, database_url=None)
    upgrade(settings)
    app = create_app(settings)
    try:
        world = World(app)
        team = world.team("Records Team")
        guider = world.user(Role.GUIDER, team=team, username="gwen", mfa=False)
        world.case(team, guider=guider, reference=REFERENCE)
        dpo = world.user(Role.DPO, username="dora")
        return {"dpo": dpo.username, "secret": world.totp_secrets[dpo.id]}
    finally:
        app.state.engine.dispose()
        reset_settings_cache()


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    root = tmp_path_factory.mktemp("retention")
    seeded = _seed(root / "data")
    running = app_server.start(root / "data", log_path=root / "server.log")
    try:
        yield Office(base_url=running.base_url, **seeded)
    finally:
        running.stop()
    assert "unhandled" not in running.log_tail(100_000), running.log_tail()


def _serious_findings(page: Page) -> list[str]:
    results: dict[str, Any] = Axe().run(page).response
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_the_dpo_sets_and_lifts_a_legal_hold(browser: Browser, office: Office) -> None:
    context = browser.new_context(base_url=office.base_url, viewport=TABLET, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", office.dpo)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/mfa"))
    page.fill("#code", pyotp.TOTP(office.secret).now())
    page.click("form[action='/mfa'] button[type=submit]")
    expect(page).to_have_url(office.base_url + "/")

    page.click("nav >> text=Retention")
    expect(page).to_have_url(re.compile(r"/retention$"))
    expect(page.locator("h1")).to_have_text("Retention and erasure")
    expect(page.locator("#holds")).to_contain_text("No legal holds.")
    assert _serious_findings(page) == []
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0

    page.fill("#hold-case", REFERENCE)
    page.fill("#hold-reason", "Court order 2026/77")
    page.click("#set-hold button[type=submit]")
    expect(page).to_have_url(re.compile(r"/retention#holds$"))
    row = page.locator("#hold-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Court order 2026/77")
    expect(row).to_contain_text(REFERENCE)
    expect(row).to_contain_text("whole case")

    row.locator("input[name=reason]").fill("Order discharged")
    row.locator("button[type=submit]").click()
    expect(page.locator("#holds")).to_contain_text("No legal holds.")
    context.close()

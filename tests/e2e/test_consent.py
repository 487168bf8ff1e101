"""Consent in real Chromium on a tablet: the guider reads the form with a parent, the parent
signs on the pad (mouse and touch), supervision is withdrawn, and the supervisor, signed in on
another device, is refused the film at once while the guider still plays it."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from attunely.app import create_app
from attunely.config import Settings, reset_settings_cache
from attunely.db import upgrade
from attunely.policy import Role
from tests.support import media_files
from tests.support import server as app_server
from tests.support.factories import PASSWORD, World
from tests.support.film_site import sign_in

pytestmark = pytest.mark.e2e

LANDSCAPE: ViewportSize = {"width": 1024, "height": 768}
PORTRAIT: ViewportSize = {"width": 768, "height": 1024}


@dataclass(frozen=True)
class Family:
    base_url: str
    guider: str
    guider_name: str
    supervisor: str
    case_id: str
    parent: str


def _seed(data_dir: Path) -> dict[str, str]:
    """A case with a parent and a baby, and no consent yet: nothing may be filmed."""
    settings = Settings(data_dir=data_dir, database_url=None)
    upgrade(settings)
    app = create_app(settings)
    try:
        world = World(app)
        team = world.team("Consent Team")
        guider = world.user(Role.GUIDER, team=team, username="gwen", mfa=False)
        supervisor = world.user(Role.SUPERVISOR, team=team, username="sol", mfa=False)
        case = world.case(team, guider=guider, supervisor=supervisor, reference="SIGN-0001")
        parent = world.person(
            case, kind="caregiver", display_name="Parent A", parental_responsibility=True
        )
        world.person(
            case, kind="child", display_name="Baby B", born=date.today() - timedelta(days=200)
        )
        return {
            "guider": guider.username,
            "guider_name": guider.display_name,
            "supervisor": supervisor.username,
            "case_id": case.id,
            "parent": parent,
        }
    finally:
        app.state.engine.dispose()
        reset_settings_cache()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Family]:
    root = tmp_path_factory.mktemp("consent")
    seeded = _seed(root / "data")
    running = app_server.start(root / "data", log_path=root / "server.log")
    try:
        yield Family(base_url=running.base_url, **seeded)
    finally:
        running.stop()
    assert "unhandled" not in running.log_tail(100_000), running.log_tail()


def _tablet(browser: Browser, site: Family) -> BrowserContext:
    context = browser.new_context(
        base_url=site.base_url, viewport=LANDSCAPE, has_touch=True, locale="en-GB"
    )
    context.set_default_timeout(15_000)
    return context


def _api(page: Page, method: str, path: str, **kwargs: Any) -> Any:
    token = page.locator("meta[name=csrf-token]").get_attribute("content") or ""
    headers = {"X-CSRF-Token": token, **kwargs.pop("headers", {})}
    return page.context.request.fetch(path, method=method, headers=headers, **kwargs)


def _upload_film(page: Page, site: Family) -> str:
    data = media_files.normal_film(width=320, height=240, seconds=1.0)
    visit = {"filmed_on": "2026-11-01", "setting": "home", "activity": "blocks"}
    made = _api(page, "POST", f"/api/cases/{site.case_id}/filming-sessions", data=visit)
    assert made.status == 201, made.text()
    upload = _api(
        page,
        "POST",
        f"/api/filming-sessions/{made.json()['id']}/uploads",
        data={"label": "Blocks", "size": len(data)},
    ).json()
    octets = {"Content-Type": "application/octet-stream"}
    _api(page, "PUT", f"/api/uploads/{upload['id']}/parts/0", data=data, headers=octets)
    digest = {"sha256": hashlib.sha256(data).hexdigest()}
    film = _api(page, "POST", f"/api/uploads/{upload['id']}/complete", data=digest).json()
    deadline = time.monotonic() + 60
    while film["state"] == "processing" and time.monotonic() < deadline:
        time.sleep(0.3)
        film = _api(page, "GET", f"/api/films/{film['id']}").json()
    assert film["state"] == "ready", film
    return str(film["id"])


def _draw_with_mouse(page: Page, points: list[tuple[float, float]]) -> None:
    page.locator("#signature-canvas").scroll_into_view_if_needed()
    box = page.locator("#signature-canvas").bounding_box()
    assert box is not None
    x0, y0 = box["x"], box["y"]
    page.mouse.move(x0 + points[0][0], y0 + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x0 + x, y0 + y, steps=6)
    page.mouse.up()


def _draw_with_finger(page: Page, points: list[tuple[float, float]]) -> None:
    """Touch the pad as a finger does (real touch events, not mouse ones)."""
    page.locator("#signature-canvas").scroll_into_view_if_needed()
    box = page.locator("#signature-canvas").bounding_box()
    assert box is not None
    cdp = page.context.new_cdp_session(page)
    at = [{"x": box["x"] + x, "y": box["y"] + y} for x, y in points]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [at[0]]})
    for point in at[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def _serious_findings(page: Page) -> list[str]:
    """Run axe-core (bundled with axe-playwright-python, no network) on the page."""
    results: dict[str, Any] = Axe().run(page).response
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _sideways_scroll(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def test_sign_on_the_tablet_withdraw_supervision_and_the_supervisor_is_refused(
    browser: Browser, site: Family
) -> None:
    guiding = _tablet(browser, site)
    page = guiding.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, site.guider, PASSWORD)
    page.goto(f"/cases/{site.case_id}/consent")
    expect(page.locator("#consents")).to_contain_text("nothing may be filmed")

    # The plain-language form is shown first; the full version is folded away.
    plain = page.locator("#consent-plain")
    expect(plain).to_contain_text("You can change your mind")
    expect(plain).to_contain_text("Who can see it: the guider's supervisor.")
    expect(page.locator("#consent-full p").first).to_be_hidden()
    page.locator("#consent-full summary").click()
    expect(page.locator("#consent-full")).to_contain_text("AES-256-GCM")
    assert _serious_findings(page) == []

    page.select_option("#person_id", site.parent)
    for label in ("Filming and feedback with the family", "Supervision of the guider"):
        page.locator("fieldset.purposes label", has_text=label).locator("input").check()
    page.fill("#given_by", "Parent A")
    canvas = page.locator("#signature-canvas")
    expect(canvas).to_be_visible()
    assert canvas.get_attribute("aria-labelledby") == "signature-label"
    expect(page.get_by_role("button", name="Clear signature")).to_be_visible()

    # Sending without signing is refused with words the guider can act on.
    page.click("#record-consent button[type=submit]")
    expect(page.locator("#form-error")).to_contain_text("the signature is empty")
    expect(page.locator("#given_by")).to_have_value("Parent A")

    # A slip, cleared; then a signature drawn with the mouse and finished with a finger.
    _draw_with_mouse(page, [(30, 40), (200, 150)])
    expect(page.locator("#signature-status")).to_have_text("Signed")
    page.get_by_role("button", name="Clear signature").click()
    expect(page.locator("#signature-status")).to_have_text("Not signed yet")
    assert page.locator("#signature").input_value() == ""
    _draw_with_mouse(page, [(40, 150), (90, 60), (140, 160), (200, 70)])
    _draw_with_finger(page, [(260, 120), (300, 80), (340, 150), (420, 110)])
    expect(page.locator("#signature-status")).to_have_text("Signed")
    strokes = page.evaluate("JSON.parse(document.getElementById('signature').value).strokes")
    assert len(strokes) == 2 and all(len(s) >= 6 for s in strokes), strokes
    assert _sideways_scroll(page) <= 0
    page.set_viewport_size(PORTRAIT)  # the tablet is turned: the drawing is kept, scaled
    expect(canvas).to_be_visible()
    assert _sideways_scroll(page) <= 0
    assert len(page.evaluate("JSON.parse(document.getElementById('signature').value).strokes")) == 2
    page.set_viewport_size(LANDSCAPE)
    page.click("#record-consent button[type=submit]")

    rows = page.locator("#consent-table tbody tr")
    expect(rows).to_have_count(2)
    supervision = page.locator("tr[data-purpose=supervision]")
    expect(supervision.locator(".consent-status")).to_have_text("current")
    expect(supervision).to_contain_text(f"drawn signature, witnessed by {site.guider_name}")

    # The record shows the words given and redraws the signature.
    supervision.get_by_role("link").click()
    expect(page.locator("#given-plain")).to_contain_text("Your guider has a supervisor.")
    expect(page.locator("svg.signature-drawn path")).to_have_count(2)
    expect(page.locator("#how-given")).to_contain_text("drawn signature")
    page.go_back()

    film = _upload_film(page, site)
    watching = _tablet(browser, site)
    supervisor = watching.new_page()
    sign_in(supervisor, site.supervisor, PASSWORD)
    played = supervisor.request.get(f"/api/films/{film}/proxy", headers={"Range": "bytes=0-99"})
    assert played.status in (200, 206), played.text()

    page.get_by_role("button", name="Withdraw Supervision of the guider for Parent A").click()
    expect(supervision.locator(".consent-status")).to_have_text(re.compile(r"^withdrawn "))

    refused = supervisor.request.get(f"/api/films/{film}/proxy", headers={"Range": "bytes=0-99"})
    assert refused.status == 403, refused.text()
    assert refused.json()["error"]["purpose"] == "supervision"
    assert "Parent A" not in refused.text()
    # The family still works with their guider: feedback was not withdrawn.
    still = page.request.get(f"/api/films/{film}/proxy", headers={"Range": "bytes=0-99"})
    assert still.status in (200, 206)
    assert errors == []
    watching.close()
    guiding.close()

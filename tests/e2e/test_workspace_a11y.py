"""Issue 5 in real Chromium: axe-core finds no serious or critical problem on any workspace
page; state codes are coded by touching and holding their buttons (two at once); the
workspace photographed at tablet and laptop sizes.

axe-core is the copy bundled in the `axe-playwright-python` wheel (no network needed).
Set ATTUNELY_UPDATE_SCREENSHOTS=1 to copy the screenshots into docs/screenshots/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, ViewportSize, expect

from tests.e2e.test_workspace import api, open_workspace, saved, shown, upload_ready_film
from tests.support.film_site import FilmSite, film_site, sign_in

pytestmark = pytest.mark.e2e

TABLET: ViewportSize = {"width": 1280, "height": 800}
LAPTOP: ViewportSize = {"width": 1440, "height": 900}
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
BAD = {"serious", "critical"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FilmSite]:
    with film_site(tmp_path_factory.mktemp("workspace-a11y")) as running:
        yield running


@pytest.fixture
def film_id(browser: Browser, site: FilmSite) -> str:
    """A ready film of the test's own."""
    context = browser.new_context(base_url=site.base_url)
    page = context.new_page()
    sign_in(page, site.guider, site.password)
    made = upload_ready_film(page, site)
    context.close()
    return made


@pytest.fixture
def guider(browser: Browser, site: FilmSite) -> Iterator[tuple[BrowserContext, Page]]:
    context = browser.new_context(
        base_url=site.base_url, viewport=LAPTOP, locale="en-GB", has_touch=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, site.guider, site.password)
    yield context, page
    context.close()


def serious(page: Page) -> list[str]:
    """Run axe-core on the page as it stands; describe each serious or critical finding."""
    results: dict[str, Any] = Axe().run(page).response
    found = []
    for violation in results["violations"]:
        if violation["impact"] in BAD:
            targets = [" ".join(map(str, n["target"])) for n in violation["nodes"]][:5]
            found.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return found


def test_axe_finds_nothing_serious_on_the_workspace_pages(
    guider: tuple[BrowserContext, Page], film_id: str
) -> None:
    _, page = guider
    open_workspace(page, film_id)
    # Something in every list, so their controls are checked too.
    page.keyboard.press("3")
    page.keyboard.press("1")
    page.click("#ws-make-still")
    page.keyboard.press("Escape")
    page.keyboard.press("]")
    page.keyboard.press(".")
    page.keyboard.press("]")
    page.click("#ws-make-clip")
    saved(page)
    page.click("#workspace summary")
    assert serious(page) == []
    # The check sees real problems: an unnamed control put on the page is reported.
    page.evaluate(
        "() => { const i = document.createElement('input'); i.id = 'canary';"
        " document.getElementById('ws-codes').appendChild(i); }"
    )
    assert any(f.startswith("label (critical)") for f in serious(page)), serious(page)
    page.evaluate("() => document.getElementById('canary').remove()")
    # The same page at a tablet size lays out differently.
    page.set_viewport_size(TABLET)
    assert serious(page) == []

    # The film's own page, which leads to the workspace.
    page.goto(f"/films/{film_id}")
    assert serious(page) == []


def touch(cdp: CDPSession, kind: str, points: list[tuple[float, float]]) -> None:
    """Put fingers down (or lift them) through Chromium's own touch input."""
    cdp.send(
        "Input.dispatchTouchEvent",
        {"type": kind, "touchPoints": [{"x": x, "y": y} for x, y in points]},
    )


def centre(page: Page, selector: str) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_touch_and_hold_codes_two_states_at_one_instant(
    guider: tuple[BrowserContext, Page], film_id: str
) -> None:
    _, page = guider
    page.set_viewport_size(TABLET)
    open_workspace(page, film_id)
    page.click("#ws-fwd1")
    assert shown(page, 30) == 30
    attentive = ".ws-code[data-code=attentive]"
    deepening = ".ws-code[data-code=deepening]"
    page.locator(deepening).scroll_into_view_if_needed()
    fingers = [centre(page, attentive), centre(page, deepening)]
    cdp = page.context.new_cdp_session(page)
    touch(cdp, "touchStart", fingers)
    expect(page.locator(attentive)).to_have_attribute("aria-pressed", "true")
    expect(page.locator(deepening)).to_have_attribute("aria-pressed", "true")
    # While both are held, the film moves on eight frames (the guider steps with the keys).
    for _ in range(8):
        page.keyboard.press(".")
    assert shown(page, 38) == 38
    touch(cdp, "touchEnd", [])
    expect(page.locator(attentive)).to_have_attribute("aria-pressed", "false")
    expect(page.locator(deepening)).to_have_attribute("aria-pressed", "false")
    saved(page)
    stored = api(page, "GET", f"/api/films/{film_id}/workspace").json()
    coded = {(a["code"], a["start_frame"], a["end_frame"]) for a in stored["annotations"]}
    assert {("attentive", 30, 39), ("deepening", 30, 39)} <= coded

    # A quick tap on a state leaves it running (start); a second tap stops it.
    page.keyboard.press(".")
    assert shown(page, 39) == 39
    page.locator(attentive).tap()
    expect(page.locator(attentive)).to_have_attribute("aria-pressed", "true")
    page.keyboard.press(".")
    page.keyboard.press(".")
    assert shown(page, 41) == 41
    page.locator(attentive).tap()
    expect(page.locator(attentive)).to_have_attribute("aria-pressed", "false")
    saved(page)
    stored = api(page, "GET", f"/api/films/{film_id}/workspace").json()
    coded = {(a["code"], a["start_frame"], a["end_frame"]) for a in stored["annotations"]}
    assert ("attentive", 39, 42) in coded


def test_screenshots_at_tablet_and_laptop_sizes(
    guider: tuple[BrowserContext, Page], film_id: str, tmp_path: Path
) -> None:
    _, page = guider
    for name, viewport in (
        ("workspace-tablet-1280x800", TABLET),
        ("workspace-laptop-1440x900", LAPTOP),
    ):
        page.set_viewport_size(viewport)
        open_workspace(page, film_id)
        page.click("#ws-fwd1")
        assert shown(page, 30) == 30
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], f"the workspace scrolls sideways at {viewport}: {widths}"
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path))
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if os.environ.get("ATTUNELY_UPDATE_SCREENSHOTS") == "1":
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, SCREENSHOT_DIR / path.name)

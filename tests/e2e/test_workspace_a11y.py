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

from tests.e2e.test_workspace import open_workspace, saved, shown, upload_ready_film
from tests.support.film_site import FilmSite, api, film_site, sign_in

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


def api_json(page: Page, method: str, path: str, **kwargs: Any) -> Any:
    """Call the API as the signed-in page would; the JSON answer (None for 204)."""
    response = api(page, method, path, **kwargs)
    return response.json() if response.status != 204 else None


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

    # The regions panel open, boxes drawn over the picture.
    page.set_viewport_size(LAPTOP)
    page.click("#ws-regions summary")
    if page.is_enabled("#ws-regions-proposed"):
        page.click("#ws-regions-proposed")
    assert serious(page) == []

    # The film's own page, which leads to the workspace; the scheme and helping-question pages.
    team_id = api_json(page, "GET", f"/api/films/{film_id}/workspace")["team_id"]
    scheme_id = api_json(page, "GET", f"/api/teams/{team_id}/schemes")[0]["scheme_id"]
    case_id = api_json(page, "GET", f"/api/films/{film_id}")["case_id"]
    for url in (
        f"/films/{film_id}",
        f"/teams/{team_id}/schemes",
        f"/schemes/{scheme_id}/edit",
        f"/teams/{team_id}/schemes/new",
        f"/cases/{case_id}/helping-questions",
    ):
        page.goto(url)
        assert serious(page) == [], url


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
    stored = api_json(page, "GET", f"/api/films/{film_id}/workspace")
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
    stored = api_json(page, "GET", f"/api/films/{film_id}/workspace")
    coded = {(a["code"], a["start_frame"], a["end_frame"]) for a in stored["annotations"]}
    assert ("attentive", 39, 42) in coded


def test_screenshots_at_tablet_and_laptop_sizes(
    guider: tuple[BrowserContext, Page], film_id: str, tmp_path: Path
) -> None:
    _, page = guider
    # Something coded, a clip and the regions over the picture, so the pictures show them.
    page.set_viewport_size(LAPTOP)
    open_workspace(page, film_id)
    page.click("#ws-fwd1")
    assert shown(page, 30) == 30
    page.keyboard.press("3")
    page.keyboard.press("2")
    page.keyboard.press("[")
    page.keyboard.down("1")
    for _ in range(20):
        page.keyboard.press(".")
    page.keyboard.up("1")
    page.keyboard.press("]")
    page.click("#ws-make-clip")
    page.keyboard.type("Building together")
    blur = "() => document.activeElement && document.activeElement.blur()"
    page.evaluate(blur)
    api_json(
        page,
        "PUT",
        f"/api/films/{film_id}/regions",
        data={
            "revision": 0,
            "adult": {"x": 0.05, "y": 0.15, "w": 0.45, "h": 0.8},
            "child": {"x": 0.55, "y": 0.35, "w": 0.35, "h": 0.6},
        },
    )
    saved(page)
    for name, viewport in (
        ("workspace-tablet-1280x800", TABLET),
        ("workspace-laptop-1440x900", LAPTOP),
    ):
        page.set_viewport_size(viewport)
        open_workspace(page, film_id)
        page.click("#ws-fwd1")
        assert shown(page, 30) == 30
        page.click("#ws-regions summary")
        expect(page.locator(".ws-region-child")).to_be_visible()
        page.evaluate(blur)
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


def test_a_team_edits_its_scheme_and_codes_with_the_new_version(
    guider: tuple[BrowserContext, Page], film_id: str
) -> None:
    _, page = guider
    page.goto(f"/films/{film_id}/workspace")
    team_id = api_json(page, "GET", f"/api/films/{film_id}/workspace")["team_id"]
    page.goto(f"/teams/{team_id}/schemes")
    page.locator("#schemes a", has_text="Edit").first.click()
    form = page.locator("#scheme-edit")
    expect(form).to_have_attribute("data-ready", "1")
    rows = page.locator("#se-codes > li")
    expect(rows).to_have_count(6)
    # Two codes may not share a key: told at once, and nothing is saved.
    rows.nth(1).locator("[data-name=key]").fill("1")
    page.click("#se-save")
    expect(page.locator("#se-notice")).to_contain_text("The key 1 is given to both")
    expect(rows.nth(1).locator("[data-name=key]")).to_be_focused()
    rows.nth(1).locator("[data-name=key]").fill("w")
    page.click("#se-add")
    new = rows.nth(6)
    expect(new.locator("[data-name=name]")).to_be_focused()
    page.keyboard.type("Naming feelings")
    new.locator("[data-name=type]").select_option("state")
    new.locator("[data-name=key]").fill("n")
    new.locator("[data-name=behaviours]").fill("Puts the child's feeling into words")
    page.click("#se-save")
    expect(page.locator("#se-status")).to_have_text("Saved as version 2.")
    versions = api_json(page, "GET", f"/api/teams/{team_id}/schemes")
    codes = {c["code"]: c for c in versions[0]["codes"]}
    assert versions[0]["version"] == 2
    assert codes["naming_feelings"]["type"] == "state" and codes["naming_feelings"]["key"] == "n"
    assert codes["encouraging"]["key"] == "w"

    # In the workspace the new version codes by its keys: hold n while two frames pass.
    open_workspace(page, film_id)
    expect(page.locator(".ws-code[data-code=naming_feelings] .ws-key")).to_have_text("n")
    page.keyboard.down("n")
    page.keyboard.press(".")
    page.keyboard.press(".")
    assert shown(page, 2) == 2
    page.keyboard.up("n")
    saved(page)
    stored = api_json(page, "GET", f"/api/films/{film_id}/workspace")["annotations"]
    assert [(a["code"], a["start_frame"], a["end_frame"]) for a in stored] == [
        ("naming_feelings", 0, 3)
    ]
    assert stored[0]["scheme_version_id"] == versions[0]["id"]


def test_regions_drawn_on_the_picture_and_motion_measured_again(
    guider: tuple[BrowserContext, Page], film_id: str
) -> None:
    _, page = guider
    open_workspace(page, film_id)
    page.click("#ws-regions summary")
    layer = page.locator(".ws-region-layer")
    expect(layer).to_be_visible()

    def drag(x0: float, y0: float, x1: float, y1: float) -> None:
        layer.scroll_into_view_if_needed()
        area = layer.bounding_box()
        assert area is not None
        page.mouse.move(area["x"] + x0 * area["width"], area["y"] + y0 * area["height"])
        page.mouse.down()
        page.mouse.move(area["x"] + x1 * area["width"], area["y"] + y1 * area["height"], steps=6)
        page.mouse.up()

    drag(0.1, 0.2, 0.4, 0.8)
    page.check("input[name=ws-region-who][value=child]")
    drag(0.55, 0.4, 0.9, 0.9)
    expect(page.locator("#ws-regions-status")).to_have_text("Regions saved.")
    expect(page.locator("#ws-regions-measure")).to_be_enabled()
    stored = api_json(page, "GET", f"/api/films/{film_id}/regions")
    assert stored["adult"] == pytest.approx([0.1, 0.2, 0.3, 0.6], abs=0.02)
    assert stored["child"] == pytest.approx([0.55, 0.4, 0.35, 0.5], abs=0.02)
    assert stored["frame"] == 0

    # Keyboard: a focused box moves one hundredth with an arrow (time does not move).
    page.locator(".ws-region-adult").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#ws-frame")).to_have_text("0")
    expect(page.locator("#ws-regions-status")).to_have_text("Regions saved.")
    page.wait_for_function(
        "(r) => JSON.parse(document.getElementById('workspace').dataset.regions).revision > r",
        arg=stored["revision"],
    )
    moved = api_json(page, "GET", f"/api/films/{film_id}/regions")
    assert moved["adult"][0] == pytest.approx(stored["adult"][0] + 0.01, abs=0.001)

    # Measured again by the server's own job; the panel says what was found.
    page.click("#ws-regions-measure")
    expect(page.locator("#ws-regions")).to_have_attribute("data-motion", "done", timeout=60_000)
    expect(page.locator("#ws-regions-status")).to_contain_text("Movement measured")
    expect(page.locator("#ws-regions-status")).to_contain_text("in these regions")
    result = api_json(page, "GET", f"/api/films/{film_id}/regions/motion")
    assert result["regions"]["adult"] == moved["adult"]
    assert len(result["motion"]["adult"]) == 60  # 6 s at 10 a second


def test_a_clip_names_the_parents_helping_question(
    guider: tuple[BrowserContext, Page], film_id: str, site: FilmSite
) -> None:
    _, page = guider
    page.goto(f"/cases/{site.case_id}/helping-questions")
    page.fill("#hq-text", "How can I help him settle at bedtime?")
    page.click("#hq-new button[type=submit]")
    expect(page.locator("#hq-list > li")).to_have_count(1)
    open_workspace(page, film_id)
    page.keyboard.press("[")
    for _ in range(4):
        page.keyboard.press(".")
    page.keyboard.press("]")
    page.click("#ws-make-clip")
    clip = page.locator("#ws-clips > li").first
    clip.locator(".ws-helping").select_option(label="How can I help him settle at bedtime?")
    saved(page)
    question = api_json(page, "GET", f"/api/cases/{site.case_id}/helping-questions")[0]
    clips = api_json(page, "GET", f"/api/films/{film_id}/workspace")["clips"]
    assert [c["helping_question_id"] for c in clips] == [question["id"]]
    page.reload()
    open_workspace(page, film_id)
    expect(page.locator("#ws-clips .ws-helping")).to_have_value(question["id"])

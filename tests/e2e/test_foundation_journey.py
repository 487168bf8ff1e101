"""Issue 2 in a real browser: sign in, enrol TOTP, open a case with its family, sign out;
someone from another team cannot open it; an admin must enrol before anything else.

Screenshots of the case page at tablet and laptop sizes are taken on every run (and their
layout checked); set ATTUNELY_UPDATE_SCREENSHOTS=1 to copy them into docs/screenshots/.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from datetime import date
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from tests.e2e.conftest import Site

pytestmark = pytest.mark.e2e

TABLET: ViewportSize = {"width": 800, "height": 1280}
LAPTOP: ViewportSize = {"width": 1366, "height": 768}
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CASE_REF = "E2E-0001"


def new_page(browser: Browser, site: Site, viewport: ViewportSize = LAPTOP) -> Page:
    context: BrowserContext = browser.new_context(
        base_url=site.base_url, viewport=viewport, locale="en-GB"
    )
    context.set_default_timeout(10_000)
    return context.new_page()


def sign_in(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form[action='/login'] button[type=submit]")


def sign_out(page: Page) -> None:
    page.click("form[action='/logout'] button")
    expect(page).to_have_url(re.compile(r"/login$"))


def months_before(today: date, months: int) -> date:
    """The first day of the month `months` before this one: exactly `months` old today."""
    index = today.year * 12 + (today.month - 1) - months
    return date(index // 12, index % 12 + 1, 1)


def next_step_code(secret: str) -> str:
    # The code of the coming 30-second step: the server accepts one step of clock drift,
    # and its replay guard refuses any step at or before the last one used.
    return pyotp.TOTP(secret).at(time.time() + 30)


def wrong_code(secret: str) -> str:
    """A six-digit code that no step within the server's drift window accepts."""
    totp, now = pyotp.TOTP(secret), time.time()
    near = {totp.at(now + drift) for drift in (-60, -30, 0, 30, 60)}
    return next(code for code in ("000000", "111111", "222222") if code not in near)


def assert_no_sideways_scroll(page: Page) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"page scrolls sideways: {widths}"


def screenshot_case(page: Page, name: str, viewport: ViewportSize, out: Path) -> None:
    page.set_viewport_size(viewport)
    page.evaluate("() => window.scrollTo(0, 0)")
    expect(page.locator("#people-table")).to_be_visible()
    assert_no_sideways_scroll(page)
    # Everything a practitioner taps must be big enough for a finger on a tablet.
    for control in page.locator("main button, main summary, main select, main input:visible").all():
        if control.is_visible():
            box = control.bounding_box()
            assert box is not None and box["height"] >= 40, f"small tap target: {box}"
    path = out / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("ATTUNELY_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SCREENSHOT_DIR / path.name)


def test_case_journey_and_other_team_cannot_open_it(
    browser: Browser, site: Site, tmp_path: Path
) -> None:
    page = new_page(browser, site, TABLET)

    # Signed out, a page sends you to the sign-in form and back afterwards.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    sign_in(page, site.guider, site.password)
    expect(page).to_have_url(site.base_url + "/")
    expect(page.locator("h1")).to_have_text("My cases")

    # Chromium keeps the Secure session cookie on http://127.0.0.1 (a secure context).
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["attunely_session"]
    assert session["secure"] is True
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"

    # Enrol an authenticator from the account page.
    page.goto("/account")
    expect(page.locator("#mfa-status")).to_have_text("Off")
    page.click("#enrol-mfa")
    expect(page).to_have_url(re.compile(r"/mfa\?next=/account$"))
    secret = page.locator("#totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    page.fill("#code", wrong_code(secret))
    page.click("form[action='/mfa'] button[type=submit]")
    expect(page.locator("#form-error")).to_be_visible()
    expect(page.locator("#totp-secret")).to_have_text(secret)
    enrolment_code = pyotp.TOTP(secret).now()
    page.fill("#code", enrolment_code)
    page.click("form[action='/mfa'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.locator("#mfa-status")).to_have_text("On")

    # Open a case with a pseudonymous reference.
    page.goto("/")
    page.click("#new-case")
    expect(page).to_have_url(re.compile(r"/cases/new$"))
    page.fill("#reference", CASE_REF)
    page.select_option("#programme", label="VIPP-SD")
    page.select_option("#supervisor_id", label=site.supervisor_name)
    page.fill("#suitability", "Parent keen to take part; settled at home.")
    page.click("form[action='/cases/new'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/cases/[^/]+$"))
    case_url = page.url
    case_id = case_url.rsplit("/", 1)[1]
    expect(page.locator("#case-ref")).to_have_text(CASE_REF)
    expect(page.locator("#case-status")).to_have_text("referred")
    expect(page.locator("dl.facts")).to_contain_text("VIPP-SD")
    expect(page.locator("dl.facts")).to_contain_text(site.supervisor_name)
    expect(page.locator("#people .empty")).to_be_visible()

    # A caregiver with parental responsibility...
    page.click("#people summary")
    page.select_option("#kind", "caregiver")
    page.fill("#display_name", "Parent A")
    page.check("#parental_responsibility")
    page.click("#add-person button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/cases/{case_id}#people$"))
    expect(page.locator("#people-table tbody tr")).to_have_count(1)

    # ...and a child with a date of birth, whose age shows in months.
    born = months_before(date.today(), 8)
    page.click("#people summary")
    page.select_option("#kind", "child")
    page.fill("#display_name", "Baby B")
    page.fill("#born", born.isoformat())
    page.click("#add-person button[type=submit]")
    rows = page.locator("#people-table tbody tr")
    expect(rows).to_have_count(2)
    cells = [[cell.strip() for cell in row.locator("td").all_inner_texts()] for row in rows.all()]
    assert sorted(cells) == sorted(
        [["Parent A", "caregiver", "", "yes"], ["Baby B", "child", "8 months", ""]]
    )

    # Usable on a 10-inch tablet and on a laptop.
    screenshot_case(page, "case-tablet", TABLET, tmp_path)
    screenshot_case(page, "case-laptop", LAPTOP, tmp_path)

    # The new case is on the guider's start page.
    page.goto("/")
    expect(page.get_by_role("link", name=CASE_REF)).to_have_attribute("href", f"/cases/{case_id}")

    sign_out(page)
    page.goto(case_url)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.locator("body")).not_to_contain_text(CASE_REF)

    # Signing in again now asks for a code; the code already used is refused (no replay).
    sign_in(page, site.guider, site.password)
    expect(page).to_have_url(re.compile(r"/mfa\?next=/$"))
    expect(page.locator("h1")).to_have_text("Enter your code")
    page.fill("#code", enrolment_code)
    page.click("form[action='/mfa'] button[type=submit]")
    expect(page.locator("#form-error")).to_be_visible()
    page.fill("#code", next_step_code(secret))
    page.click("form[action='/mfa'] button[type=submit]")
    expect(page).to_have_url(site.base_url + "/")
    sign_out(page)
    page.context.close()

    # A guider of another team: not found, and nothing about the case shows.
    other = new_page(browser, site, LAPTOP)
    sign_in(other, site.outsider, site.password)
    expect(other).to_have_url(site.base_url + "/")
    expect(other.locator("body")).not_to_contain_text(CASE_REF)
    response = other.goto(case_url)
    assert response is not None and response.status == 404
    expect(other.locator("h1")).to_have_text("Not found")
    assert CASE_REF not in other.content()
    assert "Parent A" not in other.content() and "Baby B" not in other.content()
    api = other.context.request.get(f"/api/cases/{case_id}")
    assert api.status == 404
    assert CASE_REF not in api.text()
    other.context.close()


def test_admin_must_enrol_before_anything_else(browser: Browser, site: Site) -> None:
    page = new_page(browser, site, LAPTOP)

    # A wrong password gets a message that does not say whether the user exists.
    sign_in(page, site.admin, "not the password at all")
    expect(page.locator("#form-error")).to_be_visible()
    wrong_password = page.locator("#form-error").inner_text()
    sign_in(page, "nobody-by-this-name", "not the password at all")
    expect(page.locator("#form-error")).to_have_text(wrong_password)

    sign_in(page, site.admin, site.password)
    expect(page).to_have_url(re.compile(r"/mfa\?next=/$"))
    expect(page.locator("h1")).to_have_text("Set up your authenticator app")
    secret = page.locator("#totp-secret").inner_text().strip()
    expect(page.locator("nav[aria-label=Main]")).to_have_count(0)

    # Every other page sends the admin back to enrolment.
    for path in ("/", "/admin/users", "/audit", "/account"):
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/mfa$"))
        expect(page.locator("#totp-secret")).to_have_text(secret)
    api = page.context.request.get("/api/users")
    assert api.status == 401

    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("form[action='/mfa'] button[type=submit]")
    expect(page).to_have_url(site.base_url + "/")
    page.goto("/admin/users")
    expect(page.locator("h1")).to_have_text("People and teams")
    expect(page.locator("nav[aria-label=Main]")).to_be_visible()
    page.context.close()

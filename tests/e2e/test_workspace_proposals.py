"""Issue 5 in real Chromium: proposed moments in the workspace.

A synthetic film with a child's and an adult's voices taking turns is uploaded; the server
transcodes it and its own background analysis proposes moments. The guider opens the
workspace (while the analysis runs the panel says so, and fills in when it is done), sees
the analysis tracks and the proposals, accepts one (it becomes a coded event) and rejects
another with a reason, reloads and finds both reviews, the coded event and the counts; takes
a decision back while offline and finds it sent; then corrects a speaker and sees the turns
counted again.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from attunely.synth import FilmSpec, generate_film
from attunely.workspace.analysis_view import apply_corrections, recount, segments_of
from tests.support.film_site import FilmSite, api, film_site, sign_in

pytestmark = pytest.mark.e2e

#: Two minutes of film: the analysis proposes about one moment a minute.
SECONDS = 120


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FilmSite]:
    with film_site(tmp_path_factory.mktemp("proposals")) as running:
        yield running


def upload_film(page: Page, site: FilmSite, data: bytes) -> str:
    """Upload a film and wait until the server has made it playable (its analysis follows)."""
    session = api(
        page,
        "POST",
        f"/api/cases/{site.case_id}/filming-sessions",
        data={"filmed_on": "2026-11-01", "setting": "home", "activity": "talking and play"},
    ).json()
    upload = api(
        page,
        "POST",
        f"/api/filming-sessions/{session['id']}/uploads",
        data={"label": "Talking and play", "size": len(data)},
    ).json()
    for offset in range(0, len(data), 4 * 1024 * 1024):
        api(
            page,
            "PUT",
            f"/api/uploads/{upload['id']}/parts/{offset}",
            data=data[offset : offset + 4 * 1024 * 1024],
            headers={"Content-Type": "application/octet-stream"},
        )
    film = api(
        page,
        "POST",
        f"/api/uploads/{upload['id']}/complete",
        data={"sha256": hashlib.sha256(data).hexdigest()},
    ).json()
    deadline = time.monotonic() + 120
    while film["state"] == "processing" and time.monotonic() < deadline:
        time.sleep(0.5)
        film = api(page, "GET", f"/api/films/{film['id']}").json()
    assert film["state"] == "ready", film
    return str(film["id"])


def test_accept_and_reject_proposals_then_find_them_after_a_reload(
    browser: Browser, site: FilmSite, tmp_path: Path
) -> None:
    made = generate_film(tmp_path / "talk.mp4", FilmSpec(seed=5, duration_s=SECONDS))
    context = browser.new_context(
        base_url=site.base_url, viewport={"width": 1366, "height": 900}, locale="en-GB"
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    sign_in(page, site.guider, site.password)
    film_id = upload_film(page, site, made.path.read_bytes())

    # Opened while the analysis runs, the panel says so, then fills in without a reload.
    page.goto(f"/films/{film_id}/workspace")
    panel = page.locator("#ws-proposals")
    page.wait_for_function("document.getElementById('ws-proposals').dataset.status !== 'loading'")
    if panel.get_attribute("data-status") == "analysing":
        expect(page.locator("#ws-proposal-status")).to_contain_text("analysis is running")
    expect(panel).to_have_attribute("data-status", "ready", timeout=400_000)
    body = api(page, "GET", f"/api/films/{film_id}/proposals").json()
    assert len(body["proposals"]) >= 2, body
    items = page.locator("#ws-proposal-list > li.ws-proposal")
    expect(items.first).to_be_visible()
    count = items.count()
    assert count >= 2
    expect(page.locator("#ws-proposal-counts")).to_have_text(
        f"0 accepted · 0 rejected · {count} still to look at, of {count} proposed"
    )
    tracks = page.evaluate("() => Attunely.workspace.timeline.data.tracks.map(t => t.name)")
    assert tracks[:2] == ["Adult speech", "Child speech"] and tracks[2].startswith("Turns (")
    assert "Movement" in tracks and tracks[-1] == "Proposed moments"

    first, second = items.nth(0), items.nth(1)
    first_id = first.get_attribute("data-id")
    second_id = second.get_attribute("data-id")
    principle = first.locator(".ws-name").inner_text()
    # Jump to the moment: the player goes to its first frame and selects it.
    first.locator(".ws-go").click()
    expect(page.locator("#ws-sel")).not_to_have_text("none")
    first.locator(".ws-accept").click()
    second.locator("input[id^=ws-why-]").fill("the reply came from the television")
    second.locator(".ws-reject").click()
    saved(page)
    expect(panel).to_have_attribute("data-accepted", "1")
    expect(panel).to_have_attribute("data-rejected", "1")
    expect(page.locator(f"#ws-events li .ws-name:text-is('{principle}')")).to_have_count(1)

    page.reload()
    expect(panel).to_have_attribute("data-status", "ready")
    saved(page)
    accepted = page.locator(f"#ws-proposal-list > li[data-id='{first_id}']")
    rejected = page.locator(f"#ws-proposal-list > li[data-id='{second_id}']")
    expect(accepted).to_have_attribute("data-decision", "accepted")
    expect(accepted.locator(".ws-coded")).to_contain_text("clip candidate")
    expect(rejected).to_have_attribute("data-decision", "rejected")
    expect(rejected).to_contain_text("Reason: the reply came from the television")
    expect(page.locator("#ws-proposal-counts")).to_have_text(
        f"1 accepted · 1 rejected · {count - 2} still to look at, of {count} proposed"
    )
    expect(page.locator(f"#ws-events li .ws-name:text-is('{principle}')")).to_have_count(1)
    page.screenshot(path=str(tmp_path / "proposals.png"), full_page=True)
    counts = api(page, "GET", f"/api/films/{film_id}/proposals").json()["counts"]
    assert (counts["accepted"], counts["rejected"]) == (1, 1)

    # Offline, taking a decision back waits in the browser and is sent once back online.
    context.set_offline(True)
    rejected.locator(".ws-reopen").click()
    expect(page.locator("#workspace")).to_have_attribute("data-sync", "offline", timeout=10_000)
    expect(rejected).to_have_attribute("data-decision", "open")
    context.set_offline(False)
    saved(page)
    page.reload()
    expect(panel).to_have_attribute("data-status", "ready")
    expect(rejected).to_have_attribute("data-decision", "open")
    expect(panel).to_have_attribute("data-rejected", "0")
    expect(panel).to_have_attribute("data-accepted", "1")

    # The workspace recounts turns with the analysis' own rule: untouched, it agrees with
    # what the analysis sealed.
    sealed = api(page, "GET", f"/api/films/{film_id}/analysis").json()
    segments, _ = apply_corrections(segments_of(sealed), {})
    assert sum(len(c.turns) for c in recount(segments)) == sealed["turns"]["count"] > 0

    # Who spoke: correct the first stretch of speech; the turns are counted again.
    page.locator("#ws-speech summary").click()
    segment = page.locator("#ws-speech-list > li").first
    select = segment.locator("select.ws-speaker")
    other = "CHILD" if select.input_value() == "ADULT" else "ADULT"
    select.select_option(other)
    corrected = page.locator("#ws-speech-list > li").first
    expect(corrected).to_have_class("ws-item ws-segment ws-corrected")
    body = api(page, "GET", f"/api/films/{film_id}/proposals").json()
    assert body["corrections"] == 1 and body["segments"][0]["speaker"] == other
    expect(page.locator("#ws-speech")).to_have_attribute("data-turns", str(body["turn_count"]))
    assert problems == [], problems
    context.close()


def saved(page: Page) -> None:
    expect(page.locator("#workspace")).to_have_attribute("data-sync", "saved", timeout=20_000)

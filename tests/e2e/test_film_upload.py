"""Issue 3 in a real browser: a film uploaded through the upload page survives dropped
connections (one part lost on the way, one answer lost on the way back), is checked end to
end with the page's own SHA-256, is processed by the server's job workers and plays.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    FilePayload,
    Page,
    Route,
    ViewportSize,
    expect,
)

from tests.support import media_files
from tests.support.film_site import FilmSite, fill_visit, film_site, sign_in

pytestmark = pytest.mark.e2e

TABLET: ViewportSize = {"width": 800, "height": 1280}
LAPTOP: ViewportSize = {"width": 1366, "height": 768}
# The page's first part: small, so a weak line resends little (the film is ~600 KB).
FIRST_PART = 256 * 1024
FILM_URL = re.compile(r"/films/[0-9a-f-]{36}$")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FilmSite]:
    with film_site(tmp_path_factory.mktemp("film-upload")) as running:
        yield running


def film_file(name: str, data: bytes) -> FilePayload:
    """A file for the page's file input, given from memory (never written to disk)."""
    return {"name": name, "mimeType": "video/mp4", "buffer": data}


def new_page(browser: Browser, site: FilmSite, viewport: ViewportSize) -> Page:
    context: BrowserContext = browser.new_context(
        base_url=site.base_url, viewport=viewport, locale="en-GB"
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def test_upload_resumes_after_drops_and_the_film_plays(browser: Browser, site: FilmSite) -> None:
    data = media_files.normal_film()
    assert len(data) > 2 * FIRST_PART, "the film must need several parts"
    page = new_page(browser, site, TABLET)
    # The pages' scripts and styles are all files: the CSP forbids anything inline.
    blocked: list[str] = []
    page.on(
        "console",
        lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
    )
    sign_in(page, site.guider, site.password)

    page.goto(f"/cases/{site.case_id}")
    expect(page.locator("#films .empty")).to_have_text("No films yet.")
    page.click("#upload-film")
    expect(page).to_have_url(re.compile(rf"/cases/{site.case_id}/films/new$"))

    # Every part the page sends; the second attempt is lost before reaching the server, the
    # third reaches it but its answer is lost: the page must re-sync and carry on from the
    # server's offset, not from its own idea of it.
    puts: list[int] = []
    outcome: list[str] = []

    def drop_some(route: Route) -> None:
        offset = int(route.request.url.rsplit("/", 1)[1])
        puts.append(offset)
        if len(puts) == 2:
            outcome.append("lost on the way")
            route.abort("connectionreset")
        elif len(puts) == 3:
            arrived = route.fetch()
            outcome.append(f"stored ({arrived.status}), answer lost")
            route.abort("connectionreset")
        else:
            outcome.append("sent")
            route.continue_()

    page.route("**/api/uploads/*/parts/*", drop_some)
    syncs: list[str] = []
    page.on(
        "request",
        lambda r: (
            syncs.append(r.url)
            if r.method == "GET" and re.search(r"/api/uploads/[^/]+$", r.url)
            else None
        ),
    )

    fill_visit(page, activity="bath time", people=["Parent A", "Baby B"])
    page.set_input_files("#film-file", files=[film_file("bath-time.mp4", data)])
    expect(page.locator("#label")).to_have_value("bath-time")
    page.click("#upload-start")
    expect(page.locator("#upload-warning")).to_contain_text("connection dropped")
    expect(page).to_have_url(FILM_URL, timeout=30_000)
    film_id = page.url.rsplit("/", 1)[1]

    assert puts == [0, FIRST_PART, FIRST_PART], (puts, outcome)
    assert outcome[2] == "stored (200), answer lost", outcome
    assert len(syncs) >= 2, "the page must ask the server where the upload stands"

    # Processing happens on the server's own workers; the page follows it and reloads.
    expect(page.locator("#film-state")).to_have_text("Ready", timeout=40_000)
    described = page.context.request.get(f"/api/films/{film_id}").json()
    assert described["sha256"] == hashlib.sha256(data).hexdigest()
    assert described["size_bytes"] == len(data)
    assert described["state"] == "ready"
    facts = page.locator("dl.facts").inner_text()
    assert "bath time" in facts and "Parent A" in facts and "Baby B" in facts

    player = page.locator("#player")
    expect(player).to_be_visible()
    page.wait_for_function(
        "() => { const v = document.getElementById('player'); "
        "return v.readyState >= 2 && isFinite(v.duration) && v.duration > 0; }",
        timeout=15_000,
    )
    duration = page.evaluate("() => document.getElementById('player').duration")
    assert abs(duration - 2.0) < 0.1, duration
    played = page.evaluate(
        "() => { const v = document.getElementById('player'); v.muted = true; "
        "return v.play().then(() => new Promise(r => setTimeout(() => r(v.currentTime), 500))); }"
    )
    assert played > 0, "the film must actually play"
    # Nothing is left in the browser's storage once the upload is done.
    assert page.evaluate("() => localStorage.length") == 0
    assert blocked == [], blocked

    # The case page lists it, ready, with a link to it.
    page.goto(f"/cases/{site.case_id}")
    row = page.locator("#films-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("bath-time")
    expect(row).to_contain_text("Ready")
    expect(row.get_by_role("link", name="bath-time")).to_have_attribute("href", f"/films/{film_id}")
    page.context.close()

    # A manager sees that the film exists and is ready, but is not offered the footage.
    manager = new_page(browser, site, LAPTOP)
    sign_in(manager, site.manager, site.password)
    manager.goto(f"/films/{film_id}")
    expect(manager.locator("#film-state")).to_have_text("Ready")
    expect(manager.locator("#no-play")).to_be_visible()
    expect(manager.locator("video")).to_have_count(0)
    assert manager.context.request.get(f"/api/films/{film_id}/proxy").status in (403, 404)
    manager.context.close()


def test_refused_file_says_why(browser: Browser, site: FilmSite) -> None:
    page = new_page(browser, site, LAPTOP)
    sign_in(page, site.guider, site.password)
    page.goto(f"/cases/{site.case_id}/films/new")

    # An empty file is refused at once, before anything is sent.
    page.set_input_files("#film-file", files=[film_file("empty.mp4", b"")])
    page.click("#upload-start")
    expect(page.locator("#upload-problem")).to_contain_text("empty (0 bytes)")

    # A document sent as a film arrives, is examined, and is refused with a reason.
    page.fill("#label", "")
    page.set_input_files(
        "#film-file", files=[film_file("minutes.mp4", media_files.not_a_video_file())]
    )
    page.click("#upload-start")
    expect(page).to_have_url(FILM_URL, timeout=20_000)
    expect(page.locator("#film-state")).to_have_text("Cannot be used", timeout=30_000)
    expect(page.locator("#film-problem")).to_contain_text("not a video")
    page.context.close()


VECTORS = {
    b"": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    b"abc": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq": (
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    ),
    b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
    b"klmnopqrlmnopqrsmnopqrstnopqrstu": (
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
    ),
}


def test_incremental_sha256_matches_known_vectors_and_hashlib(
    browser: Browser, site: FilmSite
) -> None:
    page = new_page(browser, site, LAPTOP)
    sign_in(page, site.guider, site.password)
    page.goto(f"/cases/{site.case_id}/films/new")
    hash_in_pieces = """([b64, sizes]) => {
        const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
        const h = AttunelySha256.create();
        let at = 0, i = 0;
        while (at < bytes.length) {
            const n = sizes[i++ % sizes.length];
            h.update(bytes.subarray(at, at + n));
            at += n;
        }
        return h.hex();
    }"""

    def in_browser(data: bytes, sizes: list[int]) -> str:
        return str(page.evaluate(hash_in_pieces, [base64.b64encode(data).decode(), sizes]))

    for message, digest in VECTORS.items():
        assert in_browser(message, [len(message) or 1]) == digest, message
        assert in_browser(message, [1, 3, 7]) == digest, message
    # One million 'a' (FIPS 180-2's long vector), in pieces that straddle block edges.
    million = page.evaluate(
        """() => { const h = AttunelySha256.create(); const a = new Uint8Array(999).fill(97);
        let left = 1000000; while (left > 0) { const n = Math.min(999, left);
        h.update(a.subarray(0, n)); left -= n; } return h.hex(); }"""
    )
    assert million == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

    # Every length around the padding edges (55, 56, 63, 64 ...) and a larger random buffer,
    # split at random, against Python's hashlib.
    rng = random.Random(3)
    for length in [*range(0, 130), 1000, 4095, 65_537, 1_000_003]:
        data = rng.randbytes(length)
        sizes = [rng.choice([1, 5, 63, 64, 65, 100, 4096]) for _ in range(5)]
        assert in_browser(data, sizes) == hashlib.sha256(data).hexdigest(), (length, sizes)
    # ArrayBuffers are accepted as well as Uint8Arrays, and update after digest is refused.
    checks = page.evaluate(
        """() => { const h = AttunelySha256.create(); h.update(new Uint8Array([97, 98]).buffer);
        h.update(new Uint8Array([99])); const hex = h.hex();
        let refused = false; try { h.update(new Uint8Array([1])); } catch (e) { refused = true; }
        return [hex, refused, h.hex() === hex]; }"""
    )
    assert checks == [VECTORS[b"abc"], True, True]
    page.context.close()


def test_pages_are_usable_on_a_tablet_and_laptop(browser: Browser, site: FilmSite) -> None:
    page = new_page(browser, site, TABLET)
    sign_in(page, site.guider, site.password)
    for path in (f"/cases/{site.case_id}/films/new", f"/cases/{site.case_id}/capture"):
        for viewport in (TABLET, LAPTOP):
            page.set_viewport_size(viewport)
            page.goto(path)
            widths = page.evaluate(
                "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert widths[0] <= widths[1], (path, viewport, widths)
            for control in page.locator(
                "main button:visible, main select:visible, main input:visible"
            ).all():
                box = control.bounding_box()
                assert box is not None
                if control.get_attribute("type") != "checkbox":
                    assert box["height"] >= 40, (path, control.get_attribute("id"), box)
    page.context.close()


def test_an_unfinished_upload_carries_on_after_reloading_the_page(
    browser: Browser, site: FilmSite, tmp_path: Path
) -> None:
    film = tmp_path / "nap.mp4"
    data = media_files.normal_film(seconds=3.0)
    film.write_bytes(data)
    page = new_page(browser, site, LAPTOP)
    sign_in(page, site.guider, site.password)
    page.goto(f"/cases/{site.case_id}/films/new")

    # The line dies after the first part: the page keeps retrying, then the tab is reloaded.
    page.route(
        "**/api/uploads/*/parts/*",
        lambda route: (
            route.continue_()
            if route.request.url.endswith("/parts/0")
            else route.abort("internetdisconnected")
        ),
    )
    page.set_input_files("#film-file", str(film))
    page.click("#upload-start")
    expect(page.locator("#upload-warning")).to_contain_text("connection dropped")
    page.on("dialog", lambda dialog: dialog.accept())  # "leave the page?" on reload
    page.unroute("**/api/uploads/*/parts/*")
    page.reload()

    # Choosing the same file again continues the same upload from where the server stands.
    starts: list[str] = []
    puts: list[str] = []
    page.on("request", lambda r: starts.append(r.url) if r.method == "POST" else None)
    page.on("request", lambda r: puts.append(r.url) if r.method == "PUT" else None)
    page.set_input_files("#film-file", str(film))
    page.click("#upload-start")
    # The message that says so can flash by on a fast machine; the requests tell the story.
    expect(page).to_have_url(FILM_URL, timeout=20_000)
    assert puts and not puts[0].endswith("/parts/0"), puts[:3]
    assert [u for u in starts if "filming-sessions" in u or u.endswith("/uploads")] == []
    film_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("#film-state")).to_have_text("Ready", timeout=30_000)
    described = page.context.request.get(f"/api/films/{film_id}").json()
    assert described["sha256"] == hashlib.sha256(data).hexdigest()
    assert page.evaluate("() => localStorage.length") == 0
    page.context.close()

"""Issue 3 in a real browser: filming with the tablet's camera (Chromium's fake camera,
showing a generated video) streams the recording to the server while it is made, rides out a
lost connection, and ends as a processed, playable film, with nothing of the footage left
in the browser's storage or profile on disk.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, ViewportSize, expect, sync_playwright

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.film_site import FilmSite, fill_visit, film_site, sign_in, write_y4m
from tests.support.leaks import files_under, find_leaks

pytestmark = pytest.mark.e2e

TABLET: ViewportSize = {"width": 800, "height": 1280}
FILM_URL = re.compile(r"/films/[0-9a-f-]{36}$")
PART_URL = re.compile(r"/api/uploads/[^/]+/parts/(\d+)$")
BUFFER_LIMIT = 100_000
# A tablet on a low battery, unplugged: the page must say so before filming starts.
LOW_BATTERY = """
Object.defineProperty(Navigator.prototype, "getBattery", {
  configurable: true,
  value: () => Promise.resolve({
    level: 0.12, charging: false, addEventListener: () => {}, removeEventListener: () => {}
  })
});
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FilmSite]:
    with film_site(tmp_path_factory.mktemp("capture")) as running:
        yield running


def seconds_shown(page: Page) -> int:
    minutes, seconds = page.locator("#elapsed").inner_text().split(":")[-2:]
    return int(minutes) * 60 + int(seconds)


def test_capture_streams_while_recording_and_keeps_nothing_on_the_device(
    site: FilmSite, tmp_path: Path
) -> None:
    camera = tmp_path / "camera.y4m"
    write_y4m(camera)
    profile = tmp_path / "profile"
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={camera}",
    ]
    # Every part the page sent, and which of them the server accepted.
    sent: dict[int, bytes] = {}
    accepted: set[int] = set()

    def on_request(request: Request) -> None:
        match = PART_URL.search(request.url)
        if request.method == "PUT" and match:
            sent[int(match.group(1))] = request.post_data_buffer or b""

    def on_finished(request: Request) -> None:
        match = PART_URL.search(request.url)
        response = request.response()
        if request.method == "PUT" and match and response is not None and response.ok:
            accepted.add(int(match.group(1)))

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=args,
            base_url=site.base_url,
            viewport=TABLET,
            locale="en-GB",
            permissions=["camera", "microphone"],
        )
        context.set_default_timeout(15_000)
        context.add_init_script(LOW_BATTERY)
        page = context.new_page()
        blocked: list[str] = []
        page.on(
            "console",
            lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.on("request", on_request)
        page.on("requestfinished", on_finished)
        sign_in(page, site.guider, site.password)

        page.goto(f"/cases/{site.case_id}")
        page.click("#film-now")
        expect(page).to_have_url(re.compile(rf"/cases/{site.case_id}/capture$"))
        expect(page.locator("#battery-warning")).to_contain_text("Battery low (12%)")
        expect(page.locator("#battery-level")).to_have_text("Battery 12%")

        fill_visit(page, activity="play on the mat", people=["Parent A", "Baby B"])
        page.fill("#label", "Mat play")
        page.click("#camera-on")
        page.wait_for_function(
            "() => document.getElementById('preview').readyState >= 2", timeout=10_000
        )
        # The checklist comes first: nothing is recorded until it is ticked.
        page.click("#record-start")
        expect(page.locator("#capture-problem")).to_contain_text("checklist")
        assert not sent
        for box in ("#check-settled", "#check-activity", "#check-battery"):
            page.check(box)
        # Hold at most ~100 KB of unsent film (a second or so here) instead of 32 MiB, so a
        # short drop fills the buffer and filming must pause rather than hold more.
        page.eval_on_selector(
            "#capture-form", f"f => f.setAttribute('data-buffer-limit', '{BUFFER_LIMIT}')"
        )
        page.click("#record-start")
        expect(page.locator("#recording")).to_be_visible()
        # Parts arrive while filming goes on (one chunk a second).
        page.wait_for_function("() => document.getElementById('elapsed').textContent >= '0:02'")
        expect(page.locator("#capture-status")).to_contain_text("safely on the server")
        assert accepted, "parts must reach the server while recording"

        # The connection drops for a few seconds while filming carries on.
        context.set_offline(True)
        expect(page.locator("#capture-warning")).to_contain_text(
            "Connection lost — keep the page open, we'll catch up"
        )
        expect(page.locator("#capture-paused")).to_contain_text("Filming is paused")
        expect(page.locator("#recording")).to_have_text("Paused")
        paused_at = page.locator("#elapsed").inner_text()
        page.wait_for_timeout(1500)
        assert page.locator("#elapsed").inner_text() == paused_at, "the clock stops while paused"
        context.set_offline(False)
        expect(page.locator("#capture-warning")).to_be_hidden(timeout=15_000)
        expect(page.locator("#capture-paused")).to_be_hidden()
        expect(page.locator("#recording")).to_have_text("Recording")
        page.wait_for_function("() => document.getElementById('elapsed').textContent >= '0:06'")
        filmed = seconds_shown(page)
        page.click("#record-stop")

        expect(page).to_have_url(FILM_URL, timeout=30_000)
        film_id = page.url.rsplit("/", 1)[1]
        expect(page.locator("#film-state")).to_have_text("Ready", timeout=40_000)
        page.wait_for_function(
            "() => { const v = document.getElementById('player'); "
            "return v && v.readyState >= 2 && isFinite(v.duration) && v.duration > 0; }",
            timeout=15_000,
        )
        duration = page.evaluate("() => document.getElementById('player').duration")
        film = page.context.request.get(f"/api/films/{film_id}").json()

        # What the browser keeps: nothing in its storage.
        stored = page.evaluate(
            """async () => ({
                local: localStorage.length,
                session: sessionStorage.length,
                indexedDB: (await indexedDB.databases()).length,
                caches: (await caches.keys()).length,
            })"""
        )
        context.close()

    # The server holds exactly the bytes the page sent, and they are the recording.
    offsets = sorted(accepted)
    recording = b""
    for offset in offsets:
        assert offset == len(recording), f"parts are not contiguous: {offsets}"
        recording += sent[offset]
    assert len(offsets) >= 4, offsets
    assert recording[:4] == b"\x1a\x45\xdf\xa3", "MediaRecorder in Chromium records WebM"
    assert film["sha256"] == hashlib.sha256(recording).hexdigest()
    assert film["size_bytes"] == len(recording)
    assert film["state"] == "ready" and film["playable"], film
    assert film["probe"]["video"]["codec"] in ("vp8", "vp9"), film["probe"]
    assert abs(film["duration_s"] - filmed) <= 1.5, (film["duration_s"], filmed)
    assert abs(duration - film["duration_s"]) < 0.2, (duration, film["duration_s"])

    assert stored == {"local": 0, "session": 0, "indexedDB": 0, "caches": 0}, stored
    assert blocked == [], blocked
    files = [p for p in profile.rglob("*") if p.is_file()]
    assert files, "the browser profile should exist on disk"
    assert find_leaks(recording, files_under(profile)) == [], (
        "recorded bytes found in the browser profile"
    )

    # The scan can fail: 64 bytes of the recording planted in a file are found, 40 are not.
    planted = tmp_path / "planted"
    planted.mkdir()
    middle = len(recording) // 2
    (planted / "leak.bin").write_bytes(b"x" * 100 + recording[middle : middle + 64] + b"y" * 9)
    (planted / "short.bin").write_bytes(b"x" * 100 + recording[middle : middle + 40])
    runs = find_leaks(recording, files_under(planted))
    assert [r.path.name for r in runs] == ["leak.bin"] and runs[0].length >= 64, runs

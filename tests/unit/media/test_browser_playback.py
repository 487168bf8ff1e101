"""The proxy in real Chromium: it plays, it is upright, and a seek shows the exact frame.

Served through HTTP Range requests, as the streaming endpoint will serve it. The page reads the
frame-number code off the picture after each seek (drawn to a canvas), so this checks what a
practitioner would actually see.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Route

from tests.support.browser import chromium
from tests.unit.media.films import proxied

pytestmark = pytest.mark.e2e

ORIGIN = "http://media.test"

PAGE = """<!doctype html>
<video id="v" muted playsinline preload="auto" src="/proxy.mp4"></video><canvas id="c"></canvas>
<script>
const CELLS = 20, BITS = 16;
function readNumber() {
  const v = document.getElementById("v"), c = document.getElementById("c");
  c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext("2d");
  g.drawImage(v, 0, 0);
  const cell = c.width / CELLS, side = Math.max(1, Math.floor(cell / 2)), values = [];
  for (let i = 0; i < CELLS; i++) {
    const d = g.getImageData(Math.floor((i + 0.25) * cell), Math.floor(cell / 4), side, side).data;
    let sum = 0;
    for (let k = 0; k < d.length; k += 4) sum += (d[k] + d[k + 1] + d[k + 2]) / 3;
    values.push(sum / (d.length / 4) >= 128 ? 1 : 0);
  }
  const bits = values.slice(1, 1 + BITS);
  const parity = bits.reduce((a, b) => a + b, 0) % 2;
  if (values[0] !== 1 || values[18] !== 0 || values[19] !== 1 || parity !== values[17]) return null;
  return bits.reduce((n, b) => n * 2 + b, 0);
}
window.showFrameAt = (t) => new Promise((resolve) => {
  const v = document.getElementById("v");
  v.addEventListener("seeked", () => setTimeout(() => resolve(readNumber()), 20), {once: true});
  v.currentTime = t;
});
window.playFor = async (ms) => {
  const v = document.getElementById("v");
  v.currentTime = 0;
  await v.play();
  await new Promise((r) => setTimeout(r, ms));
  v.pause();
  return [v.currentTime, v.error ? v.error.code : 0];
};
</script>"""


def _serve(data: bytes, ranges: list[str]):  # type: ignore[no-untyped-def]
    def handle(route: Route) -> None:
        request = route.request
        if not request.url.endswith("/proxy.mp4"):
            route.fulfill(status=200, body=PAGE, headers={"Content-Type": "text/html"})
            return
        header = request.headers.get("range")
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", header or "")
        if match is None:
            route.fulfill(status=200, body=data, headers={"Content-Type": "video/mp4"})
            return
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) else len(data) - 1
        ranges.append(f"{start}-{end}")
        route.fulfill(
            status=206,
            body=data[start : end + 1],
            headers={
                "Content-Type": "video/mp4",
                "Accept-Ranges": "bytes",
                "Content-Range": f"bytes {start}-{end}/{len(data)}",
            },
        )

    return handle


def _open(page: Page, data: bytes, ranges: list[str]) -> None:
    page.route(f"{ORIGIN}/**", _serve(data, ranges))
    page.goto(f"{ORIGIN}/")
    page.wait_for_function("document.getElementById('v').readyState >= 2", timeout=20_000)


def test_chromium_plays_the_proxy_upright_and_seeks_to_the_exact_frame() -> None:
    proxy = proxied("portrait")
    fps = float(proxy.result.fps)
    ranges: list[str] = []
    with chromium() as browser:
        page = browser.new_page()
        _open(page, proxy.data, ranges)
        size = page.evaluate(
            "[document.getElementById('v').videoWidth, document.getElementById('v').videoHeight]"
        )
        assert size == [360, 640]  # upright portrait
        duration = page.evaluate("document.getElementById('v').duration")
        assert duration == pytest.approx(2.0, abs=0.05)
        assert page.evaluate(f"MediaSource.isTypeSupported({proxy.result.mime_type!r})")
        # Seek into the middle of frame N (N + 0.5) / fps: exactly N / fps can land on N - 1,
        # because Chromium keeps times in whole microseconds.
        for n in [0, 1, 2, 17, 29, 30, 31, 44, 58, 59]:
            assert page.evaluate(f"showFrameAt({(n + 0.5) / fps})") == n
        # Backwards too: every seek is independent of where the player was.
        for n in [45, 3, 31]:
            assert page.evaluate(f"showFrameAt({(n + 0.5) / fps})") == n
        played, error = page.evaluate("playFor(700)")
        assert error == 0
        assert played > 0.3
    assert ranges  # Chromium fetched the film by ranges, as from the streaming endpoint

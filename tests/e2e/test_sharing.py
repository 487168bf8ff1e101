"""Sharing in real Chromium: the guider shares a clip from the film's page, a recipient with
no account plays the labelled clip through the link (exactly the clip's frames, the label in
the picture), and after the guider revokes it the link shows nothing."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from attunely.app import create_app
from attunely.config import Settings, reset_settings_cache
from tests.support import media_files
from tests.support.factories import World
from tests.support.film_site import FilmSite, api, film_site, sign_in

pytestmark = pytest.mark.e2e

FPS = 30
FRAMES = 90
CLIP_IN, CLIP_OUT = 30, 60

# Draw the shared clip to a canvas: the frame code at the top (tests/support/media_files)
# and the brightness of the label band at the bottom.
READ_PICTURE = """() => {
  const v = document.getElementById("shared-clip");
  const c = document.createElement("canvas");
  c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext("2d");
  g.drawImage(v, 0, 0);
  const cells = 20, bits = 16, cell = c.width / cells, side = Math.max(1, Math.floor(cell / 2));
  const values = [];
  for (let i = 0; i < cells; i++) {
    const d = g.getImageData(Math.floor((i + 0.25) * cell), Math.floor(cell / 4), side, side).data;
    let sum = 0;
    for (let k = 0; k < d.length; k += 4) sum += (d[k] + d[k + 1] + d[k + 2]) / 3;
    values.push(sum / (d.length / 4) >= 128 ? 1 : 0);
  }
  const b = values.slice(1, 1 + bits);
  const parity = b.reduce((x, y) => x + y, 0) % 2;
  const ok = values[0] === 1 && values[18] === 0 && values[19] === 1 && parity === values[17];
  const top = Math.floor(c.height * 0.9);
  const band = g.getImageData(0, top, c.width, c.height - top).data;
  let light = 0, dark = 0;
  for (let k = 0; k < band.length; k += 4) {
    const y = (band[k] + band[k + 1] + band[k + 2]) / 3;
    if (y > 200) light++; else if (y < 90) dark++;
  }
  return {frame: ok ? b.reduce((n, x) => n * 2 + x, 0) : null, light, dark,
          pixels: band.length / 4, duration: v.duration};
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FilmSite]:
    with film_site(tmp_path_factory.mktemp("sharing")) as running:
        yield running


def api_json(page: Page, method: str, path: str, **kwargs: Any) -> Any:
    """Call the API as the signed-in page would; the JSON answer (None for 204)."""
    response = api(page, method, path, **kwargs)
    return response.json() if response.status != 204 else None


def ready_film_with_clip(page: Page, site: FilmSite) -> tuple[str, str]:
    data = media_files.normal_film(width=640, height=360, seconds=FRAMES / FPS)
    session = api_json(
        page,
        "POST",
        f"/api/cases/{site.case_id}/filming-sessions",
        data={"filmed_on": "2026-11-01", "setting": "home", "activity": "bath time"},
    )
    upload = api_json(
        page,
        "POST",
        f"/api/filming-sessions/{session['id']}/uploads",
        data={"label": "Bath time", "size": len(data)},
    )
    api_json(
        page,
        "PUT",
        f"/api/uploads/{upload['id']}/parts/0",
        data=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    film = api_json(
        page,
        "POST",
        f"/api/uploads/{upload['id']}/complete",
        data={"sha256": hashlib.sha256(data).hexdigest()},
    )
    deadline = time.monotonic() + 90
    while film["state"] == "processing" and time.monotonic() < deadline:
        time.sleep(0.3)
        film = api_json(page, "GET", f"/api/films/{film['id']}")
    assert film["state"] == "ready", film
    clip = api_json(
        page,
        "POST",
        f"/api/films/{film['id']}/clips",
        data={"title": "Splashing together", "in_frame": CLIP_IN, "out_frame": CLIP_OUT},
    )
    return str(film["id"]), str(clip["id"])


def agree_to_sharing(site: FilmSite) -> None:
    """The parent's paper consent for sharing, recorded as the local operator would."""
    app = create_app(Settings(data_dir=site.log.parent / "data", database_url=None))
    try:
        World(app).consent(
            site.case_id, site.people["Parent A"], purposes=("professional_network",)
        )
    finally:
        app.state.engine.dispose()
        reset_settings_cache()


def test_share_a_clip_watch_it_without_an_account_then_revoke(
    browser: Browser, site: FilmSite, tmp_path: Path
) -> None:
    guider = browser.new_context(base_url=site.base_url, locale="en-GB")
    guider.set_default_timeout(20_000)
    page = guider.new_page()
    sign_in(page, site.guider, site.password)
    film_id, clip_id = ready_film_with_clip(page, site)
    agree_to_sharing(site)

    page.goto(f"/films/{film_id}")
    page.click("#open-shares")
    expect(page).to_have_url(re.compile(rf"/films/{film_id}/shares$"))
    page.select_option("#clip_id", clip_id)
    page.fill("#recipient_name", "Dr Ada Example")
    page.fill("#recipient_organisation", "North Health Visiting")
    page.fill("#agreement_reference", "DSA-2026-014")
    page.click("#share-form button[type=submit]")
    link = page.locator("#share-link").input_value()
    assert re.fullmatch(rf"{re.escape(site.base_url)}/s/[A-Za-z0-9_-]{{43}}", link), link

    deadline = time.monotonic() + 60
    status = ""
    while time.monotonic() < deadline:
        shares = api_json(page, "GET", f"/api/films/{film_id}/shares")
        status = shares[0]["status"]
        if status != "rendering":
            break
        time.sleep(0.3)
    assert status == "active", shares

    recipient = browser.new_context(locale="en-GB")  # no cookies: no Attunely account
    recipient.set_default_timeout(20_000)
    watcher = recipient.new_page()
    watcher.goto(link)
    expect(watcher.locator("h1")).to_have_text("Splashing together")
    watcher.wait_for_function(
        "document.getElementById('shared-clip').readyState >= 2", timeout=20_000
    )
    seen = []
    for index in (0, 15, 29):
        watcher.evaluate(
            """(t) => new Promise((done) => {
                 const v = document.getElementById('shared-clip');
                 v.addEventListener('seeked', () => done(), {once: true});
                 v.currentTime = t;
               })""",
            (index + 0.5) / FPS,
        )
        picture = watcher.evaluate(READ_PICTURE)
        seen.append(picture["frame"])
        assert picture["light"] > 0 and picture["dark"] > picture["pixels"] // 3, picture
    assert seen == [CLIP_IN, CLIP_IN + 15, CLIP_OUT - 1], seen
    assert abs(picture["duration"] - (CLIP_OUT - CLIP_IN) / FPS) < 0.1, picture
    watcher.screenshot(path=str(tmp_path / "shared-clip.png"))

    page.goto(f"/films/{film_id}/shares")
    expect(page.locator("#share-table .share-views")).to_have_text("1")
    page.click("#share-table button[type=submit]")
    expect(page.locator("#share-table .share-status")).to_contain_text("Revoked")
    watcher.goto(link)
    expect(watcher.locator("#share-gone")).to_contain_text("no longer shared")
    guider.close()
    recipient.close()

"""A running app with a family case, for the browser tests that bring films in.

The server is `attunely serve` in a child process (embedded job workers, so uploaded films
are processed as in production), on its own migrated SQLite data directory, seeded through
the services as the local operator would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import av
import numpy as np
from playwright.sync_api import APIResponse, Page, expect

from attunely.app import create_app
from attunely.config import Settings, reset_settings_cache
from attunely.db import upgrade
from attunely.policy import Role
from tests.support import server as app_server
from tests.support.factories import PASSWORD, World
from tests.support.media_files import FilmSpec, display_image


@dataclass(frozen=True)
class FilmSite:
    """The running app, the people in it and the case the films go to."""

    base_url: str
    password: str
    guider: str
    manager: str
    case_id: str
    case_reference: str
    people: dict[str, str]  # display name -> case person id
    log: Path


def _seed(data_dir: Path) -> dict[str, object]:
    settings = Settings(data_dir=data_dir, database_url=None)
    upgrade(settings)
    app = create_app(settings)
    try:
        world = World(app)
        team = world.team("Film Team")
        guider = world.user(Role.GUIDER, team=team, username="gwen", mfa=False)
        supervisor = world.user(Role.SUPERVISOR, team=team, username="sol", mfa=False)
        manager = world.user(Role.MANAGER, team=team, manages=True, username="mona", mfa=False)
        case = world.case(team, guider=guider, supervisor=supervisor, reference="FILM-0001")
        people = {
            "Parent A": world.person(
                case, kind="caregiver", display_name="Parent A", parental_responsibility=True
            ),
            "Baby B": world.person(
                case, kind="child", display_name="Baby B", born=date.today() - timedelta(days=200)
            ),
        }
        world.consent(case, people["Parent A"])
        return {
            "guider": guider.username,
            "manager": manager.username,
            "case_id": case.id,
            "case_reference": case.reference,
            "people": people,
        }
    finally:
        app.state.engine.dispose()
        reset_settings_cache()


@contextmanager
def film_site(root: Path) -> Iterator[FilmSite]:
    """Seed a data directory under `root`, serve it, and stop the server afterwards.

    Afterwards the server's log must show no unhandled error (a 500 is a bug).
    """
    data_dir = root / "data"
    seeded = _seed(data_dir)
    log = root / "server.log"
    running = app_server.start(data_dir, log_path=log)
    try:
        yield FilmSite(base_url=running.base_url, password=PASSWORD, log=log, **seeded)  # type: ignore[arg-type]
    finally:
        running.stop()
    assert "unhandled" not in running.log_tail(100_000), running.log_tail()


def sign_in(page: Page, username: str, password: str) -> None:
    """Sign in through the form and wait for the start page."""
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form[action='/login'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/$"))


def fill_visit(page: Page, *, activity: str, people: list[str]) -> None:
    """Fill the filming-visit fields shared by the upload and capture pages."""
    page.select_option("#setting", "home")
    page.fill("#activity", activity)
    for name in people:
        page.locator("fieldset.people label", has_text=name).locator("input").check()


def write_y4m(path: Path, *, width: int = 320, height: int = 240, fps: int = 30) -> None:
    """Write one second of numbered, moving frames as YUV4MPEG2 for Chromium's fake camera.

    Chromium loops the file, so the camera shows these frames for as long as it records.
    """
    spec = FilmSpec(width=width, height=height, fps=fps)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for number in range(fps):
            frame = av.VideoFrame.from_ndarray(display_image(spec, number), format="rgb24")
            yuv = frame.reformat(format="yuv420p")
            out.write(b"FRAME\n")
            # The three planes (Y, then U and V at half size), without any row padding.
            sizes = ((width, height), (width // 2, height // 2), (width // 2, height // 2))
            for index, (w, h) in enumerate(sizes):
                plane = yuv.planes[index]
                rows = np.frombuffer(bytes(plane), dtype=np.uint8).reshape(h, plane.line_size)
                out.write(rows[:, :w].tobytes())


def api(page: Page, method: str, path: str, **kwargs: Any) -> APIResponse:
    """Call the API as the signed-in page would (its cookie and anti-forgery token)."""
    token = page.locator("meta[name=csrf-token]").get_attribute("content") or ""
    response = page.context.request.fetch(
        path, method=method, headers={"X-CSRF-Token": token, **kwargs.pop("headers", {})}, **kwargs
    )
    assert response.ok, (method, path, response.status, response.text())
    return response

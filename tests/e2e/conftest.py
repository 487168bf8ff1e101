"""Fixtures for the browser tests: one real server and one real Chromium per module.

The server is `attunely serve` in a child process on its own migrated SQLite data directory,
seeded through the services (as the local operator would), never through the browser's
back door. Each test opens its own browser context, so cookies never leak between tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from attunely.app import create_app
from attunely.config import Settings, reset_settings_cache
from attunely.db import upgrade
from attunely.policy import Role
from tests.support import server as app_server
from tests.support.browser import chromium
from tests.support.factories import PASSWORD, World


@dataclass(frozen=True)
class Site:
    """The running app and the people seeded into it."""

    base_url: str
    password: str
    guider: str
    supervisor_name: str
    outsider: str
    admin: str


def _seed(data_dir: Path) -> dict[str, str]:
    settings = Settings(data_dir=data_dir, database_url=None)
    upgrade(settings)
    app = create_app(settings)
    try:
        world = World(app)
        north = world.team("North Team")
        south = world.team("South Team")
        guider = world.user(Role.GUIDER, team=north, username="gwen", mfa=False)
        supervisor = world.user(Role.SUPERVISOR, team=north, username="sol", mfa=False)
        outsider = world.user(Role.GUIDER, team=south, username="oscar", mfa=False)
        # An admin without an authenticator: the role requires one, so enrolment comes first.
        admin = world.user(Role.ADMIN, username="ada", mfa=False)
        return {
            "guider": guider.username,
            "supervisor_name": supervisor.display_name,
            "outsider": outsider.username,
            "admin": admin.username,
        }
    finally:
        app.state.engine.dispose()
        reset_settings_cache()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("e2e")
    data_dir = root / "data"
    people = _seed(data_dir)
    running = app_server.start(data_dir, log_path=root / "server.log")
    try:
        yield Site(base_url=running.base_url, password=PASSWORD, **people)
    finally:
        running.stop()
    # A 500 is a bug: the app logs each one, so the whole run must have logged none.
    assert "unhandled" not in running.log_tail(100_000), running.log_tail()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched

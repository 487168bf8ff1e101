"""Build the web application and wire its parts together."""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from attunely import __version__
from attunely.config import Settings, ensure_data_dir, get_settings, read_secret
from attunely.db import make_engine, make_session_factory
from attunely.jobs.runner import InProcessWorkers
from attunely.policy import Action, Actor
from attunely.vault.context import vault_for
from attunely.web import errors as web_errors
from attunely.web.deps import allow
from attunely.web.security import SecurityHeaders

STATIC_DIR = Path(__file__).parent / "web" / "static"


#: Feature packages whose `api.router` (under /api) and `pages.router` are mounted.
FEATURE_ROUTES = ("retention", "rights", "sharing", "backup", "dpia")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Create the app for the given settings (default: from the environment)."""
    settings = settings or get_settings()
    logging.basicConfig(level=settings.log_level)
    ensure_data_dir(settings)
    engine = make_engine(settings)

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        # The embedded default runs background jobs in this process; nothing else to start.
        workers = None
        if settings.jobs == "embedded" and settings.job_workers > 0:
            workers = InProcessWorkers(
                settings, application.state.session_factory, settings.job_workers
            )
            workers.start()
        try:
            yield
        finally:
            if workers is not None:
                workers.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="Attunely",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        description="Strengths-based video feedback for family-support practitioners.",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.master_key = read_secret(settings.keys_dir, "master")
    app.state.vault = vault_for(settings, app.state.session_factory)

    from attunely.accounts import api as accounts_api
    from attunely.accounts import pages as accounts_pages
    from attunely.audit import api as audit_api
    from attunely.audit import pages as audit_pages
    from attunely.auth import api as auth_api
    from attunely.auth import pages as auth_pages
    from attunely.cases import api as cases_api
    from attunely.cases import pages as cases_pages
    from attunely.consent import api as consent_api
    from attunely.consent import pages as consent_pages
    from attunely.films import api as films_api
    from attunely.films import pages as films_pages
    from attunely.workspace import api as workspace_api
    from attunely.workspace import pages as workspace_pages

    for module in (auth_api, accounts_api, cases_api, films_api, audit_api):
        app.include_router(module.router, prefix="/api")
    for module in (auth_pages, cases_pages, films_pages, accounts_pages, audit_pages):
        app.include_router(module.router)
    app.include_router(workspace_api.router, prefix="/api")
    app.include_router(workspace_pages.router)
    app.include_router(consent_api.router, prefix="/api")
    app.include_router(consent_pages.router)
    for name in FEATURE_ROUTES:
        app.include_router(importlib.import_module(f"attunely.{name}.api").router, prefix="/api")
        app.include_router(importlib.import_module(f"attunely.{name}.pages").router)

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(_actor: Annotated[Actor, allow(Action.PUBLIC_PAGE)]) -> dict[str, Any]:
        """Return the API's OpenAPI document."""
        return app.openapi()

    @app.get("/healthz", include_in_schema=False)
    def healthz(_actor: Annotated[Actor, allow(Action.PUBLIC_PAGE)]) -> dict[str, str]:
        """Say the app is up."""
        return {"status": "ok", "version": __version__}

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    web_errors.install(app)
    app.add_middleware(SecurityHeaders)
    return app

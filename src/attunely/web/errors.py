"""Turn errors into HTTP answers. This is the only place that knows status codes."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from attunely import errors
from attunely.films.ranges import RangeNotSatisfiable
from attunely.web.templating import render

log = logging.getLogger("attunely.web")

STATUS: dict[type[errors.AttunelyError], int] = {
    errors.NotFound: 404,
    errors.PermissionDenied: 403,
    errors.AuthenticationRequired: 401,
    errors.AuthenticationFailed: 401,
    errors.MfaRequired: 401,
    errors.InvalidInput: 422,
    errors.Conflict: 409,
    errors.CsrfFailed: 403,
    errors.ConfigurationError: 503,
    errors.AuditChainBroken: 409,
    errors.IntegrityError: 409,
    RangeNotSatisfiable: 416,
}


def status_for(exc: errors.AttunelyError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api")


def _json(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    details: dict[str, object] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    error: dict[str, object] = {"code": code, "message": message}
    if field:
        error["field"] = field
    if details:
        error.update(details)
    return JSONResponse(
        {"error": error},
        status_code=status,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def _page(request: Request, status: int, title: str, message: str) -> Response:
    return render(request, "error.html", {"title": title, "message": message}, status_code=status)


def describe_validation(exc: ValidationError | RequestValidationError) -> tuple[str, str | None]:
    """Summarise validation problems in one readable sentence, naming the first field."""
    problems = []
    first_field: str | None = None
    for item in exc.errors()[:5]:
        loc = [str(p) for p in item.get("loc", ()) if p not in ("body", "query", "path")]
        name = ".".join(loc)
        first_field = first_field or name or None
        msg = str(item.get("msg", "is not valid")).removeprefix("Value error, ")
        problems.append(f"{name}: {msg}" if name else msg)
    return "; ".join(problems) or "the input is not valid", first_field


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""

    @app.exception_handler(errors.AttunelyError)
    async def _domain(request: Request, exc: errors.AttunelyError) -> Response:
        status = status_for(exc)
        headers = {}
        if isinstance(exc, RangeNotSatisfiable):
            headers["Content-Range"] = f"bytes */{exc.length}"
        if wants_json(request):
            return _json(status, exc.code, exc.message, exc.field, exc.details, headers)
        if isinstance(exc, errors.AuthenticationRequired):
            target = quote(request.url.path)
            return RedirectResponse(f"/login?next={target}", status_code=303)
        if isinstance(exc, errors.MfaRequired):
            return RedirectResponse("/mfa", status_code=303)
        titles = {404: "Not found", 403: "Not allowed", 409: "Conflict", 401: "Sign-in needed"}
        return _page(request, status, titles.get(status, "Please check"), exc.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        message, field = describe_validation(exc)
        if wants_json(request):
            return _json(422, "invalid_input", message, field)
        return _page(request, 422, "Please check", message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = "no such page" if exc.status_code == 404 else str(exc.detail)
        if wants_json(request):
            return _json(exc.status_code, "http_error", message)
        return _page(
            request,
            exc.status_code,
            "Not found" if exc.status_code == 404 else "Please check",
            message,
        )

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        # A 500 is a bug. Log the type and place only: messages may carry personal data.
        log.error("unhandled %s at %s %s", type(exc).__name__, request.method, request.url.path)
        if wants_json(request):
            return _json(500, "internal_error", "something went wrong on our side")
        return _page(request, 500, "Sorry", "Something went wrong on our side.")

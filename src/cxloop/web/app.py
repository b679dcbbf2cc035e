"""The app factory: ``create_app(workspace_path)`` builds the FastAPI app of one workspace.

It opens the workspace once (app store migrated, analytics store opened), mounts
``/static``, adds the sign-in pages and the JSON API (``/api/v1``, documented at
``/api/docs``), sets security headers, and turns cxloop's errors into HTTP status codes
with a one-line JSON ``{"detail": "..."}`` - never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from .. import errors
from ..workspace import Workspace
from .deps import WebState

log = logging.getLogger("cxloop.web")
HERE = Path(__file__).parent

#: cxloop's errors as HTTP status codes; the most specific class listed wins
STATUS: dict[type[errors.CxloopError], int] = {
    errors.NotSignedIn: 401,
    errors.NotPermitted: 403,
    errors.UnknownCustomer: 404,
    errors.WorkspaceNotFound: 404,
    errors.RecordConflict: 409,
    errors.MissingData: 409,
    errors.RecordInvalid: 422,
    errors.InputError: 422,
    errors.UnknownDimension: 422,
    errors.UnknownMetric: 422,
    errors.SettingsError: 422,
    errors.RateLimited: 429,
    errors.NotificationFailed: 502,
    errors.StoreError: 503,
    errors.CxloopError: 400,
}

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
}
#: the interactive API docs load their script and styles from a CDN
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data: https://fastapi.tiangolo.com; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; frame-ancestors 'none'"
)


def create_app(workspace_path: str | Path) -> FastAPI:
    """The web app of the workspace at ``workspace_path`` (opened now, closed at shutdown)."""
    ws = Workspace.open(workspace_path)
    ws.app  # noqa: B018 - open (and migrate) the app store before the first request
    ws.analytics  # noqa: B018 - open the analytics store once, not inside a request

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        ws.close()

    app = FastAPI(
        title=f"cxloop - {ws.settings.workspace.name}",
        summary="The voice of the customer, for the people who serve customers.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.cxloop = WebState(ws)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    from . import api, pages

    app.include_router(pages.router)
    app.include_router(api.router)
    _add_error_handlers(app)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # noqa: ANN001, ANN202
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path == "/api/docs":
            response.headers["Content-Security-Policy"] = DOCS_CSP
        return response

    return app


def app_from_env() -> FastAPI:
    """The app of the workspace in $CXLOOP_WORKSPACE: uvicorn's factory for several workers."""
    import os

    from ..workspace import ENV_VAR

    path = os.environ.get(ENV_VAR)
    if not path:
        raise errors.WorkspaceNotFound(f"set {ENV_VAR} to the workspace to serve")
    return create_app(path)


def status_of(error: errors.CxloopError) -> int:
    """The HTTP status of a cxloop error (see ``STATUS``)."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def wants_page(request: Request) -> bool:
    """A browser asking for a page (not the API): errors become redirects or pages."""
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get(
        "accept", ""
    )


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(errors.CxloopError)
    async def cxloop_error(request: Request, e: errors.CxloopError) -> Response:
        status = status_of(e)
        if status == 401 and wants_page(request) and request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
        headers = {}
        if isinstance(e, errors.NotSignedIn):
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(e, errors.RateLimited):
            headers["Retry-After"] = str(e.retry_after)
        return JSONResponse({"detail": str(e)}, status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, e: RequestValidationError) -> Response:
        return JSONResponse({"detail": one_line(e)}, status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, e: HTTPException) -> Response:
        detail = e.detail if isinstance(e.detail, str) else str(e.detail)
        return JSONResponse({"detail": detail}, status_code=e.status_code, headers=e.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, e: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error; the server log has the details"},
                            status_code=500)  # fmt: skip


def one_line(e: RequestValidationError) -> str:
    """``query.since: Input should be a valid date`` from FastAPI's list of problems."""
    parts = []
    for problem in e.errors()[:3]:
        where = ".".join(str(x) for x in problem.get("loc", ()))
        parts.append(f"{where}: {problem.get('msg', 'invalid')}")
    more = len(e.errors()) - 3
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")

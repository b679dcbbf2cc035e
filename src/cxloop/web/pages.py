"""The sign-in pages and the home page: GET/POST /login, POST /logout, GET /.

Role pages are thin routes added elsewhere; each calls ``register_page`` so the home
page links to it for the roles that may open it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from ..errors import NotSignedIn, RateLimited
from ..store.app.models import Role
from . import auth, csrf, sessions
from .deps import SignedInDep, get_store, state

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(["html"]),
    )
)


@dataclass(frozen=True)
class Page:
    path: str
    title: str
    roles: frozenset[Role] | None  # None: every role


PAGES: list[Page] = []


def register_page(path: str, title: str, roles: set[Role] | None = None) -> None:
    """List a page on the home page (for ``roles``, or everyone)."""
    PAGES.append(Page(path, title, frozenset(roles) if roles is not None else None))


def render(request: Request, name: str, status_code: int = 200, **context: object) -> Response:
    """A template with the workspace name and the caller (if any) filled in."""
    context.setdefault("who", None)
    context["workspace"] = state(request).ws.settings.workspace.name
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def safe_next(target: str | None) -> str:
    """Only a path on this site (never //evil.example or https://...): else /."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str = "/") -> Response:  # noqa: A002
    found = await run_in_threadpool(
        sessions.find, get_store(request), request.cookies.get(sessions.COOKIE)
    )
    if found is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next)


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form()] = "/",  # noqa: A002
) -> Response:
    await csrf.check_login_form(request)
    store = get_store(request)
    client_ip = request.client.host if request.client else "unknown"
    try:
        user = await run_in_threadpool(auth.sign_in, store, username, password,
                                       client_ip=client_ip)  # fmt: skip
    except RateLimited as e:
        page = _login_page(request, next, error=str(e), status_code=429, username=username)
        page.headers["Retry-After"] = str(e.retry_after)
        return page
    except NotSignedIn as e:
        return _login_page(request, next, error=str(e), status_code=401, username=username)
    token, _ = await run_in_threadpool(sessions.start, store, user.username)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        sessions.COOKIE,
        token,
        max_age=int(sessions.ABSOLUTE.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=sessions.secure_cookies(request.url.scheme),
    )
    response.delete_cookie(csrf.LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request, who: SignedInDep) -> Response:
    await run_in_threadpool(sessions.end, get_store(request), request.cookies.get(sessions.COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, who: SignedInDep) -> Response:
    pages = [p for p in PAGES if p.roles is None or who.role in p.roles]
    return render(request, "home.html", who=who, pages=pages)


def _login_page(
    request: Request, next_path: str, *, error: str | None = None, status_code: int = 200,
    username: str = "",
) -> Response:  # fmt: skip
    token = request.cookies.get(csrf.LOGIN_COOKIE) or csrf.new_token()
    response = render(request, "login.html", status_code, csrf_token=token, error=error,
                      next=safe_next(next_path), username=username)  # fmt: skip
    response.set_cookie(
        csrf.LOGIN_COOKIE,
        token,
        max_age=3600,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=sessions.secure_cookies(request.url.scheme),
    )
    return response

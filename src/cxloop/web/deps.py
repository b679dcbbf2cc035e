"""What routes depend on: the workspace, the app store, who is calling, and their scopes.

The contract every route uses::

    @router.get("/things")
    def things(ws: WorkspaceDep, who: Annotated[Principal, Depends(require_scope("read"))]):
        ...

* ``get_principal``: the signed-in user, from the ``cxloop_session`` cookie (state-changing
  requests must carry its CSRF token) or from ``Authorization: Bearer cxl_...``.
  NotSignedIn (401; a browser asking for a page is sent to /login instead).
* ``require_scope(name)``: the principal, or NotPermitted (403) when a token lacks the
  scope (``read`` for GET, ``write`` to change records, ``ingest``, ``admin``).
* ``get_workspace``: the app's one Workspace. Its DuckDB connection is not safe for two
  threads at once, so the dependency holds the workspace lock for the whole request:
  requests that read analytics run one at a time per worker process (scale with
  ``cxloop serve --workers`` on a PostgreSQL analytics store, or keep analyses cached).
  Requests waiting for the lock wait in threads of their own (``WAITERS``), never in
  the pool that runs route functions, so a queue of waiters cannot starve the holder.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Annotated, Literal

import anyio
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from ..errors import NotPermitted, NotSignedIn
from ..store.app import AppStore
from ..store.app.models import Role, User
from ..workspace import Workspace
from . import csrf, sessions, tokens

BEARER = "bearer "
#: at most this many requests wait for the workspace lock at once (each in a thread)
WAITERS = 256


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user signed in with a session cookie or acting through a token."""

    username: str
    role: Role
    employee_id: str | None
    team_id: str | None
    scopes: frozenset[str]
    via: Literal["session", "token"]
    display_name: str = ""
    #: the session's CSRF token (for forms in pages); None for tokens
    csrf_token: str | None = field(default=None, repr=False)

    def has(self, scope: str) -> bool:
        return scope in self.scopes


class WebState:
    """What one app keeps for its lifetime: the workspace and the lock around it."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.lock = threading.Lock()
        self.waiters = anyio.CapacityLimiter(WAITERS)


def state(request: Request) -> WebState:
    return request.app.state.cxloop


def get_store(request: Request) -> AppStore:
    """The app store (SQLAlchemy: safe from any thread, no lock needed)."""
    return state(request).ws.app


async def get_workspace(request: Request) -> AsyncIterator[Workspace]:
    """The app's Workspace, held for this request (see the module docstring)."""
    web = state(request)
    held: list[bool] = []

    def take() -> None:
        web.lock.acquire()
        held.append(True)

    try:
        await anyio.to_thread.run_sync(take, limiter=web.waiters)
        yield web.ws
    finally:
        if held:
            web.lock.release()


async def get_principal(request: Request) -> Principal:
    """The caller, from a bearer token or a session cookie; NotSignedIn if neither is valid."""
    store = get_store(request)
    authorization = request.headers.get("authorization", "")
    if authorization:
        if not authorization.lower().startswith(BEARER):
            raise NotSignedIn("use Authorization: Bearer <API token>")
        secret = authorization[len(BEARER) :].strip()
        token, user = await run_in_threadpool(tokens.authenticate, store, secret)
        scopes = frozenset(token.scopes) & tokens.role_scopes(user.role)
        return _principal(user, scopes, "token")
    signed_in = await run_in_threadpool(sessions.find, store, request.cookies.get(sessions.COOKIE))
    if signed_in is None:
        raise NotSignedIn("not signed in: sign in at /login or send an API token")
    await csrf.check_session_request(request, signed_in.csrf_token)
    return _principal(
        signed_in.user,
        tokens.role_scopes(signed_in.user.role),
        "session",
        csrf_token=signed_in.csrf_token,
    )


def require_scope(name: str) -> Callable[..., Principal]:
    """A dependency: the principal, if it holds scope ``name``; else NotPermitted (403)."""
    if name not in tokens.SCOPES:
        raise ValueError(f"unknown scope {name!r}")

    def dependency(who: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if name not in who.scopes:
            if who.via == "token":
                raise NotPermitted(f"this API token lacks the {name!r} scope")
            raise NotPermitted(f"{who.username!r} ({who.role.value}) may not do this")
        return who

    dependency.__name__ = f"require_{name}"
    return dependency


#: shorthands for route signatures
WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]
StoreDep = Annotated[AppStore, Depends(get_store)]
SignedInDep = Annotated[Principal, Depends(get_principal)]
ReadDep = Annotated[Principal, Depends(require_scope("read"))]
WriteDep = Annotated[Principal, Depends(require_scope("write"))]
IngestDep = Annotated[Principal, Depends(require_scope("ingest"))]
AdminDep = Annotated[Principal, Depends(require_scope("admin"))]


def _principal(
    user: User, scopes: frozenset[str], via: Literal["session", "token"], csrf_token=None
) -> Principal:
    return Principal(
        username=user.username,
        role=user.role,
        employee_id=user.employee_id,
        team_id=user.team_id,
        scopes=scopes,
        via=via,
        display_name=user.display_name,
        csrf_token=csrf_token,
    )

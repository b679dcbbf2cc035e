"""What every API route shares: the caller's scoped workspace, JSON-ready results, the cache.

* :func:`scoped` is the dependency a read route takes: the app's workspace seen through the
  caller's :class:`~cxloop.scope.Scope` (:class:`~cxloop.scope.ScopedWorkspace`), so an
  analysis can only ever read rows the caller may see.
* :func:`cached` keeps heavy results in-process per (route, parameters, scope key), and
  forgets them when the analytics store changes (:func:`data_version`: row counts of the
  tables the analyses read and the newest ingest, a handful of cheap queries).
* :func:`jsonable` turns results (dataclasses, dates, NumPy numbers, NaN) into plain JSON.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import ibis
from fastapi import Depends, Request

from ...act.cases_sync import Org, load_org
from ...errors import NotPermitted, UnknownDimension
from ...scope import Scope, ScopedWorkspace, base_table, build_scope
from ...workspace import Workspace
from ..deps import Principal, require_scope, state

#: results kept per app (least recently used dropped first)
CACHE_SIZE = 512
#: tables whose row counts make up the data version
VERSIONED = (
    "responses",
    "interactions",
    "customers",
    "employees",
    "pulses",
    "comment_themes",
    "comment_tags",
    "response_ratings",
    "pulse_ratings",
)
#: how long a data version is trusted before it is read again (seconds)
VERSION_TTL = 1.0
#: grouping that names people: refused to aggregates-only roles
PEOPLE_DIMENSIONS = frozenset({"agent"})


class ResultCache:
    """Results by key, valid for one data version; thread-safe, bounded."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self.items: OrderedDict[tuple, Any] = OrderedDict()
        self.version: tuple | None = None
        self.checked_at = float("-inf")
        self.org: Org | None = None
        self.lock = threading.Lock()
        self.hits = self.misses = 0

    def check(self, ws: Workspace) -> None:
        """Forget everything if the data changed (looked at most every ``VERSION_TTL`` s)."""
        if time.monotonic() - self.checked_at < VERSION_TTL:
            return
        version = data_version(ws)
        with self.lock:
            self.checked_at = time.monotonic()
            if version != self.version:
                self.items.clear()
                self.version, self.org = version, None

    def forget(self) -> None:
        """Forget everything now (after this process changed the data)."""
        with self.lock:
            self.items.clear()
            self.version, self.org, self.checked_at = None, None, float("-inf")

    def get(self, key: tuple) -> tuple[bool, Any]:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                self.hits += 1
                return True, self.items[key]
            self.misses += 1
            return False, None

    def put(self, key: tuple, value: Any) -> None:
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)


def result_cache(request: Request) -> ResultCache:
    """The app's result cache (made on first use)."""
    state = request.app.state
    if not hasattr(state, "cxloop_results"):
        state.cxloop_results = ResultCache()
    return state.cxloop_results


def data_version(ws: Workspace) -> tuple:
    """A cheap fingerprint of the analytics store (one query): the row counts of the tables
    the analyses read and the newest ingest; changes whenever data is ingested or tagged."""
    store = ws.analytics
    parts = [base_table(store, t).aggregate(n=ibis._.count(), k=ibis.literal(t)) for t in VERSIONED]
    log = base_table(store, "ingest_log")
    parts.append(log.aggregate(n=log.count(), k=log.ingested_at.max().cast("string")))
    rows = store.con.to_pyarrow(ibis.union(*parts)).to_pylist()
    return tuple(sorted((str(r["k"]), r["n"]) for r in rows))


def scope_of(request: Request, who: Principal) -> Scope:
    """The caller's scope, from the organisation as of the current data version (the store
    is read, under the workspace lock, only when the version is due a look)."""
    cache, web = result_cache(request), state(request)
    if time.monotonic() - cache.checked_at >= VERSION_TTL or cache.org is None:
        with web.lock:
            cache.check(web.ws)
            if cache.org is None:
                cache.org = load_org(web.ws)
    return build_scope(cache.org, who.username, who.role, who.employee_id, who.team_id)


def locked(request: Request) -> threading.Lock:
    """The workspace lock: hold it while anything reads the analytics store (DuckDB's
    connection is not safe for two threads at once; :mod:`cxloop.web.deps`)."""
    return state(request).lock


def scoped_with(name: str) -> Callable[..., ScopedWorkspace]:
    """A dependency: the workspace as the caller may see it, if they hold scope ``name``.

    Unlike :func:`cxloop.web.deps.get_workspace` it does not hold the workspace lock for the
    whole request: a cached result is served without waiting for it, and routes take it
    (:func:`locked`, :func:`cached`) only while they read the analytics store.
    """

    checked = Depends(require_scope(name))

    def dependency(request: Request, who: Principal = checked) -> ScopedWorkspace:
        return ScopedWorkspace(state(request).ws, scope_of(request, who))

    dependency.__name__ = f"scoped_{name}"
    return dependency


#: The dependency of every read route.
scoped = scoped_with("read")


def cached(
    request: Request,
    sw: ScopedWorkspace,
    route: str,
    params: Mapping[str, Any],
    compute: Callable[[], Any],
) -> Any:
    """``compute()`` made JSON-ready, or the result kept from an earlier identical call."""
    cache = result_cache(request)
    key = (route, tuple(sorted((k, repr(v)) for k, v in params.items())), sw.scope.key)
    hit, value = cache.get(key)
    if hit:
        return value
    with locked(request):
        hit, value = cache.get(key)  # another request may have just computed it
        if not hit:
            value = jsonable(compute())
            cache.put(key, value)
    return value


def parse_where(items: list[str] | None) -> dict[str, list[str]] | None:
    """``["channel=phone,chat", "segment=mass"]`` -> ``{"channel": ["phone", "chat"], ...}``."""
    out: dict[str, list[str]] = {}
    for item in items or ():
        name, sep, values = item.partition("=")
        if not sep or not name.strip() or not values.strip():
            raise UnknownDimension(f"filter {item!r} is not dimension=value[,value...]")
        out.setdefault(name.strip().lower(), []).extend(
            v.strip() for v in values.split(",") if v.strip()
        )
    return out or None


def no_people(scope: Scope, by: str | None, where: Mapping[str, Any] | None = None) -> None:
    """NotPermitted when an aggregates-only caller groups or filters by a person."""
    asked = {b.strip().lower() for b in (by or "").split(",")} | set(where or ())
    if scope.aggregates_only and asked & PEOPLE_DIMENSIONS:
        raise NotPermitted(
            f"{scope.username!r} ({scope.role.value}) may see aggregates only, not per agent"
        )


def jsonable(value: Any) -> Any:
    """Plain JSON values: dataclasses as dicts, dates as ISO text, NaN and infinities as null."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, decimal.Decimal):
        return jsonable(float(value))
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    for method in ("to_dict", "as_dict"):
        if callable(getattr(value, method, None)):
            return jsonable(getattr(value, method)())
    if dataclasses.is_dataclass(value):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "item"):  # NumPy scalars
        return jsonable(value.item())
    if hasattr(value, "tolist"):  # NumPy arrays
        return jsonable(value.tolist())
    return str(value)

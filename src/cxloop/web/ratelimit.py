"""Sign-in rate limiting: at most 5 failed attempts per username and per client address
in 15 minutes, counted in the app store so the limit holds across workers and restarts.

    check(store, "amira", "10.0.0.7")           # RateLimited(retry_after=...) when over
    record_failure(store, "amira", "10.0.0.7")
    clear(store, "amira")                       # after a successful sign-in
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select

from ..errors import RateLimited
from ..store.app import AppStore
from ..store.app.models import utcnow
from ..store.app.models_web import LoginAttempt

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
#: failures older than this are deleted when a new one is recorded
KEEP = timedelta(days=1)


def key(username: str) -> str:
    """Usernames are counted case- and space-insensitively (so AMIRA is amira)."""
    return username.strip().lower()[:64]


def check(store: AppStore, username: str, client_ip: str, *, now: datetime | None = None) -> None:
    """RateLimited if this username or this address failed 5 times in the last 15 minutes."""
    now = now or utcnow()
    since = now - WINDOW
    with store.session("checking sign-in attempts") as session:
        for column, value in (
            (LoginAttempt.username, key(username)),
            (LoginAttempt.client_ip, client_ip[:64]),
        ):
            count, oldest = session.execute(
                select(func.count(), func.min(LoginAttempt.attempted_at)).where(
                    column == value, LoginAttempt.attempted_at > since
                )
            ).one()
            if count >= MAX_FAILURES:
                oldest = _aware(oldest)
                wait = math.ceil((oldest + WINDOW - now).total_seconds())
                raise RateLimited(
                    "too many failed sign-ins; try again in "
                    f"{max(1, math.ceil(wait / 60))} minute(s)",
                    retry_after=wait,
                )


def record_failure(
    store: AppStore, username: str, client_ip: str, *, now: datetime | None = None
) -> None:
    """Count one failed sign-in (and forget failures older than a day)."""
    now = now or utcnow()
    with store.session("recording a failed sign-in") as session:
        session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < now - KEEP))
        session.add(LoginAttempt(username=key(username), client_ip=client_ip[:64],
                                 attempted_at=now))  # fmt: skip


def clear(store: AppStore, username: str) -> None:
    """Forget this username's failures (a successful sign-in)."""
    with store.session("clearing failed sign-ins") as session:
        session.execute(delete(LoginAttempt).where(LoginAttempt.username == key(username)))


def _aware(value: datetime) -> datetime:
    """min() bypasses the column type on SQLite: mark a naive value as the UTC it is."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value

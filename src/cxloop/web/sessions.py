"""Server-side sign-in sessions: one row per signed-in browser, found by its cookie.

The cookie holds a random 32-byte token; the app store keeps only its SHA-256, so a
copy of the database cannot be used to sign in. A session ends after 8 idle hours,
7 days after sign-in whatever happens, at logout, or when its user's password changes.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from ..store.app import AppStore
from ..store.app.models import User, utcnow
from ..store.app.models_web import WebSession

COOKIE = "cxloop_session"
IDLE = timedelta(hours=8)
ABSOLUTE = timedelta(days=7)
#: last_seen_at is written at most this often (one write per minute, not per request)
TOUCH_EVERY = timedelta(seconds=60)
SECURE_ENV = "CXLOOP_SECURE_COOKIES"


@dataclass(frozen=True)
class SignedIn:
    """A live session and its user, as read at the start of a request."""

    session_id: int
    token_hash: str
    csrf_token: str
    user: User


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which a cookie or API token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(store: AppStore, username: str, *, now: datetime | None = None) -> tuple[str, str]:
    """A new session for ``username``: (cookie token, CSRF token). The token is not stored;
    expired sessions of anyone are deleted on the way."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    with store.session("starting a session") as session:
        # sessions nobody came back to are deleted here rather than left behind
        session.execute(delete(WebSession).where(
            (WebSession.expires_at <= now) | (WebSession.last_seen_at <= now - IDLE)))  # fmt: skip
        session.add(
            WebSession(
                token_hash=token_hash(token),
                username=username,
                csrf_token=csrf_token,
                created_at=now,
                last_seen_at=now,
                expires_at=now + ABSOLUTE,
            )
        )
    return token, csrf_token


def find(store: AppStore, token: str | None, *, now: datetime | None = None) -> SignedIn | None:
    """The live session of this cookie token and its active user, or None.

    An expired session (idle or absolute) is deleted on sight; a live one has its
    ``last_seen_at`` moved on (at most once a minute).
    """
    if not token:
        return None
    now = now or utcnow()
    hashed = token_hash(token)
    with store.session("reading a session") as session:
        row = session.scalar(select(WebSession).where(WebSession.token_hash == hashed))
        if row is None:
            return None
        if now >= row.expires_at or now >= row.last_seen_at + IDLE:
            session.delete(row)
            return None
        user = session.scalar(select(User).where(User.username == row.username))
        if user is None or not user.active:
            session.delete(row)
            return None
        if now - row.last_seen_at >= TOUCH_EVERY:
            row.last_seen_at = now
        return SignedIn(row.id, hashed, row.csrf_token, user)


def end(store: AppStore, token: str | None) -> None:
    """Delete the session of this cookie token (logout); nothing if there is none."""
    if not token:
        return
    with store.session("ending a session") as session:
        session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))


def end_all(store: AppStore, username: str, *, keep: str | None = None) -> int:
    """Delete every session of ``username`` except the one whose hash is ``keep``."""
    query = delete(WebSession).where(WebSession.username == username)
    if keep is not None:
        query = query.where(WebSession.token_hash != keep)
    with store.session("ending sessions") as session:
        return session.execute(query).rowcount or 0


def secure_cookies(scheme: str) -> bool:
    """Cookies carry Secure over https, or always when $CXLOOP_SECURE_COOKIES=1."""
    return scheme == "https" or os.environ.get(SECURE_ENV, "") == "1"

"""The web app's tables: sign-in sessions, failed sign-in attempts, API tokens.

Kept apart from models.py (which holds the records people work on) and imported at its
end, so every table is on ``Base.metadata``. Secrets are never stored: a session cookie
and an API token are kept as the SHA-256 of their random value.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, JsonDocument, utcnow


class WebSession(Base):
    """A signed-in browser: the cookie's hash, its CSRF token and when it lapses.

    Idle sessions end ``last_seen_at`` + 8 hours; every session ends at ``expires_at``
    (7 days after sign-in) whatever happens.
    """

    __tablename__, __table_args__ = "web_sessions", (Index(None, "username"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str] = mapped_column(String(64))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(
        default=utcnow, server_default=func.current_timestamp()
    )
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class LoginAttempt(Base):
    """One failed sign-in (by username and by client address), for rate limiting."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index(None, "username", "attempted_at"),
        Index(None, "client_ip", "attempted_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    client_ip: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime]


class ApiToken(Base):
    """A bearer token acting as its user, limited to its scopes (read, write, ingest, admin)."""

    __tablename__, __table_args__ = "api_tokens", (Index(None, "username"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    username: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(
        default=utcnow, server_default=func.current_timestamp()
    )
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    def to_dict(self) -> dict[str, object]:
        """The token as plain values (never its hash), e.g. for the audit trail."""
        return {
            "id": self.id,
            "name": self.name,
            "username": self.username,
            "scopes": list(self.scopes),
            "created_at": self.created_at,
            "last_used_at": self.last_used_at,
            "expires_at": self.expires_at,
            "revoked_at": self.revoked_at,
        }

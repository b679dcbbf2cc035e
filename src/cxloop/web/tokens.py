"""API tokens: bearer secrets that act as their user, limited to their scopes.

    secret, token = create(store, username="ops", name="nightly ingest",
                           scopes=["ingest"], actor="admin")
    # secret is shown once: "cxl_..."; only its SHA-256 is stored
    authenticate(store, secret)       # -> (ApiToken, User), or NotSignedIn
    revoke(store, token.id, actor="admin")

Scopes: ``read`` (GET), ``write`` (change records), ``ingest`` (POST batches),
``admin`` (users and tokens). ``ingest`` and ``admin`` need a user with the admin role.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select

from ..errors import NotSignedIn, RecordInvalid
from ..store.app import AppStore, audit, checks
from ..store.app.models import Role, User, utcnow
from ..store.app.models_web import ApiToken
from .sessions import token_hash

PREFIX = "cxl_"
SCOPES = ("read", "write", "ingest", "admin")
#: scopes only an admin user may hold (a token cannot grant more than its user has)
ADMIN_SCOPES = frozenset({"ingest", "admin"})
#: last_used_at is written at most this often
TOUCH_EVERY = timedelta(seconds=60)


def role_scopes(role: Role) -> frozenset[str]:
    """Everything a user of this role may do through the API (a session has all of it)."""
    return frozenset(SCOPES) if role is Role.admin else frozenset(SCOPES) - ADMIN_SCOPES


def parse_scopes(scopes: Iterable[str]) -> list[str]:
    """Scopes checked and in canonical order; RecordInvalid on an unknown or empty list."""
    wanted = {s.strip().lower() for s in scopes if s.strip()}
    unknown = sorted(wanted - set(SCOPES))
    if unknown:
        raise RecordInvalid(f"unknown scope {unknown[0]!r}; the scopes are: {', '.join(SCOPES)}")
    if not wanted:
        raise RecordInvalid(f"a token needs at least one scope: {', '.join(SCOPES)}")
    return [s for s in SCOPES if s in wanted]


def create(
    store: AppStore,
    *,
    username: str,
    name: str,
    scopes: Iterable[str],
    actor: str,
    expires_at: datetime | None = None,
) -> tuple[str, ApiToken]:
    """A new token for ``username`` (audited): (the secret, shown once; the record)."""
    name = checks.text(name, field="token name", max_length=200)
    wanted = parse_scopes(scopes)
    if expires_at is not None and expires_at.tzinfo is None:
        raise RecordInvalid("the expiry needs a time zone")
    secret = PREFIX + secrets.token_urlsafe(32)
    with store.session(f"creating token {name!r}") as session:
        user = session.scalar(select(User).where(User.username == username.strip()))
        if user is None:
            raise RecordInvalid(f"no user {username!r}; add one with `cxloop users add`")
        beyond = sorted(set(wanted) - role_scopes(user.role))
        if beyond:
            raise RecordInvalid(
                f"user {user.username!r} ({user.role.value}) cannot hold scope {beyond[0]!r}; "
                "ingest and admin tokens need an admin user"
            )
        token = ApiToken(
            name=name,
            username=user.username,
            token_hash=token_hash(secret),
            scopes=wanted,
            created_at=utcnow(),
            expires_at=expires_at,
        )
        session.add(token)
        session.flush()
        audit.add_event(session, actor=actor, entity="api_token", entity_id=token.id,
                        action="create", after=_plain(token))  # fmt: skip
    return secret, token


def list_tokens(store: AppStore, *, username: str | None = None) -> list[ApiToken]:
    """Tokens (revoked and expired ones too), newest first; one user's if given."""
    query = select(ApiToken).order_by(ApiToken.id.desc())
    if username is not None:
        query = query.where(ApiToken.username == username)
    with store.session() as session:
        return list(session.scalars(query))


def revoke(store: AppStore, token_id: int, *, actor: str) -> ApiToken:
    """Revoke a token (audited); revoking it again changes nothing."""
    with store.session(f"revoking token {token_id}") as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            raise RecordInvalid(f"no token {token_id}; see `cxloop tokens list`")
        if token.revoked_at is None:
            before = _plain(token)
            token.revoked_at = utcnow()
            session.flush()
            audit.add_event(session, actor=actor, entity="api_token", entity_id=token.id,
                            action="revoke", before=before, after=_plain(token))  # fmt: skip
        return token


def authenticate(
    store: AppStore, secret: str, *, now: datetime | None = None
) -> tuple[ApiToken, User]:
    """The live token of this secret and its active user; NotSignedIn otherwise."""
    now = now or utcnow()
    if not secret.startswith(PREFIX):
        raise NotSignedIn("not a cxloop API token")
    with store.session("checking an API token") as session:
        token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(secret)))
        if token is None:
            raise NotSignedIn("unknown API token")
        if token.revoked_at is not None:
            raise NotSignedIn("this API token was revoked")
        if token.expires_at is not None and now >= token.expires_at:
            raise NotSignedIn("this API token has expired")
        user = session.scalar(select(User).where(User.username == token.username))
        if user is None or not user.active:
            raise NotSignedIn("the user of this API token is not active")
        if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
            token.last_used_at = now
        return token, user


def _plain(token: ApiToken) -> dict[str, object]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in token.to_dict().items()}

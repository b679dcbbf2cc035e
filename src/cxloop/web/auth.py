"""Accounts and signing in: adding a user with a password, checking a username and
password (rate-limited), changing a password.

    add_account(ws, username="amira", display_name="Amira K.", role="team_leader",
                employee_id="E00021", password="s3cret-pass", actor="admin")
    user = sign_in(store, "amira", "s3cret-pass", client_ip="10.0.0.7")
    change_password(store, "amira", "n3w-pass-phrase", actor="amira")

Unknown users and wrong passwords fail with the same message (and take the same time:
an unknown user is checked against a dummy hash), so sign-in does not reveal who exists.
"""

from __future__ import annotations

from sqlalchemy import select

from ..errors import NotSignedIn, RecordInvalid
from ..store.app import AppStore, audit
from ..store.app.models import Role, User
from ..store.app.passwords import hash_password, needs_rehash, verify_password
from . import ratelimit, sessions

__all__ = [
    "BAD_SIGN_IN",
    "add_account",
    "change_password",
    "demo_logins",
    "hash_password",
    "sign_in",
    "verify_password",
]

BAD_SIGN_IN = "wrong username or password"


def sign_in(store: AppStore, username: str, password: str, *, client_ip: str) -> User:
    """The active user with this username and password.

    RateLimited after 5 failures (per username or per address) in 15 minutes; otherwise
    NotSignedIn with the same message for an unknown user and a wrong password. A success
    clears the username's failures and upgrades an outdated hash.
    """
    ratelimit.check(store, username, client_ip)
    with store.session("signing in") as session:
        user = session.scalar(select(User).where(User.username == username.strip()))
        stored = user.password_hash if user is not None and user.active else None
    if not verify_password(stored, password):
        ratelimit.record_failure(store, username, client_ip)
        raise NotSignedIn(BAD_SIGN_IN)
    ratelimit.clear(store, username)
    if needs_rehash(stored):
        _set_hash(store, user.username, hash_password(password), actor=user.username)
    return user


def change_password(
    store: AppStore, username: str, password: str, *, actor: str, keep_session: str | None = None
) -> int:
    """Set a new password (audited, without the hash) and end the user's other sessions.

    ``keep_session`` is the token hash of the session that made the change, which stays
    signed in. Returns how many sessions were ended.
    """
    _set_hash(store, username, hash_password(password), actor=actor)
    return sessions.end_all(store, username, keep=keep_session)


def _set_hash(store: AppStore, username: str, new_hash: str, *, actor: str) -> None:
    with store.session(f"changing the password of {username!r}") as session:
        user = session.scalar(select(User).where(User.username == username.strip()))
        if user is None:
            raise RecordInvalid(f"no user {username!r}; see `cxloop users list`")
        user.password_hash = new_hash
        audit.add_event(session, actor=actor, entity="user", entity_id=user.username,
                        action="password", after={"password": "changed"})  # fmt: skip


def add_account(
    ws,
    *,
    username: str,
    display_name: str,
    role: str,
    password: str | None,
    actor: str,
    employee_id: str | None = None,
    team_id: str | None = None,
    email: str | None = None,
) -> User:
    """Add a user who can sign in (audited). An employee id must be in the employees table
    when one is loaded; their team is taken from it unless ``team_id`` is given."""
    from ..act.cases_sync import load_org

    password_hash = hash_password(password) if password is not None else None
    if employee_id is not None:
        org = load_org(ws)
        if org.role and employee_id not in org.role:
            raise RecordInvalid(f"no employee {employee_id!r} in the employees table")
        team_id = team_id or org.team.get(employee_id)
    return ws.app.add_user(username=username, display_name=display_name, role=role,
                           actor=actor, email=email, employee_id=employee_id, team_id=team_id,
                           password_hash=password_hash)  # fmt: skip


def demo_logins(store: AppStore) -> list[tuple[User, str]]:
    """Users whose password is still the demo's ``demo-<role>`` (for ``cxloop serve``)."""
    with store.session() as session:
        users = list(session.scalars(select(User).where(
            User.active.is_(True), User.username.in_([r.value for r in Role])
        ).order_by(User.id)))  # fmt: skip
    out = []
    for user in users:
        password = f"demo-{user.role.value}"
        if user.password_hash and verify_password(user.password_hash, password):
            out.append((user, password))
    return out

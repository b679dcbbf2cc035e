"""People who use cxloop: add, find and list user accounts.

Functions take an open session so callers can combine them in one transaction;
``AppStore`` wraps each in its own.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...errors import RecordConflict, RecordInvalid
from . import audit, checks
from .models import Role, User


def parse_role(value: Role | str) -> Role:
    """``value`` as a Role, or RecordInvalid listing the roles there are."""
    try:
        return Role(value)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise RecordInvalid(f"unknown role {value!r}; the roles are: {known}") from None


def add_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    role: Role | str,
    actor: str,
    email: str | None = None,
    employee_id: str | None = None,
    team_id: str | None = None,
    password_hash: str | None = None,
    active: bool = True,
) -> User:
    """Add a user and its audit event; RecordConflict if the username or employee is taken."""
    user = User(
        username=checks.text(username, field="username", max_length=64),
        display_name=checks.text(display_name, field="display name", max_length=200),
        role=parse_role(role),
        email=checks.optional_text(email, field="email", max_length=320),
        employee_id=checks.optional_text(employee_id, field="employee id", max_length=128),
        team_id=checks.optional_text(team_id, field="team id", max_length=128),
        password_hash=checks.optional_text(password_hash, field="password hash", max_length=512),
        active=bool(active),
    )
    if user.email is not None and "@" not in user.email:
        raise RecordInvalid(f"email {user.email!r} has no @")
    if get_user(session, user.username) is not None:
        raise RecordConflict(f"user {user.username!r} already exists")
    if user.employee_id is not None:
        holder = session.scalar(select(User).where(User.employee_id == user.employee_id))
        if holder is not None:
            raise RecordConflict(
                f"employee {user.employee_id!r} already has a user: {holder.username!r}"
            )
    session.add(user)
    session.flush()
    audit.add_event(
        session,
        actor=actor,
        entity="user",
        entity_id=user.username,
        action="create",
        after=user.to_dict(),
    )
    return user


def get_user(session: Session, username: str) -> User | None:
    """The user with this username, or None."""
    return session.scalar(select(User).where(User.username == username.strip()))


def list_users(
    session: Session, *, role: Role | str | None = None, team_id: str | None = None
) -> list[User]:
    """Users, by username; only those with ``role`` and/or in ``team_id`` if given."""
    query = select(User).order_by(User.username)
    if role is not None:
        query = query.where(User.role == parse_role(role))
    if team_id is not None:
        query = query.where(User.team_id == team_id)
    return list(session.scalars(query))

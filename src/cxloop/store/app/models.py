"""The app store's tables: people who use cxloop, settings they edit, and the audit trail.

Every table follows one pattern so later ones (cases, actions, coaching records) fit in:

* ``Base`` carries a constraint naming convention, so every index and constraint has a
  stable name on SQLite and PostgreSQL alike (Alembic batch mode on SQLite needs names to
  alter a table);
* ``TimestampMixin`` adds ``created_at`` and ``updated_at``, always UTC and timezone-aware
  when read back, whatever the backend;
* ``VersionedMixin`` adds a ``version`` column used by SQLAlchemy's ``version_id_col``:
  every UPDATE says ``WHERE version = <the version read>``, so two people editing the same
  record cannot silently overwrite each other (the loser gets ``RecordConflict``).

The schema itself is created only by the migrations in ``migrations/versions``; a test
checks that the migrated database and these classes agree.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Enum,
    Index,
    Integer,
    MetaData,
    String,
    func,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

#: Names for every constraint and index; the migrations spell out the same names.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (UTC).

    PostgreSQL keeps the zone (``timestamptz``); SQLite has no zone, so values are
    converted to UTC before they are written and marked UTC when read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamp {value.isoformat()} has no time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


#: JSON documents: JSONB on PostgreSQL, JSON text elsewhere.
JsonDocument = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class Base(DeclarativeBase):
    """Declarative base of every app-store table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JsonDocument}


class TimestampMixin:
    """``created_at`` and ``updated_at`` (UTC), set by cxloop and by the database."""

    created_at: Mapped[datetime] = mapped_column(
        default=utcnow, server_default=func.current_timestamp()
    )
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.current_timestamp()
    )


class VersionedMixin:
    """A ``version`` counter checked on every UPDATE (optimistic concurrency).

    A record starts at version 1; each change adds one. An UPDATE or DELETE that finds
    the row at another version changes nothing and fails with ``StaleDataError``, which
    the store turns into ``RecordConflict``.
    """

    version: Mapped[int] = mapped_column(Integer, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class Role(enum.StrEnum):
    """What a person does; decides what they may see and do in the app."""

    agent = "agent"
    team_leader = "team_leader"
    manager = "manager"
    head = "head"
    finance = "finance"
    people_lead = "people_lead"
    admin = "admin"


class User(TimestampMixin, Base):
    """A person who signs in to cxloop.

    ``employee_id`` links the account to the organisation in the analytics store
    (``employees.employee_id``), so an agent sees their own feedback and a team leader
    their team (``team_id``). ``password_hash`` is stored as given; hashing belongs to
    the sign-in code.
    """

    __tablename__ = "users"
    __table_args__ = (Index(None, "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            name="role",
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda roles: [r.value for r in roles],
            validate_strings=True,
        )
    )
    employee_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    team_id: Mapped[str | None] = mapped_column(String(128))
    password_hash: Mapped[str | None] = mapped_column(String(512))
    active: Mapped[bool] = mapped_column(default=True, server_default=true())

    def to_dict(self) -> dict[str, Any]:
        """The user as plain values (never the password hash), e.g. for the audit trail."""
        return {
            "id": self.id,
            "username": self.username,
            "display_name": self.display_name,
            "email": self.email,
            "role": str(self.role),
            "employee_id": self.employee_id,
            "team_id": self.team_id,
            "active": self.active,
        }

    def __repr__(self) -> str:
        return f"User(username={self.username!r}, role={str(self.role)!r})"


class Setting(VersionedMixin, TimestampMixin, Base):
    """A setting people edit in the app (targets, thresholds, wording), as a JSON value.

    Distinct from cxloop.toml, which holds how the workspace is set up. Every change is
    versioned and written to the audit trail with its before and after value.
    """

    __tablename__ = "settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    value: Mapped[Any] = mapped_column(JsonDocument, nullable=True)
    updated_by: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"Setting(key={self.key!r}, version={self.version})"


class AuditEvent(Base):
    """One change to one record: who did what, when, and the record before and after."""

    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "entity", "entity_id"), Index(None, "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.current_timestamp())
    actor: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    before: Mapped[dict[str, Any] | None] = mapped_column()
    after: Mapped[dict[str, Any] | None] = mapped_column()

    def __repr__(self) -> str:
        return (
            f"AuditEvent({self.entity}/{self.entity_id} {self.action} by {self.actor!r} "
            f"at {self.at.isoformat() if self.at else None})"
        )

"""The app store's tables: people who use cxloop, settings they edit, the audit trail, and
the records of closing the loop (cases and their notes, improvement actions, promoter
invitations) and of coaching (sessions, their attendees, 1:1 check-ins).

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
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
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


def _enum(kind: type[enum.StrEnum], name: str) -> Enum:
    """A string column limited to the values of ``kind`` (a CHECK constraint on every backend)."""
    return Enum(kind, name=name, native_enum=False, create_constraint=True, length=32,
                values_callable=lambda values: [v.value for v in values],
                validate_strings=True)  # fmt: skip


class CaseStatus(enum.StrEnum):
    """Where a case stands: open -> contacted -> resolved, or unable to reach."""

    open = "open"
    contacted = "contacted"
    resolved = "resolved"
    unable_to_reach = "unable_to_reach"


class Case(VersionedMixin, TimestampMixin, Base):
    """Follow-up of one survey response that met a rule (the inner loop).

    Opened by ``cxloop cases sync`` from the rules in cxloop.toml: ``rule`` names the rule
    and ``reason`` says why in words. ``owner`` is the username (or employee id) of the
    person who must act; ``due_at`` follows the rule's SLA. Every change is versioned and
    written to the audit trail.
    """

    __tablename__ = "cases"
    __table_args__ = (
        Index(None, "team_id", "status"),
        Index(None, "customer_id"),
        Index(None, "owner", "status"),
        Index(None, "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[str] = mapped_column(String(128), unique=True)
    customer_id: Mapped[str | None] = mapped_column(String(128))
    agent_id: Mapped[str | None] = mapped_column(String(128))
    team_id: Mapped[str | None] = mapped_column(String(128))
    rule: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500))
    priority: Mapped[str] = mapped_column(String(16))
    status: Mapped[CaseStatus] = mapped_column(_enum(CaseStatus, "case_status"))
    owner: Mapped[str | None] = mapped_column(String(128))
    responded_at: Mapped[datetime]
    opened_at: Mapped[datetime]
    due_at: Mapped[datetime]
    first_contact_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    resolution_code: Mapped[str | None] = mapped_column(String(64))
    root_cause_theme: Mapped[str | None] = mapped_column(String(200))
    issue_fixed: Mapped[bool | None]
    escalation_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    escalated_at: Mapped[datetime | None]
    details: Mapped[dict[str, Any] | None] = mapped_column()

    def to_dict(self) -> dict[str, Any]:
        """The case as plain values (for the audit trail, JSON output and the API)."""
        out: dict[str, Any] = {}
        for column in self.__table__.columns:
            value = getattr(self, column.key)
            out[column.key] = value.isoformat() if isinstance(value, datetime) else (
                str(value) if isinstance(value, enum.Enum) else value)  # fmt: skip
        return out

    def __repr__(self) -> str:
        return f"Case(id={self.id}, response={self.response_id!r}, status={str(self.status)!r})"


class CaseNote(TimestampMixin, Base):
    """A note on a case: what was said or done, by whom, when."""

    __tablename__ = "case_notes"
    __table_args__ = (Index(None, "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)


class ActionStatus(enum.StrEnum):
    """Where an improvement action stands."""

    planned = "planned"
    in_progress = "in_progress"
    done = "done"
    dropped = "dropped"


class Action(VersionedMixin, TimestampMixin, Base):
    """An improvement initiative tied to themes: the "we did" of "you said, we did"."""

    __tablename__ = "actions"
    __table_args__ = (Index(None, "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    themes: Mapped[list[str]] = mapped_column(JsonDocument)
    owner: Mapped[str] = mapped_column(String(128))
    started_on: Mapped[date]
    status: Mapped[ActionStatus] = mapped_column(_enum(ActionStatus, "action_status"))
    expected_effect: Mapped[str | None] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(String(32), default="everyone", server_default="everyone")
    created_by: Mapped[str] = mapped_column(String(64))


class Invitation(TimestampMixin, Base):
    """An invitation sent to a promoter (referral or testimonial), so nobody is asked twice
    too soon."""

    __tablename__ = "invitations"
    __table_args__ = (Index(None, "customer_id", "invited_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    response_id: Mapped[str | None] = mapped_column(String(128))
    invited_at: Mapped[datetime]
    invited_by: Mapped[str] = mapped_column(String(64))


class SessionKind(enum.StrEnum):
    """A coaching session with one agent, or a workshop with several."""

    one_to_one, workshop = "one_to_one", "workshop"


class CoachingSession(VersionedMixin, TimestampMixin, Base):
    """A 1:1 or a workshop: who coached (``leader_id``: employee id, else username), when,
    on which focus areas (canonical names, :mod:`cxloop.coach.focus`), what was agreed and
    when to follow it up. Agents are in ``coaching_attendees``; a follow-up names the
    session it follows (``follow_up_of``); ``external_key`` makes an import idempotent."""

    __tablename__ = "coaching_sessions"
    __table_args__ = (Index(None, "leader_id", "held_on"), Index(None, "held_on"),
                      Index(None, "follow_up_on"))  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SessionKind] = mapped_column(_enum(SessionKind, "session_kind"))
    leader_id: Mapped[str] = mapped_column(String(128))
    held_on: Mapped[date]
    programme: Mapped[str | None] = mapped_column(String(200))
    focus_areas: Mapped[list[str]] = mapped_column(JsonDocument)
    agreed_actions: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)  # restricted like check-in notes
    follow_up_on: Mapped[date | None]
    follow_up_of: Mapped[int | None] = mapped_column(ForeignKey("coaching_sessions.id",
                                                                ondelete="SET NULL"))  # fmt: skip
    followed_up_on: Mapped[date | None]
    reminded_at: Mapped[datetime | None]  # when the leader was reminded (once)
    overdue_notified_at: Mapped[datetime | None]  # when the leader's manager was told (once)
    source: Mapped[str] = mapped_column(String(16), default="cxloop", server_default="cxloop")
    external_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_by: Mapped[str] = mapped_column(String(64))


class CoachingAttendee(Base):
    """One agent at one coaching session."""

    __tablename__, __table_args__ = "coaching_attendees", (Index(None, "employee_id"),)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("coaching_sessions.id", ondelete="CASCADE"), primary_key=True)  # fmt: skip
    employee_id: Mapped[str] = mapped_column(String(128), primary_key=True)


class Checkin(TimestampMixin, Base):
    """A 1:1 check-in note; readable by the employee, their leader and the leader's manager."""

    __tablename__, __table_args__ = "checkins", (Index(None, "employee_id", "held_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[str] = mapped_column(String(128))
    leader_id: Mapped[str | None] = mapped_column(String(128))
    held_on: Mapped[date]
    notes: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))

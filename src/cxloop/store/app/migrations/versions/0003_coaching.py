"""Coaching: sessions (1:1s and workshops), their attendees, 1:1 check-in notes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

Hand-written, like 0001 and 0002: names follow models.NAMING_CONVENTION, and the models
are not imported, so this keeps describing revision 0003 however they change later.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SESSION_KINDS = ("one_to_one", "workshop")


def _json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _timestamp(name: str, *, nullable: bool = False, now: bool = False) -> sa.Column:
    default = sa.func.current_timestamp() if now else None
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, server_default=default)


def upgrade() -> None:
    kinds = ", ".join(f"'{k}'" for k in SESSION_KINDS)
    op.create_table(
        "coaching_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("leader_id", sa.String(128), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("programme", sa.String(200), nullable=True),
        sa.Column("focus_areas", _json(), nullable=False),
        sa.Column("agreed_actions", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        sa.Column("follow_up_of", sa.Integer(), nullable=True),
        sa.Column("followed_up_on", sa.Date(), nullable=True),
        _timestamp("reminded_at", nullable=True),
        _timestamp("overdue_notified_at", nullable=True),
        sa.Column("source", sa.String(16), nullable=False, server_default="cxloop"),
        sa.Column("external_key", sa.String(200), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _timestamp("created_at", now=True),
        _timestamp("updated_at", now=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_sessions")),
        sa.UniqueConstraint("external_key", name=op.f("uq_coaching_sessions_external_key")),
        sa.ForeignKeyConstraint(
            ["follow_up_of"],
            ["coaching_sessions.id"],
            ondelete="SET NULL",
            name=op.f("fk_coaching_sessions_follow_up_of_coaching_sessions"),
        ),  # fmt: skip
        sa.CheckConstraint(f"kind IN ({kinds})", name=op.f("ck_coaching_sessions_session_kind")),
    )
    op.create_index(
        op.f("ix_coaching_sessions_leader_id_held_on"),
        "coaching_sessions",
        ["leader_id", "held_on"],
    )
    op.create_index(op.f("ix_coaching_sessions_held_on"), "coaching_sessions", ["held_on"])
    op.create_index(
        op.f("ix_coaching_sessions_follow_up_on"), "coaching_sessions", ["follow_up_on"]
    )

    op.create_table(
        "coaching_attendees",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "employee_id", name=op.f("pk_coaching_attendees")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["coaching_sessions.id"],
            ondelete="CASCADE",
            name=op.f("fk_coaching_attendees_session_id_coaching_sessions"),
        ),  # fmt: skip
    )
    op.create_index(
        op.f("ix_coaching_attendees_employee_id"), "coaching_attendees", ["employee_id"]
    )

    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.String(128), nullable=False),
        sa.Column("leader_id", sa.String(128), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _timestamp("created_at", now=True),
        _timestamp("updated_at", now=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
    )
    op.create_index(op.f("ix_checkins_employee_id_held_on"), "checkins", ["employee_id", "held_on"])


def downgrade() -> None:
    op.drop_index(op.f("ix_checkins_employee_id_held_on"), table_name="checkins")
    op.drop_table("checkins")
    op.drop_index(op.f("ix_coaching_attendees_employee_id"), table_name="coaching_attendees")
    op.drop_table("coaching_attendees")
    for index in ("follow_up_on", "held_on", "leader_id_held_on"):
        op.drop_index(op.f(f"ix_coaching_sessions_{index}"), table_name="coaching_sessions")
    op.drop_table("coaching_sessions")

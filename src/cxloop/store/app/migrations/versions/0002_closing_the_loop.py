"""Closing the loop: cases and their notes, improvement actions, promoter invitations.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

Hand-written, like 0001: names follow models.NAMING_CONVENTION, and the models are not
imported, so this keeps describing revision 0002 however they change later.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CASE_STATUSES = ("open", "contacted", "resolved", "unable_to_reach")
ACTION_STATUSES = ("planned", "in_progress", "done", "dropped")


def _json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _timestamp(name: str, *, nullable: bool = False, now: bool = False) -> sa.Column:
    default = sa.func.current_timestamp() if now else None
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, server_default=default)


def _one_of(column: str, values: Sequence[str], table: str, name: str) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=op.f(f"ck_{table}_{name}"))


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.String(128), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=True),
        sa.Column("agent_id", sa.String(128), nullable=True),
        sa.Column("team_id", sa.String(128), nullable=True),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(128), nullable=True),
        _timestamp("responded_at"),
        _timestamp("opened_at"),
        _timestamp("due_at"),
        _timestamp("first_contact_at", nullable=True),
        _timestamp("closed_at", nullable=True),
        sa.Column("resolution_code", sa.String(64), nullable=True),
        sa.Column("root_cause_theme", sa.String(200), nullable=True),
        sa.Column("issue_fixed", sa.Boolean(), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False, server_default="0"),
        _timestamp("escalated_at", nullable=True),
        sa.Column("details", _json(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        _timestamp("created_at", now=True),
        _timestamp("updated_at", now=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("response_id", name=op.f("uq_cases_response_id")),
        _one_of("status", CASE_STATUSES, "cases", "case_status"),
    )
    op.create_index(op.f("ix_cases_team_id_status"), "cases", ["team_id", "status"])
    op.create_index(op.f("ix_cases_customer_id"), "cases", ["customer_id"])
    op.create_index(op.f("ix_cases_owner_status"), "cases", ["owner", "status"])
    op.create_index(op.f("ix_cases_due_at"), "cases", ["due_at"])

    op.create_table(
        "case_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _timestamp("created_at", now=True),
        _timestamp("updated_at", now=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notes")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], ondelete="CASCADE", name=op.f("fk_case_notes_case_id_cases")
        ),  # fmt: skip
    )
    op.create_index(op.f("ix_case_notes_case_id"), "case_notes", ["case_id"])

    op.create_table(
        "actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("themes", _json(), nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("expected_effect", sa.Text(), nullable=True),
        sa.Column("audience", sa.String(32), nullable=False, server_default="everyone"),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _timestamp("created_at", now=True),
        _timestamp("updated_at", now=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actions")),
        _one_of("status", ACTION_STATUSES, "actions", "action_status"),
    )
    op.create_index(op.f("ix_actions_status"), "actions", ["status"])

    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("response_id", sa.String(128), nullable=True),
        _timestamp("invited_at"),
        sa.Column("invited_by", sa.String(64), nullable=False),
        _timestamp("created_at", now=True),
        _timestamp("updated_at", now=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
    )
    op.create_index(
        op.f("ix_invitations_customer_id_invited_at"), "invitations", ["customer_id", "invited_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_invitations_customer_id_invited_at"), table_name="invitations")
    op.drop_table("invitations")
    op.drop_index(op.f("ix_actions_status"), table_name="actions")
    op.drop_table("actions")
    op.drop_index(op.f("ix_case_notes_case_id"), table_name="case_notes")
    op.drop_table("case_notes")
    for index in ("due_at", "owner_status", "customer_id", "team_id_status"):
        op.drop_index(op.f(f"ix_cases_{index}"), table_name="cases")
    op.drop_table("cases")

"""Reminders: once-only record of warnings sent, channel copies of inbox messages.

The file-tracking column that kept its own overdue warning goes: the reminder
engine's ``reminder_sent`` replaces it.

Revision ID: c8fd46ad6902
Revises: 6bf8a8310da1
Create Date: 2026-12-03 19:15:40.433906
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


# Revision identifiers, used by Alembic.
revision = "c8fd46ad6902"
down_revision = "6bf8a8310da1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminder_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=80), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.Column("court_id", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["court_id"],
            ["court.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rule", "subject_id", "round", "level"),
    )
    with op.batch_alter_table("reminder_sent", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reminder_sent_court_id"), ["court_id"], unique=False
        )

    op.create_table(
        "notification_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"], ["notification.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notification_id", "channel"),
    )
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_column("overdue_warned_at")

    with op.batch_alter_table("case_file_version", schema=None) as batch_op:
        batch_op.drop_column("overdue_warned_at")



def downgrade() -> None:
    with op.batch_alter_table("case_file_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("overdue_warned_at", sa.DateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("overdue_warned_at", sa.DateTime(timezone=True), nullable=True)
        )

    op.drop_table("notification_delivery")
    with op.batch_alter_table("reminder_sent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_sent_court_id"))

    op.drop_table("reminder_sent")

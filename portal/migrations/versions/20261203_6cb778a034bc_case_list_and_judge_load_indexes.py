"""Indexes for a state's caseload: case lists newest first, judges' open loads.

Without them the first page of a court's case list sorts the court's whole
caseload, and every allocation reads each open case's row for its judge.

Revision ID: 6cb778a034bc
Revises: 8a1772073d78
Create Date: 2026-12-03 20:23:26.564505
"""

from __future__ import annotations

from alembic import op

# Revision identifiers, used by Alembic.
revision = "6cb778a034bc"
down_revision = "8a1772073d78"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("court_case", schema=None) as batch_op:
        batch_op.create_index(
            "ix_court_case_court_registered",
            ["court_id", "registered_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_court_case_judge_status",
            ["judge_id", "status", "case_type_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_court_case_registered_at", ["registered_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("court_case", schema=None) as batch_op:
        batch_op.drop_index("ix_court_case_registered_at")
        batch_op.drop_index("ix_court_case_judge_status")
        batch_op.drop_index("ix_court_case_court_registered")

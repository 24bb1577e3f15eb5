"""Certificates and audit chain: officers' registered certificates and
identity numbers (versioned), and the access log's hash chain (its columns
and the chain-head row writers lock).

Revision ID: 52c5905951f6
Revises: 410896e14f6f
Create Date: 2026-12-03 19:16:00.519046
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


# Revision identifiers, used by Alembic.
revision = "52c5905951f6"
down_revision = "410896e14f6f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=True),
        sa.Column("last_hash", sa.String(length=64), nullable=True),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # The chain starts empty; writers lock this row (portal.audit.chain).
    op.execute(sa.text("INSERT INTO audit_chain_head (id, length) VALUES (1, 0)"))
    op.create_table(
        "officer_certificate_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column(
            "fingerprint", sa.String(length=64), autoincrement=False, nullable=True
        ),
        sa.Column("subject", sa.String(length=500), autoincrement=False, nullable=True),
        sa.Column("issuer", sa.String(length=500), autoincrement=False, nullable=True),
        sa.Column("serial", sa.String(length=64), autoincrement=False, nullable=True),
        sa.Column(
            "not_before", sa.DateTime(timezone=True), autoincrement=False, nullable=True
        ),
        sa.Column(
            "not_after", sa.DateTime(timezone=True), autoincrement=False, nullable=True
        ),
        sa.Column("pem", sa.Text(), autoincrement=False, nullable=True),
        sa.Column("registered_by_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column(
            "revoked_at", sa.DateTime(timezone=True), autoincrement=False, nullable=True
        ),
        sa.Column("revoked_by_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column(
            "revoked_reason", sa.String(length=300), autoincrement=False, nullable=True
        ),
        sa.Column(
            "expiry_warned_at",
            sa.DateTime(timezone=True),
            autoincrement=False,
            nullable=True,
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), autoincrement=False, nullable=True
        ),
        sa.Column(
            "changed_at", sa.DateTime(timezone=True), autoincrement=False, nullable=True
        ),
        sa.Column(
            "transaction_id", sa.BigInteger(), autoincrement=False, nullable=False
        ),
        sa.Column("end_transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("operation_type", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", "transaction_id"),
    )
    with op.batch_alter_table("officer_certificate_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_officer_certificate_version_end_transaction_id"),
            ["end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_officer_certificate_version_not_after"),
            ["not_after"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_officer_certificate_version_operation_type"),
            ["operation_type"],
            unique=False,
        )
        batch_op.create_index(
            "ix_officer_certificate_version_pk_transaction_id",
            ["id", sa.literal_column("transaction_id DESC")],
            unique=False,
        )
        batch_op.create_index(
            "ix_officer_certificate_version_pk_validity",
            ["id", "transaction_id", "end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_officer_certificate_version_transaction_id"),
            ["transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_officer_certificate_version_user_id"),
            ["user_id"],
            unique=False,
        )

    op.create_table(
        "officer_identity_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column(
            "id_number", sa.String(length=12), autoincrement=False, nullable=True
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), autoincrement=False, nullable=True
        ),
        sa.Column(
            "changed_at", sa.DateTime(timezone=True), autoincrement=False, nullable=True
        ),
        sa.Column(
            "transaction_id", sa.BigInteger(), autoincrement=False, nullable=False
        ),
        sa.Column("end_transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("operation_type", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", "transaction_id"),
    )
    with op.batch_alter_table("officer_identity_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_officer_identity_version_end_transaction_id"),
            ["end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_officer_identity_version_operation_type"),
            ["operation_type"],
            unique=False,
        )
        batch_op.create_index(
            "ix_officer_identity_version_pk_transaction_id",
            ["id", sa.literal_column("transaction_id DESC")],
            unique=False,
        )
        batch_op.create_index(
            "ix_officer_identity_version_pk_validity",
            ["id", "transaction_id", "end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_officer_identity_version_transaction_id"),
            ["transaction_id"],
            unique=False,
        )

    op.create_table(
        "officer_certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pem", sa.Text(), nullable=False),
        sa.Column("registered_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_reason", sa.String(length=300), nullable=True),
        sa.Column("expiry_warned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registered_by_id"],
            ["ab_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["ab_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["ab_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("fingerprint"),
    )
    with op.batch_alter_table("officer_certificate", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_officer_certificate_not_after"), ["not_after"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_officer_certificate_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "officer_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("id_number", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["ab_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("id_number"),
        sa.UniqueConstraint("user_id"),
    )
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("detail", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_access_log_hash", ["hash"])



def downgrade() -> None:
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.drop_constraint("uq_access_log_hash", type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("detail")

    op.drop_table("officer_identity")
    with op.batch_alter_table("officer_certificate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officer_certificate_user_id"))
        batch_op.drop_index(batch_op.f("ix_officer_certificate_not_after"))

    op.drop_table("officer_certificate")
    with op.batch_alter_table("officer_identity_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officer_identity_version_transaction_id"))
        batch_op.drop_index("ix_officer_identity_version_pk_validity")
        batch_op.drop_index("ix_officer_identity_version_pk_transaction_id")
        batch_op.drop_index(batch_op.f("ix_officer_identity_version_operation_type"))
        batch_op.drop_index(
            batch_op.f("ix_officer_identity_version_end_transaction_id")
        )

    op.drop_table("officer_identity_version")
    with op.batch_alter_table("officer_certificate_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officer_certificate_version_user_id"))
        batch_op.drop_index(batch_op.f("ix_officer_certificate_version_transaction_id"))
        batch_op.drop_index("ix_officer_certificate_version_pk_validity")
        batch_op.drop_index("ix_officer_certificate_version_pk_transaction_id")
        batch_op.drop_index(batch_op.f("ix_officer_certificate_version_operation_type"))
        batch_op.drop_index(batch_op.f("ix_officer_certificate_version_not_after"))
        batch_op.drop_index(
            batch_op.f("ix_officer_certificate_version_end_transaction_id")
        )

    op.drop_table("officer_certificate_version")
    op.drop_table("audit_chain_head")

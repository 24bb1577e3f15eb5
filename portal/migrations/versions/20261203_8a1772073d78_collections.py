"""Collections: counters, receipts and their lines and cancellations, number
series and offline blocks, case fees, fines, deposits, closed days, the
offline sync queue and counter nonces; fee types gain a kind.

Revision ID: 8a1772073d78
Revises: 52c5905951f6
Create Date: 2026-12-03 19:17:28.692396
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Revision identifiers, used by Alembic.
revision = "8a1772073d78"
down_revision = "52c5905951f6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_fee_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("amount_sen", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("receipt_id", sa.Integer(), autoincrement=False, nullable=True),
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
    with op.batch_alter_table("case_fee_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_fee_version_end_transaction_id"),
            ["end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_case_fee_version_operation_type"),
            ["operation_type"],
            unique=False,
        )
        batch_op.create_index(
            "ix_case_fee_version_pk_transaction_id",
            ["id", sa.literal_column("transaction_id DESC")],
            unique=False,
        )
        batch_op.create_index(
            "ix_case_fee_version_pk_validity",
            ["id", "transaction_id", "end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_case_fee_version_transaction_id"),
            ["transaction_id"],
            unique=False,
        )

    op.create_table(
        "case_fine_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("amount_sen", sa.BigInteger(), autoincrement=False, nullable=True),
        sa.Column("imposed_on", sa.Date(), autoincrement=False, nullable=True),
        sa.Column("note", sa.String(length=300), autoincrement=False, nullable=True),
        sa.Column("receipt_id", sa.Integer(), autoincrement=False, nullable=True),
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
    with op.batch_alter_table("case_fine_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_fine_version_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_case_fine_version_end_transaction_id"),
            ["end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_case_fine_version_operation_type"),
            ["operation_type"],
            unique=False,
        )
        batch_op.create_index(
            "ix_case_fine_version_pk_transaction_id",
            ["id", sa.literal_column("transaction_id DESC")],
            unique=False,
        )
        batch_op.create_index(
            "ix_case_fine_version_pk_validity",
            ["id", "transaction_id", "end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_case_fine_version_transaction_id"),
            ["transaction_id"],
            unique=False,
        )

    op.create_table(
        "collection_counter_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(length=20), autoincrement=False, nullable=True),
        sa.Column("name", sa.String(length=100), autoincrement=False, nullable=True),
        sa.Column(
            "active",
            sa.Boolean(),
            server_default=sa.true(),
            autoincrement=False,
            nullable=True,
        ),
        sa.Column(
            "enrolled_at",
            sa.DateTime(timezone=True),
            autoincrement=False,
            nullable=True,
        ),
        sa.Column("enrolled_by_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column(
            "last_sync_at",
            sa.DateTime(timezone=True),
            autoincrement=False,
            nullable=True,
        ),
        sa.Column("court_id", sa.Integer(), autoincrement=False, nullable=True),
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
    with op.batch_alter_table("collection_counter_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_counter_version_court_id"),
            ["court_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_collection_counter_version_end_transaction_id"),
            ["end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_collection_counter_version_operation_type"),
            ["operation_type"],
            unique=False,
        )
        batch_op.create_index(
            "ix_collection_counter_version_pk_transaction_id",
            ["id", sa.literal_column("transaction_id DESC")],
            unique=False,
        )
        batch_op.create_index(
            "ix_collection_counter_version_pk_validity",
            ["id", "transaction_id", "end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_collection_counter_version_transaction_id"),
            ["transaction_id"],
            unique=False,
        )

    op.create_table(
        "collection_day_close_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("counter_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("business_date", sa.Date(), autoincrement=False, nullable=True),
        sa.Column("closed_by_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("total_sen", sa.BigInteger(), autoincrement=False, nullable=True),
        sa.Column("receipts_issued", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column(
            "receipts_cancelled", sa.Integer(), autoincrement=False, nullable=True
        ),
        sa.Column("court_id", sa.Integer(), autoincrement=False, nullable=True),
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
    with op.batch_alter_table("collection_day_close_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_day_close_version_court_id"),
            ["court_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_collection_day_close_version_end_transaction_id"),
            ["end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_collection_day_close_version_operation_type"),
            ["operation_type"],
            unique=False,
        )
        batch_op.create_index(
            "ix_collection_day_close_version_pk_transaction_id",
            ["id", sa.literal_column("transaction_id DESC")],
            unique=False,
        )
        batch_op.create_index(
            "ix_collection_day_close_version_pk_validity",
            ["id", "transaction_id", "end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_collection_day_close_version_transaction_id"),
            ["transaction_id"],
            unique=False,
        )

    op.create_table(
        "collection_sync_queue_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("counter_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column(
            "receipt_uuid", sa.String(length=36), autoincrement=False, nullable=True
        ),
        sa.Column("receipt_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("reason", sa.String(length=300), autoincrement=False, nullable=True),
        sa.Column("payload", sa.JSON(), autoincrement=False, nullable=True),
        sa.Column(
            "resolved",
            sa.Boolean(),
            server_default=sa.false(),
            autoincrement=False,
            nullable=True,
        ),
        sa.Column(
            "resolved_note", sa.String(length=300), autoincrement=False, nullable=True
        ),
        sa.Column("court_id", sa.Integer(), autoincrement=False, nullable=True),
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
    with op.batch_alter_table("collection_sync_queue_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_sync_queue_version_court_id"),
            ["court_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_collection_sync_queue_version_end_transaction_id"),
            ["end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_collection_sync_queue_version_operation_type"),
            ["operation_type"],
            unique=False,
        )
        batch_op.create_index(
            "ix_collection_sync_queue_version_pk_transaction_id",
            ["id", sa.literal_column("transaction_id DESC")],
            unique=False,
        )
        batch_op.create_index(
            "ix_collection_sync_queue_version_pk_validity",
            ["id", "transaction_id", "end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_collection_sync_queue_version_transaction_id"),
            ["transaction_id"],
            unique=False,
        )

    op.create_table(
        "deposit_entry_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("kind", sa.String(length=10), autoincrement=False, nullable=True),
        sa.Column("amount_sen", sa.BigInteger(), autoincrement=False, nullable=True),
        sa.Column("receipt_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("by_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("note", sa.String(length=300), autoincrement=False, nullable=True),
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
    with op.batch_alter_table("deposit_entry_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deposit_entry_version_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_deposit_entry_version_end_transaction_id"),
            ["end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_deposit_entry_version_operation_type"),
            ["operation_type"],
            unique=False,
        )
        batch_op.create_index(
            "ix_deposit_entry_version_pk_transaction_id",
            ["id", sa.literal_column("transaction_id DESC")],
            unique=False,
        )
        batch_op.create_index(
            "ix_deposit_entry_version_pk_validity",
            ["id", "transaction_id", "end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_deposit_entry_version_transaction_id"),
            ["transaction_id"],
            unique=False,
        )

    op.create_table(
        "receipt_cancellation_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("receipt_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("cancelled_by_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column(
            "cancelled_by_name",
            sa.String(length=200),
            autoincrement=False,
            nullable=True,
        ),
        sa.Column(
            "cancelled_at",
            sa.DateTime(timezone=True),
            autoincrement=False,
            nullable=True,
        ),
        sa.Column("reason", sa.String(length=500), autoincrement=False, nullable=True),
        sa.Column(
            "transaction_id", sa.BigInteger(), autoincrement=False, nullable=False
        ),
        sa.Column("end_transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("operation_type", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", "transaction_id"),
    )
    with op.batch_alter_table("receipt_cancellation_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_receipt_cancellation_version_end_transaction_id"),
            ["end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_receipt_cancellation_version_operation_type"),
            ["operation_type"],
            unique=False,
        )
        batch_op.create_index(
            "ix_receipt_cancellation_version_pk_transaction_id",
            ["id", sa.literal_column("transaction_id DESC")],
            unique=False,
        )
        batch_op.create_index(
            "ix_receipt_cancellation_version_pk_validity",
            ["id", "transaction_id", "end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_receipt_cancellation_version_transaction_id"),
            ["transaction_id"],
            unique=False,
        )

    op.create_table(
        "receipt_line_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("receipt_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("fee_type_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("quantity", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("amount_sen", sa.BigInteger(), autoincrement=False, nullable=True),
        sa.Column("fine_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column(
            "transaction_id", sa.BigInteger(), autoincrement=False, nullable=False
        ),
        sa.Column("end_transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("operation_type", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", "transaction_id"),
    )
    with op.batch_alter_table("receipt_line_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_receipt_line_version_end_transaction_id"),
            ["end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_receipt_line_version_operation_type"),
            ["operation_type"],
            unique=False,
        )
        batch_op.create_index(
            "ix_receipt_line_version_pk_transaction_id",
            ["id", sa.literal_column("transaction_id DESC")],
            unique=False,
        )
        batch_op.create_index(
            "ix_receipt_line_version_pk_validity",
            ["id", "transaction_id", "end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_receipt_line_version_receipt_id"),
            ["receipt_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_receipt_line_version_transaction_id"),
            ["transaction_id"],
            unique=False,
        )

    op.create_table(
        "receipt_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("uuid", sa.String(length=36), autoincrement=False, nullable=True),
        sa.Column("number", sa.String(length=40), autoincrement=False, nullable=True),
        sa.Column("counter_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("series", sa.String(length=10), autoincrement=False, nullable=True),
        sa.Column("running_number", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column(
            "issued_at", sa.DateTime(timezone=True), autoincrement=False, nullable=True
        ),
        sa.Column("business_date", sa.Date(), autoincrement=False, nullable=True),
        sa.Column("cashier_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column(
            "cashier_name", sa.String(length=200), autoincrement=False, nullable=True
        ),
        sa.Column(
            "payer_name", sa.String(length=200), autoincrement=False, nullable=True
        ),
        sa.Column(
            "payer_identity", sa.String(length=40), autoincrement=False, nullable=True
        ),
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("method", sa.String(length=20), autoincrement=False, nullable=True),
        sa.Column(
            "reference", sa.String(length=60), autoincrement=False, nullable=True
        ),
        sa.Column("subtotal_sen", sa.BigInteger(), autoincrement=False, nullable=True),
        sa.Column("rounding_sen", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("total_sen", sa.BigInteger(), autoincrement=False, nullable=True),
        sa.Column(
            "offline",
            sa.Boolean(),
            server_default=sa.false(),
            autoincrement=False,
            nullable=True,
        ),
        sa.Column(
            "chain_hash", sa.String(length=64), autoincrement=False, nullable=True
        ),
        sa.Column("print_count", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("court_id", sa.Integer(), autoincrement=False, nullable=True),
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
    with op.batch_alter_table("receipt_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_receipt_version_business_date"),
            ["business_date"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_receipt_version_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_receipt_version_counter_id"), ["counter_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_receipt_version_court_id"), ["court_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_receipt_version_end_transaction_id"),
            ["end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_receipt_version_operation_type"),
            ["operation_type"],
            unique=False,
        )
        batch_op.create_index(
            "ix_receipt_version_pk_transaction_id",
            ["id", sa.literal_column("transaction_id DESC")],
            unique=False,
        )
        batch_op.create_index(
            "ix_receipt_version_pk_validity",
            ["id", "transaction_id", "end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_receipt_version_transaction_id"),
            ["transaction_id"],
            unique=False,
        )

    op.create_table(
        "collection_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=True),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("enrolled_by_id", sa.Integer(), nullable=True),
        sa.Column("chain_head", sa.String(length=64), nullable=True),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("court_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["court_id"],
            ["court.id"],
        ),
        sa.ForeignKeyConstraint(
            ["enrolled_by_id"],
            ["ab_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("collection_counter", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_counter_court_id"), ["court_id"], unique=False
        )

    op.create_table(
        "collection_day_close",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("total_sen", sa.BigInteger(), nullable=False),
        sa.Column("receipts_issued", sa.Integer(), nullable=False),
        sa.Column("receipts_cancelled", sa.Integer(), nullable=False),
        sa.Column("court_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["ab_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["counter_id"],
            ["collection_counter.id"],
        ),
        sa.ForeignKeyConstraint(
            ["court_id"],
            ["court.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("counter_id", "business_date"),
    )
    with op.batch_alter_table("collection_day_close", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_day_close_court_id"), ["court_id"], unique=False
        )

    op.create_table(
        "counter_nonce",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["counter_id"],
            ["collection_counter.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("counter_id", "nonce"),
    )
    with op.batch_alter_table("counter_nonce", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_counter_nonce_seen_at"), ["seen_at"], unique=False
        )

    op.create_table(
        "receipt_number_block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("first_number", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["counter_id"],
            ["collection_counter.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("receipt_number_block", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_receipt_number_block_counter_id"),
            ["counter_id"],
            unique=False,
        )

    op.create_table(
        "receipt_number_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("series", sa.String(length=10), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["counter_id"],
            ["collection_counter.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("counter_id", "series"),
    )
    op.create_table(
        "receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("series", sa.String(length=10), nullable=False),
        sa.Column("running_number", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("cashier_id", sa.Integer(), nullable=True),
        sa.Column("cashier_name", sa.String(length=200), nullable=False),
        sa.Column("payer_name", sa.String(length=200), nullable=False),
        sa.Column("payer_identity", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=True),
        sa.Column("subtotal_sen", sa.BigInteger(), nullable=False),
        sa.Column("rounding_sen", sa.Integer(), nullable=False),
        sa.Column("total_sen", sa.BigInteger(), nullable=False),
        sa.Column("offline", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=True),
        sa.Column("print_count", sa.Integer(), nullable=False),
        sa.Column("court_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["court_case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["cashier_id"],
            ["ab_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["counter_id"],
            ["collection_counter.id"],
        ),
        sa.ForeignKeyConstraint(
            ["court_id"],
            ["court.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("counter_id", "series", "running_number"),
        sa.UniqueConstraint("number"),
        sa.UniqueConstraint("uuid"),
    )
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_receipt_business_date"), ["business_date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_receipt_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_receipt_counter_id"), ["counter_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_receipt_court_id"), ["court_id"], unique=False
        )

    op.create_table(
        "case_fee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("amount_sen", sa.Integer(), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["court_case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"],
            ["receipt.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
    )
    op.create_table(
        "case_fine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("amount_sen", sa.BigInteger(), nullable=False),
        sa.Column("imposed_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("receipt_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["court_case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"],
            ["receipt.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_fine", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_fine_case_id"), ["case_id"], unique=False
        )

    op.create_table(
        "collection_sync_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("receipt_uuid", sa.String(length=36), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("resolved", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("resolved_note", sa.String(length=300), nullable=True),
        sa.Column("court_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["counter_id"],
            ["collection_counter.id"],
        ),
        sa.ForeignKeyConstraint(
            ["court_id"],
            ["court.id"],
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"],
            ["receipt.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("collection_sync_queue", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_sync_queue_court_id"), ["court_id"], unique=False
        )

    op.create_table(
        "deposit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount_sen", sa.BigInteger(), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=True),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["ab_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["court_case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"],
            ["receipt.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deposit_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deposit_entry_case_id"), ["case_id"], unique=False
        )

    op.create_table(
        "receipt_cancellation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=False),
        sa.Column("cancelled_by_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_by_name", sa.String(length=200), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["cancelled_by_id"],
            ["ab_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"],
            ["receipt.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("receipt_id"),
    )
    op.create_table(
        "receipt_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=False),
        sa.Column("fee_type_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("amount_sen", sa.BigInteger(), nullable=False),
        sa.Column("fine_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["fee_type_id"],
            ["fee_type.id"],
        ),
        sa.ForeignKeyConstraint(
            ["fine_id"],
            ["case_fine.id"],
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"],
            ["receipt.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("receipt_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_receipt_line_receipt_id"), ["receipt_id"], unique=False
        )

    with op.batch_alter_table("fee_type", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind", sa.String(length=20), server_default="fee", nullable=False
            )
        )

    with op.batch_alter_table("fee_type_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.String(length=20),
                server_default="fee",
                autoincrement=False,
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("fee_type_version", schema=None) as batch_op:
        batch_op.drop_column("kind")

    with op.batch_alter_table("fee_type", schema=None) as batch_op:
        batch_op.drop_column("kind")

    with op.batch_alter_table("receipt_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipt_line_receipt_id"))

    op.drop_table("receipt_line")
    op.drop_table("receipt_cancellation")
    with op.batch_alter_table("deposit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deposit_entry_case_id"))

    op.drop_table("deposit_entry")
    with op.batch_alter_table("collection_sync_queue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_sync_queue_court_id"))

    op.drop_table("collection_sync_queue")
    with op.batch_alter_table("case_fine", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_fine_case_id"))

    op.drop_table("case_fine")
    op.drop_table("case_fee")
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipt_court_id"))
        batch_op.drop_index(batch_op.f("ix_receipt_counter_id"))
        batch_op.drop_index(batch_op.f("ix_receipt_case_id"))
        batch_op.drop_index(batch_op.f("ix_receipt_business_date"))

    op.drop_table("receipt")
    op.drop_table("receipt_number_series")
    with op.batch_alter_table("receipt_number_block", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipt_number_block_counter_id"))

    op.drop_table("receipt_number_block")
    with op.batch_alter_table("counter_nonce", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counter_nonce_seen_at"))

    op.drop_table("counter_nonce")
    with op.batch_alter_table("collection_day_close", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_day_close_court_id"))

    op.drop_table("collection_day_close")
    with op.batch_alter_table("collection_counter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_counter_court_id"))

    op.drop_table("collection_counter")
    with op.batch_alter_table("receipt_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipt_version_transaction_id"))
        batch_op.drop_index("ix_receipt_version_pk_validity")
        batch_op.drop_index("ix_receipt_version_pk_transaction_id")
        batch_op.drop_index(batch_op.f("ix_receipt_version_operation_type"))
        batch_op.drop_index(batch_op.f("ix_receipt_version_end_transaction_id"))
        batch_op.drop_index(batch_op.f("ix_receipt_version_court_id"))
        batch_op.drop_index(batch_op.f("ix_receipt_version_counter_id"))
        batch_op.drop_index(batch_op.f("ix_receipt_version_case_id"))
        batch_op.drop_index(batch_op.f("ix_receipt_version_business_date"))

    op.drop_table("receipt_version")
    with op.batch_alter_table("receipt_line_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipt_line_version_transaction_id"))
        batch_op.drop_index(batch_op.f("ix_receipt_line_version_receipt_id"))
        batch_op.drop_index("ix_receipt_line_version_pk_validity")
        batch_op.drop_index("ix_receipt_line_version_pk_transaction_id")
        batch_op.drop_index(batch_op.f("ix_receipt_line_version_operation_type"))
        batch_op.drop_index(batch_op.f("ix_receipt_line_version_end_transaction_id"))

    op.drop_table("receipt_line_version")
    with op.batch_alter_table("receipt_cancellation_version", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f("ix_receipt_cancellation_version_transaction_id")
        )
        batch_op.drop_index("ix_receipt_cancellation_version_pk_validity")
        batch_op.drop_index("ix_receipt_cancellation_version_pk_transaction_id")
        batch_op.drop_index(
            batch_op.f("ix_receipt_cancellation_version_operation_type")
        )
        batch_op.drop_index(
            batch_op.f("ix_receipt_cancellation_version_end_transaction_id")
        )

    op.drop_table("receipt_cancellation_version")
    with op.batch_alter_table("deposit_entry_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deposit_entry_version_transaction_id"))
        batch_op.drop_index("ix_deposit_entry_version_pk_validity")
        batch_op.drop_index("ix_deposit_entry_version_pk_transaction_id")
        batch_op.drop_index(batch_op.f("ix_deposit_entry_version_operation_type"))
        batch_op.drop_index(batch_op.f("ix_deposit_entry_version_end_transaction_id"))
        batch_op.drop_index(batch_op.f("ix_deposit_entry_version_case_id"))

    op.drop_table("deposit_entry_version")
    with op.batch_alter_table("collection_sync_queue_version", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f("ix_collection_sync_queue_version_transaction_id")
        )
        batch_op.drop_index("ix_collection_sync_queue_version_pk_validity")
        batch_op.drop_index("ix_collection_sync_queue_version_pk_transaction_id")
        batch_op.drop_index(
            batch_op.f("ix_collection_sync_queue_version_operation_type")
        )
        batch_op.drop_index(
            batch_op.f("ix_collection_sync_queue_version_end_transaction_id")
        )
        batch_op.drop_index(batch_op.f("ix_collection_sync_queue_version_court_id"))

    op.drop_table("collection_sync_queue_version")
    with op.batch_alter_table("collection_day_close_version", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f("ix_collection_day_close_version_transaction_id")
        )
        batch_op.drop_index("ix_collection_day_close_version_pk_validity")
        batch_op.drop_index("ix_collection_day_close_version_pk_transaction_id")
        batch_op.drop_index(
            batch_op.f("ix_collection_day_close_version_operation_type")
        )
        batch_op.drop_index(
            batch_op.f("ix_collection_day_close_version_end_transaction_id")
        )
        batch_op.drop_index(batch_op.f("ix_collection_day_close_version_court_id"))

    op.drop_table("collection_day_close_version")
    with op.batch_alter_table("collection_counter_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_counter_version_transaction_id"))
        batch_op.drop_index("ix_collection_counter_version_pk_validity")
        batch_op.drop_index("ix_collection_counter_version_pk_transaction_id")
        batch_op.drop_index(batch_op.f("ix_collection_counter_version_operation_type"))
        batch_op.drop_index(
            batch_op.f("ix_collection_counter_version_end_transaction_id")
        )
        batch_op.drop_index(batch_op.f("ix_collection_counter_version_court_id"))

    op.drop_table("collection_counter_version")
    with op.batch_alter_table("case_fine_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_fine_version_transaction_id"))
        batch_op.drop_index("ix_case_fine_version_pk_validity")
        batch_op.drop_index("ix_case_fine_version_pk_transaction_id")
        batch_op.drop_index(batch_op.f("ix_case_fine_version_operation_type"))
        batch_op.drop_index(batch_op.f("ix_case_fine_version_end_transaction_id"))
        batch_op.drop_index(batch_op.f("ix_case_fine_version_case_id"))

    op.drop_table("case_fine_version")
    with op.batch_alter_table("case_fee_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_fee_version_transaction_id"))
        batch_op.drop_index("ix_case_fee_version_pk_validity")
        batch_op.drop_index("ix_case_fee_version_pk_transaction_id")
        batch_op.drop_index(batch_op.f("ix_case_fee_version_operation_type"))
        batch_op.drop_index(batch_op.f("ix_case_fee_version_end_transaction_id"))

    op.drop_table("case_fee_version")

"""retention and legal holds

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import attunely.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retention_holds",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("film_id", sa.String(length=36), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=120), nullable=False),
        sa.Column("set_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", attunely.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(length=120), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["film_id"], ["films.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_retention_holds_case_id"), "retention_holds", ["case_id"])
    op.create_index(op.f("ix_retention_holds_film_id"), "retention_holds", ["film_id"])
    op.create_table(
        "retention_shred_schedules",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("film_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("scheduled_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("scheduled_by", sa.String(length=120), nullable=False),
        sa.Column("settled_at", attunely.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("settled_by", sa.String(length=120), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("receipt_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["film_id"], ["films.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("case_id", "due_at", "film_id", "state"):
        op.create_index(
            op.f(f"ix_retention_shred_schedules_{column}"),
            "retention_shred_schedules",
            [column],
        )
    op.create_table(
        "retention_receipts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("record_class", sa.String(length=16), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("case_reference", sa.String(length=32), nullable=False),
        sa.Column("film_id", sa.String(length=36), nullable=True),
        sa.Column("objects", sa.Text(), nullable=False),
        sa.Column("records", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("ledger_op", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_retention_receipts_case_id"), "retention_receipts", ["case_id"])
    op.create_index(op.f("ix_retention_receipts_created_at"), "retention_receipts", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_retention_receipts_created_at"), table_name="retention_receipts")
    op.drop_index(op.f("ix_retention_receipts_case_id"), table_name="retention_receipts")
    op.drop_table("retention_receipts")
    for column in ("state", "film_id", "due_at", "case_id"):
        op.drop_index(
            op.f(f"ix_retention_shred_schedules_{column}"),
            table_name="retention_shred_schedules",
        )
    op.drop_table("retention_shred_schedules")
    op.drop_index(op.f("ix_retention_holds_film_id"), table_name="retention_holds")
    op.drop_index(op.f("ix_retention_holds_case_id"), table_name="retention_holds")
    op.drop_table("retention_holds")

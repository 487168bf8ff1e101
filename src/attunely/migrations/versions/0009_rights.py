"""subject access and erasure

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import attunely.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rights_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("packages_made", sa.Integer(), nullable=False),
        sa.Column("last_package_at", attunely.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", attunely.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_rights_requests_case_id"), "rights_requests", ["case_id"])
    op.create_index(op.f("ix_rights_requests_person_id"), "rights_requests", ["person_id"])
    op.create_index(op.f("ix_rights_requests_state"), "rights_requests", ["state"])
    op.create_table(
        "rights_erasures",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("case_reference", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.Column("erased_by", sa.String(length=120), nullable=False),
        sa.Column("erased_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_rights_erasures_case_id"), "rights_erasures", ["case_id"])
    op.create_index(op.f("ix_rights_erasures_target_id"), "rights_erasures", ["target_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_rights_erasures_target_id"), table_name="rights_erasures")
    op.drop_index(op.f("ix_rights_erasures_case_id"), table_name="rights_erasures")
    op.drop_table("rights_erasures")
    op.drop_index(op.f("ix_rights_requests_state"), table_name="rights_requests")
    op.drop_index(op.f("ix_rights_requests_person_id"), table_name="rights_requests")
    op.drop_index(op.f("ix_rights_requests_case_id"), table_name="rights_requests")
    op.drop_table("rights_requests")

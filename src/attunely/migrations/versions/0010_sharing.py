"""clip shares

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import attunely.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clip_shares",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("film_id", sa.String(length=36), nullable=False),
        sa.Column("clip_id", sa.String(length=36), nullable=True),
        sa.Column("clip_title", sa.String(length=120), nullable=False),
        sa.Column("in_frame", sa.Integer(), nullable=False),
        sa.Column("out_frame", sa.Integer(), nullable=False),
        sa.Column("recipient_name", sa.String(length=120), nullable=False),
        sa.Column("recipient_organisation", sa.String(length=160), nullable=False),
        sa.Column("recipient_email", sa.String(length=254), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("agreement_reference", sa.String(length=120), nullable=False),
        sa.Column("expires_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("problem", sa.String(length=500), nullable=False),
        sa.Column("object_id", sa.String(length=36), nullable=True),
        sa.Column("render_info", sa.Text(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("last_viewed_at", attunely.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", attunely.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=120), nullable=True),
        sa.Column("revoke_reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["clip_id"], ["film_clips.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["film_id"], ["films.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["object_id"], ["vault_objects.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f("ix_clip_shares_case_id"), "clip_shares", ["case_id"])
    op.create_index(op.f("ix_clip_shares_film_id"), "clip_shares", ["film_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_clip_shares_film_id"), table_name="clip_shares")
    op.drop_index(op.f("ix_clip_shares_case_id"), table_name="clip_shares")
    op.drop_table("clip_shares")

"""workspace proposals review

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import attunely.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "proposal_reviews",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("film_id", sa.String(length=36), nullable=False),
        sa.Column("proposal_id", sa.String(length=16), nullable=False),
        sa.Column("principle", sa.String(length=80), nullable=False),
        sa.Column("proposed_start_s", sa.Float(), nullable=False),
        sa.Column("proposed_end_s", sa.Float(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("start_frame", sa.Integer(), nullable=True),
        sa.Column("end_frame", sa.Integer(), nullable=True),
        sa.Column("annotation_id", sa.String(length=36), nullable=True),
        sa.Column("clip_candidate", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["annotation_id"], ["film_annotations.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["film_id"], ["films.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("film_id", "proposal_id", name="uq_proposal_review"),
    )
    with op.batch_alter_table("proposal_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposal_reviews_film_id"), ["film_id"], unique=False)

    op.create_table(
        "speaker_corrections",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("film_id", sa.String(length=36), nullable=False),
        sa.Column("segment_index", sa.Integer(), nullable=False),
        sa.Column("start_s", sa.Float(), nullable=False),
        sa.Column("end_s", sa.Float(), nullable=False),
        sa.Column("original_speaker", sa.String(length=8), nullable=False),
        sa.Column("speaker", sa.String(length=8), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["film_id"], ["films.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("film_id", "segment_index", name="uq_speaker_correction"),
    )
    with op.batch_alter_table("speaker_corrections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_speaker_corrections_film_id"), ["film_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("speaker_corrections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_speaker_corrections_film_id"))
    op.drop_table("speaker_corrections")
    with op.batch_alter_table("proposal_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_reviews_film_id"))
    op.drop_table("proposal_reviews")

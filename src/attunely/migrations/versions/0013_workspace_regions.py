"""workspace regions, helping questions

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import attunely.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "helping_questions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("set_on", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("helping_questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_helping_questions_case_id"), ["case_id"], unique=False)
    op.create_table(
        "film_regions",
        sa.Column("film_id", sa.String(length=36), nullable=False),
        sa.Column("adult_box", sa.Text(), nullable=True),
        sa.Column("child_box", sa.Text(), nullable=True),
        sa.Column("frame", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("motion_state", sa.String(length=16), nullable=False),
        sa.Column("motion_object_id", sa.String(length=36), nullable=True),
        sa.Column("motion_boxes", sa.Text(), nullable=True),
        sa.Column("motion_note", sa.Text(), nullable=False),
        sa.Column("motion_at", attunely.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["film_id"], ["films.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["motion_object_id"], ["vault_objects.id"]),
        sa.PrimaryKeyConstraint("film_id"),
    )
    with op.batch_alter_table("film_clips", schema=None) as batch_op:
        batch_op.add_column(sa.Column("helping_question_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(
            "fk_clip_helping_question",
            "helping_questions",
            ["helping_question_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("film_clips", schema=None) as batch_op:
        batch_op.drop_constraint("fk_clip_helping_question", type_="foreignkey")
        batch_op.drop_column("helping_question_id")
    op.drop_table("film_regions")
    with op.batch_alter_table("helping_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_helping_questions_case_id"))
    op.drop_table("helping_questions")

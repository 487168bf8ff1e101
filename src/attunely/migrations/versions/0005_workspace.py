"""workspace: coding schemes, annotations, clips, stills

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import attunely.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coding_schemes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "name", name="uq_coding_scheme_name"),
    )
    with op.batch_alter_table("coding_schemes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coding_schemes_team_id"), ["team_id"], unique=False)

    op.create_table(
        "coding_scheme_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("scheme_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("codes", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["scheme_id"], ["coding_schemes.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scheme_id", "version", name="uq_scheme_version"),
    )
    with op.batch_alter_table("coding_scheme_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coding_scheme_versions_scheme_id"), ["scheme_id"], unique=False
        )

    op.create_table(
        "film_annotations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("film_id", sa.String(length=36), nullable=False),
        sa.Column("scheme_version_id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=8), nullable=False),
        sa.Column("start_frame", sa.Integer(), nullable=False),
        sa.Column("end_frame", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["film_id"], ["films.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["scheme_version_id"],
            ["coding_scheme_versions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("film_annotations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_film_annotations_film_id"), ["film_id"], unique=False)

    op.create_table(
        "film_clips",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("film_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("in_frame", sa.Integer(), nullable=False),
        sa.Column("out_frame", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("scheme_version_id", sa.String(length=36), nullable=True),
        sa.Column("principles", sa.Text(), nullable=False),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.Column("questions", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["film_id"], ["films.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["scheme_version_id"],
            ["coding_scheme_versions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("film_clips", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_film_clips_film_id"), ["film_id"], unique=False)

    op.create_table(
        "film_stills",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("film_id", sa.String(length=36), nullable=False),
        sa.Column("frame", sa.Integer(), nullable=False),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["film_id"], ["films.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("film_stills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_film_stills_film_id"), ["film_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("film_stills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_film_stills_film_id"))

    op.drop_table("film_stills")
    with op.batch_alter_table("film_clips", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_film_clips_film_id"))

    op.drop_table("film_clips")
    with op.batch_alter_table("film_annotations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_film_annotations_film_id"))

    op.drop_table("film_annotations")
    with op.batch_alter_table("coding_scheme_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coding_scheme_versions_scheme_id"))

    op.drop_table("coding_scheme_versions")
    with op.batch_alter_table("coding_schemes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coding_schemes_team_id"))

    op.drop_table("coding_schemes")

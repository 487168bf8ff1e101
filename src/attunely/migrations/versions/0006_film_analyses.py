"""film analyses

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import attunely.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "film_analyses",
        sa.Column("film_id", sa.String(length=36), nullable=False),
        sa.Column("result_object_id", sa.String(length=36), nullable=False),
        sa.Column("stills_object_id", sa.String(length=36), nullable=True),
        sa.Column("schema_version", sa.String(length=16), nullable=False),
        sa.Column("moment_count", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", attunely.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["film_id"], ["films.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["result_object_id"],
            ["vault_objects.id"],
        ),
        sa.ForeignKeyConstraint(
            ["stills_object_id"],
            ["vault_objects.id"],
        ),
        sa.PrimaryKeyConstraint("film_id"),
    )


def downgrade() -> None:
    op.drop_table("film_analyses")

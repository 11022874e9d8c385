"""Roadmaps: the milestones a unit's head set for a line of an indicator and a year.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "roadmap",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("line_key", Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("expected_bp", sa.Integer(), nullable=True),
        sa.Column("set_by", Text(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name=op.f("ck_roadmap_month")),
        sa.CheckConstraint(
            "expected_bp IS NULL OR expected_bp BETWEEN 0 AND 10000",
            name=op.f("ck_roadmap_expected_bp"),
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_roadmap_unit_id_unit")),
        sa.PrimaryKeyConstraint("unit_id", "line_key", "year", "month", name=op.f("pk_roadmap")),
    )
    op.create_index("ix_roadmap_year", "roadmap", ["year"])


def downgrade() -> None:
    op.drop_index("ix_roadmap_year", table_name="roadmap")
    op.drop_table("roadmap")

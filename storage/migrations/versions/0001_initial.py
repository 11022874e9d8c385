"""The initial tables: catalogues, units, figure revisions, current figures and totals.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "catalogue",
        sa.Column("code", Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("digest", Text(length=64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_catalogue")),
    )
    op.create_table(
        "unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", Text(), nullable=False),
        sa.Column("level", Text(), nullable=False),
        sa.Column("name_vi", Text(), nullable=False),
        sa.Column("name_en", Text(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("lft", sa.Integer(), nullable=False),
        sa.Column("rgt", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["unit.id"], name=op.f("fk_unit_parent_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit")),
        sa.UniqueConstraint("code", name=op.f("uq_unit_code")),
    )
    op.create_index("ix_unit_lft_rgt", "unit", ["lft", "rgt"])
    op.create_table(
        "figure_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("element_code", Text(), nullable=False),
        sa.Column("period_key", Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("first_month", sa.Integer(), nullable=False),
        sa.Column("last_month", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("previous", sa.BigInteger(), nullable=True),
        sa.Column("author_id", Text(), nullable=False),
        sa.Column("author_name", Text(), nullable=False),
        sa.Column("source", Text(), nullable=False),
        sa.Column("reason", Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_figure_revision_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_figure_revision")),
        sa.UniqueConstraint(
            "unit_id",
            "element_code",
            "period_key",
            "number",
            name=op.f("uq_figure_revision_unit_id_element_code_period_key_number"),
        ),
    )
    op.create_index("ix_figure_revision_created_at", "figure_revision", ["created_at"])
    op.create_index(
        "ix_figure_revision_series", "figure_revision", ["unit_id", "element_code", "period_key"]
    )
    op.create_table(
        "figure_current",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("element_code", Text(), nullable=False),
        sa.Column("period_key", Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("first_month", sa.Integer(), nullable=False),
        sa.Column("last_month", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["figure_revision.id"],
            name=op.f("fk_figure_current_revision_id_figure_revision"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_figure_current_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint(
            "unit_id", "element_code", "period_key", name=op.f("pk_figure_current")
        ),
    )
    op.create_index(
        "ix_figure_current_year", "figure_current", ["unit_id", "element_code", "year"]
    )
    op.create_table(
        "figure_total",
        sa.Column("period_key", Text(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("element_code", Text(), nullable=False),
        sa.Column("level", Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("reporters", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_figure_total_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint(
            "period_key", "unit_id", "element_code", "level", name=op.f("pk_figure_total")
        ),
    )
    op.create_index("ix_figure_total_year", "figure_total", ["year"])


def downgrade() -> None:
    op.drop_table("figure_total")
    op.drop_table("figure_current")
    op.drop_table("figure_revision")
    op.drop_table("unit")
    op.drop_table("catalogue")

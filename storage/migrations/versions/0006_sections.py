"""Sections of a unit, their elements and people; targets handed down and the shares' figures
(Article 2.1).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "section",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("name", Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_section_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_section")),
    )
    op.create_index("ix_section_unit_id", "section", ["unit_id"])
    op.create_table(
        "section_element",
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("element_code", Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["section_id"], ["section.id"], name=op.f("fk_section_element_section_id_section")
        ),
        sa.PrimaryKeyConstraint("section_id", "element_code", name=op.f("pk_section_element")),
    )
    op.create_table(
        "section_member",
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["section_id"], ["section.id"], name=op.f("fk_section_member_section_id_section")
        ),
        sa.ForeignKeyConstraint(
            ["telegram_id"],
            ["person.telegram_id"],
            name=op.f("fk_section_member_telegram_id_person"),
        ),
        sa.PrimaryKeyConstraint("section_id", "telegram_id", name=op.f("pk_section_member")),
    )
    op.create_table(
        "share_target",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("holder", Text(), nullable=False),
        sa.Column("element_code", Text(), nullable=False),
        sa.Column("period_key", Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", Text(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("set_by", Text(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_share_target_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint(
            "unit_id", "holder", "element_code", "period_key", name=op.f("pk_share_target")
        ),
    )
    op.create_table(
        "share_figure_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("holder", Text(), nullable=False),
        sa.Column("element_code", Text(), nullable=False),
        sa.Column("period_key", Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("previous", sa.BigInteger(), nullable=True),
        sa.Column("author_id", Text(), nullable=False),
        sa.Column("author_name", Text(), nullable=False),
        sa.Column("source", Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_share_figure_revision_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_figure_revision")),
        sa.UniqueConstraint(
            "unit_id",
            "holder",
            "element_code",
            "period_key",
            "number",
            name=op.f("uq_share_figure_revision_unit_id_holder_element_code_period_key_number"),
        ),
    )
    op.create_index(
        "ix_share_figure_revision_unit_year", "share_figure_revision", ["unit_id", "year"]
    )


def downgrade() -> None:
    op.drop_index("ix_share_figure_revision_unit_year", table_name="share_figure_revision")
    op.drop_table("share_figure_revision")
    op.drop_table("share_target")
    op.drop_table("section_member")
    op.drop_table("section_element")
    op.drop_index("ix_section_unit_id", table_name="section")
    op.drop_table("section")

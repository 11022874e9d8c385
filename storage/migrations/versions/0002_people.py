"""People, memberships, invites, conversation state and processed updates.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "person",
        sa.Column("telegram_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", Text(), nullable=False),
        sa.Column("language", Text(), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("muted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("telegram_id", name=op.f("pk_person")),
    )
    op.create_table(
        "membership",
        sa.Column("telegram_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("role", Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["telegram_id"],
            ["person.telegram_id"],
            name=op.f("fk_membership_telegram_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_membership_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("telegram_id", "unit_id", name=op.f("pk_membership")),
    )
    op.create_index("ix_membership_unit_id", "membership", ["unit_id"])
    op.create_table(
        "invite",
        sa.Column("code_hash", Text(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("role", Text(), nullable=False),
        sa.Column("created_by", Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_invite_unit_id_unit")),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_invite")),
    )
    op.create_table(
        "conversation_state",
        sa.Column("namespace", Text(), nullable=False),
        sa.Column("key", Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("namespace", "key", name=op.f("pk_conversation_state")),
    )
    op.create_table(
        "processed_update",
        sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "update_id", name=op.f("pk_processed_update")),
    )
    op.create_index("ix_processed_update_at", "processed_update", ["at"])


def downgrade() -> None:
    op.drop_table("processed_update")
    op.drop_table("conversation_state")
    op.drop_table("invite")
    op.drop_table("membership")
    op.drop_table("person")

"""The tables. Counts are integers (BIGINT for values), times are UTC.

Units are referred to by id inside the database; repositories translate codes. `unit.lft` and
`unit.rgt` are the unit's pre-order interval in the current tree (`UnitTree.interval`): a unit
lies in the subtree of A when `A.lft <= unit.lft < A.rgt`. Inactive units get an empty interval
(-1, -1) so that they fall in no subtree.

People are keyed by their Telegram user id; invites by the sha256 of their code (the code itself
is never stored).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# Named constraints, so that later migrations (batch mode on SQLite) can find them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = SQLModel.metadata

NO_INTERVAL = -1


class UTCDateTime(TypeDecorator[datetime]):
    """A time-zone aware UTC datetime, also on SQLite (which stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a stored time must be time-zone aware, got {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _big(*, nullable: bool = False) -> Any:
    return Field(sa_column=Column(BigInteger, nullable=nullable))


def _time() -> Any:
    return Field(sa_column=Column(UTCDateTime, nullable=False))


class CatalogueRow(SQLModel, table=True):
    __tablename__ = "catalogue"

    code: str = Field(primary_key=True)
    year: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    digest: str = Field(max_length=64)
    loaded_at: datetime = _time()


class UnitRow(SQLModel, table=True):
    __tablename__ = "unit"
    __table_args__ = (Index("ix_unit_lft_rgt", "lft", "rgt"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    level: str
    name_vi: str
    name_en: str
    parent_id: int | None = Field(default=None, foreign_key="unit.id")
    lft: int = NO_INTERVAL
    rgt: int = NO_INTERVAL
    active: bool = True
    confirmed: bool = True


class FigureRevisionRow(SQLModel, table=True):
    """Every value ever submitted; never updated, never deleted."""

    __tablename__ = "figure_revision"
    __table_args__ = (
        Index("ix_figure_revision_series", "unit_id", "element_code", "period_key"),
        UniqueConstraint("unit_id", "element_code", "period_key", "number"),
        Index("ix_figure_revision_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    element_code: str
    period_key: str
    year: int
    first_month: int
    last_month: int
    value: int = _big()
    number: int
    previous: int | None = _big(nullable=True)
    author_id: str
    author_name: str
    source: str
    reason: str | None = None
    created_at: datetime = _time()


class FigureCurrentRow(SQLModel, table=True):
    """The newest revision of each (unit, element, period)."""

    __tablename__ = "figure_current"
    __table_args__ = (Index("ix_figure_current_year", "unit_id", "element_code", "year"),)

    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    element_code: str = Field(primary_key=True)
    period_key: str = Field(primary_key=True)
    year: int
    first_month: int
    last_month: int
    value: int = _big()
    revision_id: int = Field(foreign_key="figure_revision.id")
    updated_at: datetime = _time()


class FigureTotalRow(SQLModel, table=True):
    """A subtree's value of one element for one period, from the units at one level.

    The key starts with the period: the status of every unit for one period is one range scan.
    """

    __tablename__ = "figure_total"
    __table_args__ = (Index("ix_figure_total_year", "year"),)

    period_key: str = Field(primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    element_code: str = Field(primary_key=True)
    level: str = Field(primary_key=True)
    year: int
    value: int = _big()
    reporters: int


class PersonRow(SQLModel, table=True):
    """Someone who talks to the bot (created when they join or are made an administrator)."""

    __tablename__ = "person"

    telegram_id: int = Field(
        sa_column=Column(BigInteger, primary_key=True, autoincrement=False, nullable=False)
    )
    name: str
    language: str | None = None
    is_admin: bool = False
    active: bool = True
    muted: bool = False
    created_at: datetime = _time()
    updated_at: datetime = _time()


class MembershipRow(SQLModel, table=True):
    """A person bound to a unit with a role; one role per (person, unit)."""

    __tablename__ = "membership"
    __table_args__ = (Index("ix_membership_unit_id", "unit_id"),)

    telegram_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("person.telegram_id"),
            primary_key=True,
            autoincrement=False,
            nullable=False,
        )
    )
    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    role: str


class InviteRow(SQLModel, table=True):
    """A single-use invite, found by the sha256 (hex) of its code."""

    __tablename__ = "invite"

    code_hash: str = Field(primary_key=True, max_length=64)
    unit_id: int = Field(foreign_key="unit.id")
    role: str
    created_by: str
    created_at: datetime = _time()
    expires_at: datetime = _time()
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    used_by: int | None = _big(nullable=True)


class ConversationStateRow(SQLModel, table=True):
    """One key of the chat conversations' durable state, its value as JSON text."""

    __tablename__ = "conversation_state"

    namespace: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    value: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = _time()


class ProcessedUpdateRow(SQLModel, table=True):
    """A Telegram update already handled, so that a redelivery is ignored; pruned by age.
    `fingerprint` tells a redelivery (the same message again) from a new update that reuses the
    id (the Bot API restarted its sequence)."""

    __tablename__ = "processed_update"
    __table_args__ = (Index("ix_processed_update_at", "at"),)

    bot_id: int = Field(
        sa_column=Column(BigInteger, primary_key=True, autoincrement=False, nullable=False)
    )
    update_id: int = Field(
        sa_column=Column(BigInteger, primary_key=True, autoincrement=False, nullable=False)
    )
    at: datetime = _time()
    fingerprint: str = Field(
        default="", sa_column=Column(String(32), nullable=False, server_default="")
    )


class ChatRow(SQLModel, table=True):
    """A group chat the bot is in (private chats are people). `active` turns False when the bot
    is removed or blocked; a group migrated to a supergroup gets a new row, the old one
    keeps `migrated_to`."""

    __tablename__ = "chat"

    chat_id: int = Field(
        sa_column=Column(BigInteger, primary_key=True, autoincrement=False, nullable=False)
    )
    title: str
    kind: str  # group | supergroup | channel
    active: bool = True
    migrated_to: int | None = _big(nullable=True)
    updated_at: datetime = _time()


class SubscriptionRow(SQLModel, table=True):
    """A group chat following a unit's subtree."""

    __tablename__ = "subscription"
    __table_args__ = (Index("ix_subscription_unit_id", "unit_id"),)

    chat_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("chat.chat_id"),
            primary_key=True,
            autoincrement=False,
            nullable=False,
        )
    )
    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    created_by: int = _big()
    created_at: datetime = _time()


class BroadcastRow(SQLModel, table=True):
    """A message an administrator sent to an audience; its deliveries are outbox rows."""

    __tablename__ = "broadcast"

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    audience: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    created_by: int = _big()
    created_at: datetime = _time()
    recipients: int = 0
    report_chat_id: int | None = _big(nullable=True)
    report_message_id: int | None = _big(nullable=True)
    report_language: str | None = None  # the report message's language ("vi", "en")
    reported: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # last shown
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )


class OutboxRow(SQLModel, table=True):
    """One outgoing message, queued in the transaction that caused it; `key` makes queueing
    idempotent. state: pending → sending → sent | blocked | failed | cancelled."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "state", "not_before", "id"),
        Index("ix_outbox_broadcast", "broadcast_id", "state"),
        Index("ix_outbox_chat", "chat_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=255)
    chat_id: int = _big()
    kind: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    markup: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON
    state: str = "pending"
    attempts: int = 0
    not_before: datetime = _time()
    created_at: datetime = _time()
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    message_id: int | None = _big(nullable=True)
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    broadcast_id: int | None = Field(default=None, foreign_key="broadcast.id")


class AlertStateRow(SQLModel, table=True):
    """The last judged state of one unit's indicator line over one scope (the quarter, the
    year so far), and when it was last announced."""

    __tablename__ = "alert_state"

    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    line: str = Field(primary_key=True)
    scope: str = Field(primary_key=True)  # quarter | year
    period_key: str
    state: str
    since: datetime = _time()
    notified_state: str | None = None
    notified_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )


class ScheduleRunRow(SQLModel, table=True):
    """A scheduled job's run at one fire time, so that nothing fires twice."""

    __tablename__ = "schedule_run"

    name: str = Field(primary_key=True)
    fire_time: datetime = Field(sa_column=Column(UTCDateTime, primary_key=True, nullable=False))
    ran_at: datetime = _time()


catalogue_table = CatalogueRow.__table__  # type: ignore[attr-defined]
unit_table = UnitRow.__table__  # type: ignore[attr-defined]
revision_table = FigureRevisionRow.__table__  # type: ignore[attr-defined]
current_table = FigureCurrentRow.__table__  # type: ignore[attr-defined]
total_table = FigureTotalRow.__table__  # type: ignore[attr-defined]
person_table = PersonRow.__table__  # type: ignore[attr-defined]
membership_table = MembershipRow.__table__  # type: ignore[attr-defined]
invite_table = InviteRow.__table__  # type: ignore[attr-defined]
conversation_table = ConversationStateRow.__table__  # type: ignore[attr-defined]
processed_update_table = ProcessedUpdateRow.__table__  # type: ignore[attr-defined]
chat_table = ChatRow.__table__  # type: ignore[attr-defined]
subscription_table = SubscriptionRow.__table__  # type: ignore[attr-defined]
broadcast_table = BroadcastRow.__table__  # type: ignore[attr-defined]
outbox_table = OutboxRow.__table__  # type: ignore[attr-defined]
alert_state_table = AlertStateRow.__table__  # type: ignore[attr-defined]
schedule_run_table = ScheduleRunRow.__table__  # type: ignore[attr-defined]


class RoadmapRow(SQLModel, table=True):
    """A milestone of a unit's roadmap for one line of an indicator and one year (Article 2.1).

    No rows: the even monthly roadmap. `expected_bp` in basis points (6250 is 62.5 %); NULL
    means the even roadmap's rate at that month (even quarterly is months 3, 6, 9, 12, NULL).
    """

    __tablename__ = "roadmap"
    __table_args__ = (
        CheckConstraint("month BETWEEN 1 AND 12", name="month"),
        CheckConstraint(
            "expected_bp IS NULL OR expected_bp BETWEEN 0 AND 10000", name="expected_bp"
        ),
        Index("ix_roadmap_year", "year"),
    )

    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    line_key: str = Field(primary_key=True)
    year: int = Field(primary_key=True)
    month: int = Field(primary_key=True)
    expected_bp: int | None = None
    set_by: str
    set_at: datetime = _time()


roadmap_table = RoadmapRow.__table__  # type: ignore[attr-defined]

"""One transaction over the repositories, and the database handle that makes them."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine

from services.ports import (
    AlertStore,
    BroadcastStore,
    CatalogueStore,
    ChatStore,
    ConversationStore,
    FigureStore,
    InviteStore,
    Outbox,
    PeopleStore,
    RoadmapStore,
    ScheduleLog,
    UnitStore,
)
from storage.alerts import SqlAlertStore, SqlScheduleLog
from storage.broadcasts import SqlBroadcastStore
from storage.catalogues import SqlCatalogueStore
from storage.chats import SqlChatStore
from storage.conversations import SqlConversationStore
from storage.engine import create_engine, default_database_url
from storage.figures import SqlFigureStore
from storage.invites import SqlInviteStore
from storage.migrate import upgrade
from storage.outbox import SqlOutbox
from storage.people import SqlPeopleStore
from storage.roadmaps import SqlRoadmapStore
from storage.sections import SqlSectionStore
from storage.sql import UnitIdCache, UnitIds
from storage.transaction import Transaction
from storage.units import SqlUnitStore
from storage.updates import SqlUpdateLog


class SqlUnitOfWork:
    """`async with uow:` opens a transaction; leaving rolls back whatever was not committed.

    Made by `Database.autocommit()` on PostgreSQL, each statement is a transaction of its own:
    no BEGIN, no COMMIT (two round trips fewer), `commit` and `rollback` change nothing. For
    what needs no snapshot across statements and no all-or-nothing beyond one statement:
    reading a person, claiming an update, writing conversation states (`save_all`: one
    statement).
    """

    catalogues: CatalogueStore
    units: UnitStore
    figures: FigureStore
    people: PeopleStore
    invites: InviteStore
    conversations: ConversationStore
    updates: SqlUpdateLog  # the port's UpdateLog, and `prune` for housekeeping
    outbox: Outbox
    chats: ChatStore
    broadcasts: BroadcastStore
    alerts: AlertStore
    schedule: ScheduleLog
    roadmaps: RoadmapStore
    sections: SqlSectionStore  # services.sections.SectionStore

    def __init__(
        self, engine: AsyncEngine, unit_ids: UnitIdCache | None = None, *, autocommit: bool = False
    ) -> None:
        self._engine = engine
        self._autocommit = autocommit
        self._session: Transaction | None = None
        self._unit_ids = unit_ids if unit_ids is not None else UnitIdCache()
        self._ids: UnitIds | None = None

    @property
    def session(self) -> Transaction:
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use `async with`")
        return self._session

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("a unit of work cannot be entered twice at once")
        session = Transaction(self._engine, autocommit=self._autocommit)
        ids = UnitIds(session, self._unit_ids)
        self._ids = ids
        self._session = session
        self.catalogues = SqlCatalogueStore(session)
        self.units = SqlUnitStore(session, ids)
        self.figures = SqlFigureStore(session, ids)
        self.people = SqlPeopleStore(session, ids)
        self.invites = SqlInviteStore(session, ids)
        self.conversations = SqlConversationStore(session)
        self.updates = SqlUpdateLog(session)
        self.outbox = SqlOutbox(session)
        self.chats = SqlChatStore(session, ids)
        self.broadcasts = SqlBroadcastStore(session, ids)
        self.alerts = SqlAlertStore(session, ids)
        self.schedule = SqlScheduleLog(session)
        self.roadmaps = SqlRoadmapStore(session, ids)
        self.sections = SqlSectionStore(session, ids)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self.session, None
        if self._ids is not None and self._ids.synced:
            self._unit_ids.clear()  # a sync may have been rolled back: read the ids afresh
        await session.close()  # rolls back what was not committed

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()


class Database:
    """An engine, its session factory and units of work; `dispose()` when done."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # PostgreSQL: the same pool, each connection in autocommit while checked out; SQLite,
        # where a transaction costs no round trip, keeps to transactions
        self.autocommits = engine.dialect.name == "postgresql"
        self.autocommit_engine = (
            engine.execution_options(isolation_level="AUTOCOMMIT") if self.autocommits else engine
        )
        self.unit_ids = UnitIdCache()

    @classmethod
    def connect(cls, url: str | None = None, *, echo: bool = False) -> Database:
        """A database at `url` (default: `default_database_url()`); nothing is opened yet."""
        return cls(create_engine(url or default_database_url(), echo=echo))

    def unit_of_work(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.unit_ids)

    def autocommit(self) -> SqlUnitOfWork:
        """A unit of work for a few statements that need no transaction around them: on
        PostgreSQL each commits on its own (see `SqlUnitOfWork`); on SQLite an ordinary
        transaction. Either way, `commit()` keeps what was done."""
        return SqlUnitOfWork(self.autocommit_engine, self.unit_ids, autocommit=self.autocommits)

    async def upgrade(self) -> None:
        """Apply the migrations this code ships with."""
        await upgrade(self.engine)

    async def dispose(self) -> None:
        await self.engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.dispose()

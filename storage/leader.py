"""Leadership (scheduler.leader.Leader, the port): exactly one bot process runs the scheduler
and the delivery worker.

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) taken on a connection kept
for that purpose (autocommit, outside any transaction). The process holding it leads; the
others try again every few seconds. When the leader dies, its connection closes and PostgreSQL
releases the lock: a standby takes over at its next try. The key is derived from the schema,
so databases (or test schemas) sharing one server do not contend.

SQLite: one process uses the file, so it leads (`LocalLeader`); running two bot processes on one
SQLite file is not supported.
"""

from __future__ import annotations

import logging
import zlib

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

logger = logging.getLogger(__name__)

LOCK_NAME = "chitieu:scheduler"


class LocalLeader:
    """The only process on an embedded database: always the leader."""

    def __init__(self) -> None:
        self.leading = False

    async def acquire(self) -> bool:
        self.leading = True
        return True

    async def holds(self) -> bool:
        return self.leading

    async def release(self) -> None:
        self.leading = False


def lock_key(schema: str) -> int:
    """A signed 64-bit advisory lock key for the schema."""
    return zlib.crc32(f"{LOCK_NAME}:{schema}".encode()) - 2**31


class PostgresLeader:
    """A session-level advisory lock held on a dedicated connection."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._key: int | None = None

    async def _connect(self) -> AsyncConnection:
        if self._connection is None:
            connection = await self._engine.connect()
            self._connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            schema = (await self._connection.execute(text("select current_schema()"))).scalar()
            self._key = lock_key(str(schema))
        return self._connection

    async def acquire(self) -> bool:
        try:
            connection = await self._connect()
            got = (
                await connection.execute(
                    text("select pg_try_advisory_lock(:key)"), {"key": self._key}
                )
            ).scalar()
        except (SQLAlchemyError, OSError) as error:
            logger.warning("leadership: cannot reach PostgreSQL: %s", error)
            await self._drop()
            return False
        if not got:
            await self._drop()  # a standby keeps no connection between tries
        return bool(got)

    async def holds(self) -> bool:
        if self._connection is None:
            return False
        try:
            await self._connection.execute(text("select 1"))
        except (SQLAlchemyError, OSError) as error:
            logger.warning("leadership lost: %s", error)
            await self._drop()
            return False
        return True

    async def release(self) -> None:
        if self._connection is None:
            return
        try:
            await self._connection.execute(
                text("select pg_advisory_unlock(:key)"), {"key": self._key}
            )
        except (SQLAlchemyError, OSError) as error:
            logger.warning("leadership: unlock failed (the connection closes anyway): %s", error)
        await self._drop()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()
            except (SQLAlchemyError, OSError) as error:
                logger.debug("closing the leadership connection: %s", error)


def leader_for(engine: AsyncEngine) -> PostgresLeader | LocalLeader:
    """PostgreSQL: the advisory lock; SQLite: this process."""
    if engine.dialect.name == "postgresql":
        return PostgresLeader(engine)
    return LocalLeader()

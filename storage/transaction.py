"""What a unit of work's repositories run their statements on: one pooled connection."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


class Connections(Protocol):
    """Where a repository gets the connection of its unit of work (an ORM session fits too)."""

    async def connection(self) -> AsyncConnection: ...


class Transaction:
    """One connection from the engine's pool, taken at the first statement, which begins a
    transaction (SQLAlchemy's autobegin); `commit` ends it (the next statement begins another)
    and `close` rolls back what was not committed and gives the connection back.

    What an ORM session would do here, without its identity map, its state machine and the
    hand-over to a greenlet for each `connection()`: the repositories run Core statements only,
    and on the bot's busiest path (every update reads its sender, claims the update and writes
    the conversation's state) the session was a sixth of SQLAlchemy's CPU (bench.updates).
    """

    __slots__ = ("_connection", "_engine", "_opening")

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._opening = False

    async def connection(self) -> AsyncConnection:
        if self._connection is not None:
            return self._connection
        if self._opening:
            raise RuntimeError("a unit of work's statements run one at a time")
        self._opening = True
        try:
            self._connection = await self._engine.connect()
        finally:
            self._opening = False
        return self._connection

    async def commit(self) -> None:
        if self._connection is not None:
            await self._connection.commit()

    async def rollback(self) -> None:
        if self._connection is not None:
            await self._connection.rollback()

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()

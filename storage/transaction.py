"""What a unit of work's repositories run their statements on: one pooled connection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Self

from sqlalchemy.dialects.postgresql import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import ClauseElement


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
    the conversation's state) the session was about a fifth of SQLAlchemy's share of the CPU
    (bench.updates, profiled with py-spy).
    """

    __slots__ = ("_connection", "_driver", "_engine", "_opening", "autocommit")

    def __init__(self, engine: AsyncEngine, *, autocommit: bool = False) -> None:
        self._engine = engine
        self.autocommit = autocommit  # the engine's connections are in autocommit
        self._connection: AsyncConnection | None = None
        self._driver: Any | None = None
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

    async def asyncpg(self) -> Any | None:
        """The asyncpg connection underneath, when a statement may go to it directly: on
        PostgreSQL, in autocommit (no transaction of SQLAlchemy's to stay inside). None
        otherwise: use SQLAlchemy."""
        if not self.autocommit or self._engine.dialect.driver != "asyncpg":
            return None
        if self._driver is None:
            raw = await (await self.connection()).get_raw_connection()
            self._driver = raw.driver_connection
        return self._driver

    async def commit(self) -> None:
        if self._connection is not None:
            await self._connection.commit()

    async def rollback(self) -> None:
        if self._connection is not None:
            await self._connection.rollback()

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        self._driver = None
        if connection is not None:
            await connection.close()


async def asyncpg_of(connections: Connections) -> Any | None:
    """`Transaction.asyncpg` of `connections`, None for anything else."""
    return await connections.asyncpg() if isinstance(connections, Transaction) else None


@dataclass(frozen=True, slots=True)
class AsyncpgStatement:
    """A Core statement compiled once for asyncpg, to run on its connection directly: for the
    statements of every update (reading the sender, claiming the update, writing the
    conversation's state) and a unit's totals (/status, the summary), where SQLAlchemy's
    execution costs three times asyncpg's own (0.43 against 0.13 ms of CPU for the first two,
    measured). Values are bound as asyncpg takes them: no SQLAlchemy type processing (aware
    datetimes for timestamptz)."""

    sql: str
    names: tuple[str, ...]
    constants: dict[str, Any]  # the values of the statement's own literals (`reporters != 0`)

    @classmethod
    def of(cls, statement: ClauseElement) -> Self:
        compiled = statement.compile(dialect=asyncpg.dialect())  # type: ignore[no-untyped-call]
        names: list[str] | None = getattr(compiled, "positiontup", None)
        constants = {k: v for k, v in compiled.params.items() if v is not None}
        return cls(str(compiled), tuple(names or ()), constants)

    def arguments(self, parameters: dict[str, Any]) -> list[Any]:
        return [
            parameters[name] if name in parameters else self.constants[name] for name in self.names
        ]


def changed_rows(status: str) -> int:
    """Rows changed, from asyncpg's status of an INSERT, UPDATE or DELETE ("INSERT 0 1")."""
    return int(status.rsplit(" ", 1)[-1])

"""SQL helpers the stores share: unit codes ↔ ids, batches, the dialect's upsert, locks.

A store is a module of its own (storage/figures.py, storage/people.py, ...) that takes the unit
of work's session (and `UnitIds` when it speaks unit codes); what two stores or more need is
here, so that no store imports another's private helpers.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import CursorResult, Insert, Table, TextClause, bindparam, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from kpi.errors import UnknownUnitError
from storage.tables import unit_table
from storage.transaction import Connections

# Rows per executemany batch, and ids per IN list (SQLite allows 32,766 variables).
BATCH = 10_000
IN_LIST = 5_000

T = TypeVar("T")


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small acyclic objects: it
    halves the time to read 200,000 totals. Use it only around code without `await`, so that
    nothing else runs meanwhile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def upsert(connection: AsyncConnection, table: Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL alike)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


@dataclass(slots=True)
class UnitIdCache:
    """Unit code ↔ id, shared by the units of work of one Database.

    Ids never change for a code; new units (another process's `chitieu init`) are noticed by a
    cheap count/max(id) check before the whole map is used, and single codes missing from the
    cache are looked up one by one.
    """

    ids: dict[str, int] = field(default_factory=dict)
    codes: dict[int, str] = field(default_factory=dict)
    signature: tuple[int, int] | None = None  # (count, max id) when `ids` was complete

    def clear(self) -> None:
        self.ids.clear()
        self.codes.clear()
        self.signature = None


_UNIT_SIGNATURE = select(func.count(unit_table.c.id), func.coalesce(func.max(unit_table.c.id), 0))


class UnitIds:
    """Unit code → id for one unit of work, backed by the Database's shared cache."""

    def __init__(self, session: Connections, cache: UnitIdCache | None = None) -> None:
        self._session = session
        self._cache = cache if cache is not None else UnitIdCache()
        self.synced = False
        self._checked = False  # the cache was checked against the table in this unit of work

    async def _signature(self) -> tuple[int, int]:
        connection = await self._session.connection()
        row = (await connection.execute(_UNIT_SIGNATURE)).one()
        return int(row[0]), int(row[1])

    async def all(self) -> dict[str, int]:
        """Every code's id: the shared cache, checked against the table once per unit of work
        (the units change only when a catalogue is loaded, which calls `forget`)."""
        cache = self._cache
        if self._checked and cache.signature is not None:
            return cache.ids
        signature = await self._signature()
        self._checked = True
        if cache.signature != signature:
            connection = await self._session.connection()
            rows = await connection.execute(select(unit_table.c.code, unit_table.c.id))
            cache.clear()
            cache.ids.update(rows.tuples().all())
            cache.codes.update({id_: code for code, id_ in cache.ids.items()})
            cache.signature = signature
        return cache.ids

    async def id_of(self, code: str) -> int:
        cache = self._cache
        found = cache.ids.get(code)
        if found is not None:
            return found
        connection = await self._session.connection()
        row = (
            await connection.execute(select(unit_table.c.id).where(unit_table.c.code == code))
        ).first()
        if row is None:
            raise UnknownUnitError(code)
        cache.ids[code] = int(row[0])
        cache.codes[int(row[0])] = code
        return int(row[0])

    async def codes(self) -> dict[int, str]:
        """Id → code (the reverse of `all`)."""
        await self.all()
        return self._cache.codes

    def forget(self) -> None:
        self._cache.clear()
        self.synced = True
        self._checked = False


# PostgreSQL advisory locks (two int4 keys) of the figures' writers: each writer holds its
# units (FIGURES_LOCK, unit id) and "every unit" shared; a rebuild holds "every unit" alone.
FIGURES_LOCK = 0x4B50  # "KP"
EVERY_UNIT_LOCK = 0x4B51
_LOCK_UNITS = text(
    "SELECT pg_advisory_xact_lock(:namespace, u) FROM unnest(CAST(:ids AS integer[])) AS u"
).bindparams(namespace=FIGURES_LOCK)
_LOCK_EVERY_UNIT_SHARED = text(f"SELECT pg_advisory_xact_lock_shared({EVERY_UNIT_LOCK}, 0)")
_LOCK_EVERY_UNIT = text(f"SELECT pg_advisory_xact_lock({EVERY_UNIT_LOCK}, 0)")


async def write_transaction(session: Connections) -> AsyncConnection:
    """The session's connection, in a transaction that may write and sees the latest data.

    PostgreSQL: a transaction (not autocommit), locked by the caller with advisory locks (they
    end with it). SQLite: one writer at a time for the whole file; Python's sqlite3 begins a
    (deferred) transaction only at the first write, so the reads before it run on their own
    snapshots while another process may write: BEGIN IMMEDIATE takes the write lock now,
    before the reads (waiting up to the busy timeout for another process)."""
    if getattr(session, "autocommit", False):
        raise RuntimeError("units are locked inside a transaction, not in autocommit")
    connection = await session.connection()
    if connection.dialect.name == "sqlite":
        raw = await connection.get_raw_connection()
        if not raw.driver_connection.in_transaction:  # type: ignore[union-attr]
            await connection.exec_driver_sql("BEGIN IMMEDIATE")
    return connection


async def hold_units(session: Connections, unit_ids: Iterable[int]) -> None:
    """Serialise the writers of these units (their figures, their roadmaps) until the
    session's transaction ends: PostgreSQL advisory locks taken in id order (no deadlock),
    under "every unit" shared; SQLite's write lock (`write_transaction`)."""
    connection = await write_transaction(session)
    if connection.dialect.name != "postgresql":
        return
    await connection.execute(_LOCK_EVERY_UNIT_SHARED)
    await connection.execute(_LOCK_UNITS, {"ids": sorted(set(unit_ids))})


async def hold_every_unit(session: Connections) -> None:
    """Hold every unit's writers until the session's transaction ends (a rebuild of the
    totals): PostgreSQL's "every unit" lock alone; SQLite's write lock."""
    connection = await write_transaction(session)
    if connection.dialect.name == "postgresql":
        await connection.execute(_LOCK_EVERY_UNIT)


def changed(result: CursorResult[Any]) -> int:
    """Rows an INSERT, UPDATE or DELETE changed."""
    return int(result.rowcount)


def _cacheable(statement: Insert, dialect: Dialect, columns: Sequence[str]) -> TextClause:
    """A dialect's INSERT ... ON CONFLICT as text with typed parameters, compiled once.

    SQLAlchemy 2.0 does not cache the compiled form of SQLite's ON CONFLICT inserts ("no key"):
    it would compile them again on every execution. Text is cached; its parameters keep their
    column's type (the UTC times are converted as the columns do)."""
    compiled = statement.compile(dialect=dialect, column_keys=list(columns))
    binds = [bindparam(name, type_=bind.type) for name, bind in compiled.binds.items()]
    return text(str(compiled)).bindparams(*binds)


def by_dialect(build: Callable[[Any], Insert], columns: Sequence[str]) -> dict[str, TextClause]:
    """`build(dialect's insert)` compiled for SQLite and PostgreSQL (named parameters)."""
    sqlite_dialect: Dialect = sqlite.dialect(paramstyle="named")
    postgresql_dialect: Dialect = postgresql.dialect(paramstyle="named")  # type: ignore[no-untyped-call]
    return {
        "sqlite": _cacheable(build(sqlite.insert), sqlite_dialect, columns),
        "postgresql": _cacheable(build(postgresql.insert), postgresql_dialect, columns),
    }

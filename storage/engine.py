"""The async engine: SQLite (embedded, the default) or PostgreSQL.

URLs may name the sync drivers (`sqlite:///x.db`, `postgresql://...`); they are rewritten to
aiosqlite and asyncpg. A PostgreSQL URL may carry `?search_path=schema` to work inside one
schema (the tests use a fresh schema each). Passwords never reach the logs: use `safe_url`.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from asyncio import Future
from collections.abc import Callable, Generator
from pathlib import Path
from queue import SimpleQueue
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

logger = logging.getLogger(__name__)

DEFAULT_DIRECTORY = "var"
DEFAULT_FILE = "chitieu.db"
SEARCH_PATH = "search_path"

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)


# PostgreSQL: a pooled connection is checked on checkout without a round trip (SQLAlchemy's
# pool_pre_ping sends `SELECT 1` each time: a quarter of the bot's queries, bench.updates), and
# replaced after this long, against connections dropped without the server closing them.
POOL_RECYCLE_SECONDS = 1800
# Statements asyncpg keeps prepared per connection (SQLAlchemy's default, 100, is fewer than
# the bot's distinct statements: each one pushed out is prepared again, a round trip more).
PREPARED_STATEMENTS = 1000


class UnsupportedDatabaseError(ValueError):
    """A URL that names neither SQLite nor PostgreSQL (or a driver we do not ship)."""


def async_url(url: str | URL) -> URL:
    """The URL with its driver replaced by the async one (aiosqlite or asyncpg)."""
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        raise UnsupportedDatabaseError(
            f"{parsed.drivername!r} is not supported: use sqlite:///path or postgresql://..."
        )
    return parsed.set(drivername=driver)


def safe_url(url: str | URL) -> str:
    """The URL as text with its password hidden, for logs and messages."""
    return make_url(url).render_as_string(hide_password=True)


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def is_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in {None, "", ":memory:"}


def create_engine(url: str | URL, *, echo: bool = False) -> AsyncEngine:
    """An async engine for `url`, configured for our use of each backend."""
    parsed = async_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(parsed, echo=echo)
    else:
        engine = _postgresql_engine(parsed, echo=echo)
    logger.debug("database engine for %s", safe_url(parsed))
    return engine


Call = tuple["Future[Any] | None", Callable[[], Any]]


class _RunAtOnce(SimpleQueue[Call]):
    """aiosqlite's queue to its worker thread, replaced: each call runs as it is queued."""

    def put_nowait(self, item: Call) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:  # noqa: BLE001 (handed to the caller, as aiosqlite does)
            if future is not None:
                future.set_exception(error)
        else:
            if future is not None:
                future.set_result(result)

    def put(self, item: Call, block: bool = True, timeout: float | None = None) -> None:
        del block, timeout
        self.put_nowait(item)


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's connection whose calls run on the event loop's thread, at once.

    aiosqlite hands every call (a cursor, an execute, a fetch, a close: three or four per
    statement) to a thread of its own and back; for our statements, which SQLite answers in
    microseconds, those hand-overs cost more than the work: about half of the bot's CPU per
    update (`python -m bench.updates`: 16-20 ms per update on SQLite, 8 on PostgreSQL). Run
    inline, a statement blocks the loop only while SQLite works, or while it waits for another
    process's write lock (at most busy_timeout). Within the process the engine keeps a single
    connection (see `_sqlite_engine`), so two of our own transactions never wait on each
    other's lock with the loop blocked: they queue for the connection instead.
    """

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunAtOnce()

    def __await__(self) -> Generator[Any, None, aiosqlite.Connection]:
        return self._connect().__await__()  # no worker thread to start


SQLITE_POOL_TIMEOUT = 30.0  # seconds a unit of work waits for the connection before failing


def _sqlite_engine(url: URL, *, echo: bool) -> AsyncEngine:
    database = url.database or ":memory:"

    async def connect() -> InlineConnection:
        def connector() -> sqlite3.Connection:
            return sqlite3.connect(database, check_same_thread=False)

        connection = InlineConnection(connector)
        await connection
        return connection

    options: dict[str, Any] = {"async_creator": connect}
    if is_memory(url):
        # One connection shared by every session, or each would see its own empty database.
        options["poolclass"] = StaticPool
    else:
        # One connection: transactions of this process take turns for it, in order, rather
        # than for SQLite's write lock (whose busy handler would block the event loop).
        options.update(pool_size=1, max_overflow=0, pool_timeout=SQLITE_POOL_TIMEOUT)
    engine = create_async_engine(url, echo=echo, **options)

    @event.listens_for(engine.sync_engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            for pragma in _SQLITE_PRAGMAS:
                cursor.execute(pragma)
        finally:
            cursor.close()

    return engine


def _postgresql_engine(url: URL, *, echo: bool) -> AsyncEngine:
    query = dict(url.query)
    search_path = query.pop(SEARCH_PATH, None)
    query.setdefault("prepared_statement_cache_size", str(PREPARED_STATEMENTS))
    connect_args: dict[str, Any] = {}
    if search_path:
        value = search_path if isinstance(search_path, str) else ",".join(search_path)
        connect_args["server_settings"] = {"search_path": value}
    url = url.set(query=query)
    engine = create_async_engine(
        url, echo=echo, pool_recycle=POOL_RECYCLE_SECONDS, connect_args=connect_args
    )

    @event.listens_for(engine.sync_engine, "checkout")
    def _alive(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        """A pooled connection the server has closed (a restart, pg_terminate_backend) is
        thrown away before use; the pool then tries another or opens a new one."""
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError

    return engine


def default_database_url() -> str:
    """`DATABASE_URL` if set, else the embedded SQLite file `var/chitieu.db` (created on use)."""
    configured = os.environ.get("DATABASE_URL", "").strip()
    if configured:
        return configured
    directory = Path.cwd() / DEFAULT_DIRECTORY
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{directory / DEFAULT_FILE}"

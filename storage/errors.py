"""Which errors say that the database cannot be used (it cannot be reached, refuses the
connection, is locked or read-only), so that an adapter can say so in one line instead of a
traceback, without knowing the drivers."""

from __future__ import annotations

import sqlite3

from sqlalchemy import exc


def database_failure(error: BaseException) -> BaseException | None:
    """The driver's error underneath when `error` says the database cannot be used (its
    message is the reason to show); None for any other error."""
    if isinstance(error, exc.OperationalError | exc.InterfaceError):
        return error.orig or error
    if isinstance(error, sqlite3.OperationalError) or _is_connection_refusal(error):
        return error
    return None


def _is_connection_refusal(error: BaseException) -> bool:
    """asyncpg's refusals at connection (no such database, wrong password): they come
    unwrapped from the first connection SQLAlchemy opens. asyncpg is imported here, when
    something failed, not by every command on SQLite."""
    import asyncpg

    return isinstance(
        error,
        asyncpg.InvalidCatalogNameError
        | asyncpg.InvalidAuthorizationSpecificationError
        | asyncpg.InvalidPasswordError
        | asyncpg.CannotConnectNowError
        | asyncpg.TooManyConnectionsError,
    )

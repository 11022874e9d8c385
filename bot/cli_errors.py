"""What the command line says when a command fails for a reason outside the code: one line on
standard error, never a traceback. Anything else (a bug) keeps its traceback."""

from __future__ import annotations

import argparse
import sqlite3

from sqlalchemy import exc

from kpi.errors import DomainError
from services.catalogue_file import CatalogueError
from storage.engine import UnsupportedDatabaseError

# Telegram's ids of people are positive and fit in 52 bits (its Bot API documentation)
MAX_TELEGRAM_ID = 2**52


def telegram_id(text: str) -> int:
    """argparse's type for a person's Telegram id."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < MAX_TELEGRAM_ID:
        raise argparse.ArgumentTypeError(
            f"{text} is not a Telegram user id (a positive number below {MAX_TELEGRAM_ID})"
        )
    return value


MAX_ID = 2**63 - 1  # our tables' ids are 64-bit


def record_id(text: str) -> int:
    """argparse's type for the id of one of our records (a broadcast)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= MAX_ID:
        raise argparse.ArgumentTypeError(f"{text} is not an id (a positive number)")
    return value


def expected_error(error: BaseException) -> str | None:
    """The one line to print for an error a person or the environment causes (bad input, a
    database that cannot be reached, a file that cannot be read); None for a bug."""
    if isinstance(error, CatalogueError):
        return str(error)
    if isinstance(error, DomainError | LookupError | UnsupportedDatabaseError):
        return f"error: {_first_line(error)}"
    if isinstance(error, exc.OperationalError | exc.InterfaceError):
        return f"error: the database cannot be used: {_first_line(error.orig or error)}"
    if isinstance(error, sqlite3.OperationalError):
        return f"error: the database cannot be used: {_first_line(error)}"
    if isinstance(error, OSError):  # the server is down, a file cannot be read or written
        return f"error: {_os_error(error)}"
    if _is_connection_refusal(error):
        return f"error: the database cannot be used: {_first_line(error)}"
    return None


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def _os_error(error: OSError) -> str:
    where = f"{error.filename}: " if error.filename else ""
    reason = error.strerror or _first_line(error)
    if isinstance(error, ConnectionError | TimeoutError) or error.filename is None:
        return f"the database or a server cannot be reached: {reason}"
    return f"{where}{reason}"


def _is_connection_refusal(error: BaseException) -> bool:
    """asyncpg's refusals at connection (no such database, wrong password): they come
    unwrapped from the first connection SQLAlchemy opens."""
    try:
        import asyncpg
    except ImportError:  # pragma: no cover (asyncpg is a dependency)
        return False
    return isinstance(
        error,
        asyncpg.InvalidCatalogNameError
        | asyncpg.InvalidAuthorizationSpecificationError
        | asyncpg.InvalidPasswordError
        | asyncpg.CannotConnectNowError
        | asyncpg.TooManyConnectionsError,
    )

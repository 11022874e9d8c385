"""What the command line says when a command fails for a reason outside the code: one line on
standard error, never a traceback. Anything else (a bug) keeps its traceback."""

from __future__ import annotations

import argparse

from i18n.translations import Translator, translator
from kpi.errors import (
    AmbiguousUnitError,
    DomainError,
    UnknownElementError,
    UnknownIndicatorError,
    UnknownUnitError,
)
from services.catalogue_file import CatalogueError
from storage.engine import UnsupportedDatabaseError
from storage.errors import database_failure

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


class CliError(DomainError):
    """A mistake on the command line, said in the person's language: `message` is a msgid
    marked with N_ and formatted with `params` (English when printed as it is)."""

    def __init__(self, message: str, /, **params: object) -> None:
        super().__init__(message.format(**params) if params else message)
        self.message = message
        self.params = params

    def text(self, t: Translator) -> str:
        return t._(self.message, **self.params)


def expected_error(error: BaseException, t: Translator | None = None) -> str | None:
    """The one line to print, in the language of `t` (Vietnamese by default), for an error a
    person or the environment causes (bad input, a database that cannot be reached, a file
    that cannot be read); None for a bug. Reasons from outside (the database driver, the
    system) stay as they come."""
    t = t or translator("vi")
    if isinstance(error, CatalogueError):
        return str(error)
    reason = _domain_text(error, t)
    if reason is not None:
        return t._("error: {reason}", reason=reason)
    failure = database_failure(error)
    if failure is not None:
        return t._("error: the database cannot be used: {reason}", reason=_first_line(failure))
    if isinstance(error, OSError):  # the server is down, a file cannot be read or written
        return t._("error: {reason}", reason=_os_error(error, t))
    return None


def _domain_text(error: BaseException, t: Translator) -> str | None:
    """A mistake's reason in the person's language (the English one for the rest)."""
    if isinstance(error, CliError):
        return error.text(t)
    if isinstance(error, UnknownUnitError):
        return t._("no unit is named or coded “{text}”", text=error.text)
    if isinstance(error, AmbiguousUnitError):
        return t._(
            "“{text}” names several units ({units}): give the code",
            text=error.text,
            units=", ".join(u.code for u in error.candidates),
        )
    if isinstance(error, UnknownElementError):
        return t._("no data element has the code “{text}”", text=error.code)
    if isinstance(error, UnknownIndicatorError):
        return t._("no indicator has the code “{text}”", text=error.code)
    if isinstance(error, DomainError | LookupError | UnsupportedDatabaseError):
        return _first_line(error)
    return None


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def _os_error(error: OSError, t: Translator) -> str:
    where = f"{error.filename}: " if error.filename else ""
    reason = error.strerror or _first_line(error)
    if isinstance(error, ConnectionError | TimeoutError) or error.filename is None:
        return t._("the database or a server cannot be reached: {reason}", reason=reason)
    return f"{where}{reason}"

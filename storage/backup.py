"""Backing up and restoring the whole database (`chitieu backup FILE`, `chitieu restore FILE`).

    backup("postgresql+asyncpg://chitieu:pw@db/chitieu", Path("x.dump"))
    restore("postgresql+asyncpg://chitieu:pw@db/chitieu", Path("x.dump"))

SQLite: SQLite's online backup API, page by page, safe while the bot writes (the copy is the
database as of one moment); a restore copies the file's pages back the same way, into the live
file, under SQLite's own locks.

PostgreSQL: `pg_dump --format=custom` of the bot's schema (`public`, or the URL's
`?search_path=`), a consistent snapshot taken while the bot runs; a restore turns the dump into
SQL (`pg_restore -f -`) and runs it with `psql` in one transaction after dropping the schema, so
a restore that fails changes nothing. The password goes to the tools through PGPASSWORD, never
on their command line. Without the tools, a one-line error says what to install.

A restore replaces everything: stop the bot first (docs/deploy.md).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL

from storage.engine import SEARCH_PATH, async_url, is_memory

PG_TOOLS = ("pg_dump", "pg_restore", "psql")
TOOL_TIMEOUT = 3600.0  # seconds: a province's database dumps in seconds; a hung tool fails


class BackupError(Exception):
    """A backup or restore that could not be made; the message is one line for the operator."""


def backup(url: str | URL, file: Path) -> str:
    """Write the database at `url` into `file` (replaced when it exists); a one-line summary."""
    parsed = async_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_backup(_sqlite_path(parsed), file)
    return _pg_backup(parsed, file)


def restore(url: str | URL, file: Path) -> str:
    """Replace the content of the database at `url` by the backup `file`; a one-line summary."""
    if not file.is_file():
        raise BackupError(f"{file}: no such backup file")
    parsed = async_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_restore(_sqlite_path(parsed), file)
    return _pg_restore(parsed, file)


# --- SQLite -------------------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    if is_memory(url):
        raise BackupError("an in-memory database cannot be backed up or restored")
    return Path(str(url.database))


def _sqlite_backup(database: Path, file: Path) -> str:
    if not database.is_file():
        raise BackupError(f"{database}: no such database file")
    partial = file.with_name(f".{file.name}.partial")
    try:
        with _sqlite(database) as source, _sqlite(partial) as target:
            source.backup(target)
        partial.replace(file)
    except (sqlite3.Error, OSError) as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"{file}: {error}") from None
    return f"{file}: SQLite backup of {database} ({file.stat().st_size} bytes)"


def _sqlite_restore(database: Path, file: Path) -> str:
    try:
        with _sqlite(file) as source:
            _check_sqlite_backup(source, file)
            database.parent.mkdir(parents=True, exist_ok=True)
            with _sqlite(database) as target:
                target.execute("PRAGMA busy_timeout=30000")
                source.backup(target)
    except sqlite3.Error as error:
        raise BackupError(f"{file}: {error}") from None
    return f"{database}: restored from {file}"


def _check_sqlite_backup(connection: sqlite3.Connection, file: Path) -> None:
    try:
        found = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
    except sqlite3.DatabaseError:
        found = None
    if found is None:
        raise BackupError(f"{file}: not a backup of this bot's SQLite database")


class _sqlite:  # noqa: N801 (a context manager used like a function)
    """A sqlite3 connection closed on the way out (sqlite3's own only ends the transaction)."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path)

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *_: object) -> None:
        self.connection.close()


# --- PostgreSQL ---------------------------------------------------------------------------


def _schema(url: URL) -> str:
    value = url.query.get(SEARCH_PATH)
    if value is None:
        return "public"
    first = value if isinstance(value, str) else value[0]
    return first.split(",")[0].strip() or "public"


def _environment(url: URL) -> dict[str, str]:
    """libpq's variables for `url` (host, port, user, password, database)."""
    env = dict(os.environ)
    values = {
        "PGHOST": url.host or url.query.get("host"),
        "PGPORT": str(url.port) if url.port else url.query.get("port"),
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
    }
    for name, value in values.items():
        if isinstance(value, str) and value:
            env[name] = value
        elif isinstance(value, tuple) and value:
            env[name] = value[0]
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: install PostgreSQL's client tools (apt-get install"
            " postgresql-client), of the server's major version or newer"
        )
    return found


def _run(command: list[str], env: dict[str, str], stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(  # noqa: S603 (PostgreSQL's own tools, arguments of our making)
            command,
            input=stdin,
            capture_output=True,
            env=env,
            check=False,
            timeout=TOOL_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise BackupError(
            f"{Path(command[0]).name} did not finish in {TOOL_TIMEOUT:.0f} s"
        ) from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.decode(errors="replace").splitlines() if line]
        said = lines[0] if lines else f"exit status {done.returncode}"
        raise BackupError(f"{Path(command[0]).name} failed: {said}")
    return done.stdout


def _pg_backup(url: URL, file: Path) -> str:
    pg_dump = _tool("pg_dump")
    schema = _schema(url)
    partial = file.with_name(f".{file.name}.partial")
    try:
        _run(
            [
                pg_dump,
                "--format=custom",
                f"--schema={schema}",
                "--no-owner",
                "--no-privileges",
                f"--file={partial}",
            ],
            _environment(url),
        )
        partial.replace(file)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    size = file.stat().st_size
    return f"{file}: PostgreSQL backup of {url.database}, schema {schema} ({size} bytes)"


def _pg_restore(url: URL, file: Path) -> str:
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    env = _environment(url)
    schema = _schema(url)
    try:
        listing = _run([pg_restore, "--list", str(file)], env).decode(errors="replace")
    except BackupError as error:
        raise BackupError(f"{file}: {error}") from None
    if f"SCHEMA - {schema} " not in listing or " alembic_version " not in listing:
        raise BackupError(f"{file}: not a backup of this bot's schema {schema}")
    script = _run([pg_restore, "--no-owner", "--no-privileges", "--file=-", str(file)], env)
    quoted = schema.replace('"', '""')
    wipe = f'SET client_min_messages = warning;\nDROP SCHEMA IF EXISTS "{quoted}" CASCADE;\n'
    _run(
        [psql, "-X", "-q", "--single-transaction", "-v", "ON_ERROR_STOP=1", "--file=-"],
        env,
        stdin=wipe.encode() + script,
    )
    return f"{url.database}, schema {schema}: restored from {file}"

"""Run the Alembic migrations from code, on SQLite and PostgreSQL alike.

Alembic is synchronous; our engines are async. The migrations run inside
`AsyncConnection.run_sync`, on the sync face of the async connection, and env.py picks that
connection up from `config.attributes` instead of opening its own (and calling `asyncio.run`
inside a running loop). The configuration is built in code from the package's path, so it works
from any directory and from an installed package.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import create_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, pointing at our migrations (and at `connection`, if given)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


class NewerDatabaseError(LookupError):
    """The database was upgraded by a newer version of the code (its migration is unknown
    here): running would misread it. A LookupError: `chitieu` tells it in one line."""


def head_revision() -> str | None:
    """The newest migration shipped with the code."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade(target: str | AsyncEngine, revision: str = "head") -> None:
    """Bring the database at `target` (a URL or an engine) up to `revision`."""

    def run(connection: Connection) -> None:
        config = alembic_config(connection)
        _refuse_newer(connection, ScriptDirectory.from_config(config))
        command.upgrade(config, revision)

    async with _engine(target) as engine, engine.begin() as connection:
        await connection.run_sync(run)


async def current_revision(target: str | AsyncEngine) -> str | None:
    """The migration the database at `target` is at (None: never migrated)."""

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with _engine(target) as engine, engine.connect() as connection:
        return await connection.run_sync(read)


def _refuse_newer(connection: Connection, script: ScriptDirectory) -> None:
    current = MigrationContext.configure(connection).get_current_revision()
    if current is None:
        return
    try:
        script.get_revision(current)
    except CommandError:
        raise NewerDatabaseError(
            f"the database is at migration {current}, newer than this code's"
            f" {script.get_current_head()}: run the version of Chỉ tiêu that upgraded it,"
            " or restore a backup made before that upgrade"
        ) from None


@asynccontextmanager
async def _engine(target: str | AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """The given engine, or one made for a URL and disposed of afterwards."""
    if isinstance(target, AsyncEngine):
        yield target
        return
    engine = create_engine(target)
    try:
        yield engine
    finally:
        await engine.dispose()

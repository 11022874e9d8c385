"""Upgrades keep everything: a database at each earlier migration, filled with a province's
rows, upgraded to the head, reads the same; and the code refuses a database newer than itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from services.catalogues import Catalogues
from storage import Database, current_revision, upgrade
from storage.migrate import NewerDatabaseError, alembic_config, head_revision
from storage.tables import metadata
from tests.backends import empty_database
from tests.integration.province import PEOPLE, Rows, every_row, fill

EARLIER = [
    script.revision
    for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()
    if script.revision != head_revision()
]


def _columns(connection: Connection) -> dict[str, list[str]]:
    inspector = inspect(connection)
    return {
        table: [column["name"] for column in inspector.get_columns(table)]
        for table in inspector.get_table_names()
        if table != "alembic_version"
    }


def _only(rows: Rows, columns: dict[str, list[str]]) -> Rows:
    return {
        table: [{name: row[name] for name in names} for row in rows.get(table, [])]
        for table, names in columns.items()
    }


async def _insert(database: Database, rows: Rows, columns: dict[str, list[str]]) -> None:
    """The rows of the tables that exist at this migration, with the columns they have."""
    order = [table.name for table in metadata.sorted_tables if table.name in columns]
    async with database.engine.begin() as connection:
        for table in order:
            names = [name for name in columns[table] if rows[table] and name in rows[table][0]]
            if not rows[table]:
                continue
            listed = ", ".join(f'"{n}"' for n in names)
            values = ", ".join(f":{n}" for n in names)
            statement = text(f'INSERT INTO "{table}" ({listed}) VALUES ({values})')
            await connection.execute(
                statement, [{n: row[n] for n in names} for row in rows[table]]
            )


def test_the_upgrade_test_covers_every_earlier_migration() -> None:
    assert EARLIER, "no earlier migration: nothing to upgrade from"
    versions = Path(alembic_config().get_main_option("script_location") or "") / "versions"
    assert len(EARLIER) + 1 == len(list(versions.glob("[0-9]*.py")))


@pytest.mark.parametrize("revision", EARLIER)
async def test_a_province_at_an_earlier_migration_reads_the_same_after_the_upgrade(
    database: Database, database_url: str, tmp_path: Path, revision: str
) -> None:
    await fill(database)  # the province as the head's code writes it
    written = await every_row(database)
    backend = database.engine.dialect.name
    async with empty_database(backend, tmp_path, f"old{revision}") as url:
        await upgrade(url, revision)
        async with Database.connect(url) as old:
            async with old.engine.connect() as connection:
                columns: dict[str, Any] = await connection.run_sync(_columns)
            await _insert(old, written, columns)
            before = _only(await every_row(old), columns)

            await old.upgrade()
            after = _only(await every_row(old), columns)
            async with old.unit_of_work() as uow:
                catalogues = await Catalogues.from_store(uow)
                people = await uow.people.admins() if "person" in columns else []
            assert await current_revision(url) == head_revision()

    assert after == before
    assert before == _only(written, columns)
    assert sum(len(rows) for rows in before.values()) > 100
    assert catalogues.newest.units
    assert people == []  # the drill's people are not administrators
    if "person" in columns:
        assert len(after["person"]) == PEOPLE


async def test_init_refuses_a_database_newer_than_the_code(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))

    with pytest.raises(NewerDatabaseError) as raised:
        await database.upgrade()

    message = str(raised.value)
    assert message.startswith("the database is at migration 9999, newer than this code's")
    assert str(head_revision()) in message

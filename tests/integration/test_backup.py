"""The backup drill, on each database: fill, back up, wipe, restore: everything is back."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage import Database
from storage.backup import BackupError, backup, restore
from storage.engine import SEARCH_PATH
from tests.integration.province import OPEN_INVITES, PENDING, PEOPLE, every_row, fill


async def _wipe(database: Database, url: str) -> None:
    """What a bad day does: every table gone."""
    async with database.engine.begin() as connection:
        if database.engine.dialect.name == "postgresql":
            schema = make_url(url).query[SEARCH_PATH]
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        else:
            names = (
                (
                    await connection.execute(
                        text("SELECT name FROM sqlite_master WHERE type = 'table'")
                    )
                )
                .scalars()
                .all()
            )
            await connection.execute(text("PRAGMA foreign_keys=OFF"))
            for name in names:
                await connection.execute(text(f'DROP TABLE "{name}"'))
    await database.dispose()


async def test_a_restored_backup_brings_back_every_revision_person_invite_and_queued_message(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    await fill(database)
    before = await every_row(database)
    file = tmp_path / "province.dump"

    said = backup(database_url, file)
    await _wipe(database, database_url)
    assert await every_row(database) == {}
    restore(database_url, file)
    after = await every_row(database)

    assert str(file) in said
    assert after == before
    assert len(after["figure_revision"]) > 100
    assert len(after["person"]) == PEOPLE
    assert len(after["invite"]) == PEOPLE + OPEN_INVITES
    assert sum(row["state"] == "pending" for row in after["outbox"]) == PENDING
    await database.upgrade()  # the restored database is the code's, ready to run


async def test_a_restore_from_a_file_that_is_no_backup_changes_nothing(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    await fill(database)
    before = await every_row(database)
    junk = tmp_path / "junk.dump"
    junk.write_bytes(b"not a backup\n" * 100)

    with pytest.raises(BackupError, match=r"junk\.dump"):
        restore(database_url, junk)

    assert await every_row(database) == before


def test_a_postgresql_backup_without_pg_dump_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no PostgreSQL tools on it

    with pytest.raises(BackupError) as raised:
        backup("postgresql://chitieu:pw@db/chitieu", tmp_path / "x.dump")

    message = str(raised.value)
    assert message.startswith("pg_dump is not installed")
    assert "postgresql-client" in message
    assert "\n" not in message
    assert not (tmp_path / "x.dump").exists()

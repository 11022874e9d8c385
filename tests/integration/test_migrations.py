"""Migrations and engines, on each backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from kpi.access import Membership, Role
from storage import Database, current_revision, default_database_url, safe_url, upgrade
from storage.engine import UnsupportedDatabaseError, async_url
from storage.migrate import head_revision
from storage.tables import metadata
from tests.integration.builders import tree

TABLES = {
    "catalogue",
    "unit",
    "figure_revision",
    "figure_current",
    "figure_total",
    "person",
    "membership",
    "invite",
    "conversation_state",
    "processed_update",
}


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


VERSIONS = Path(__file__).parents[2] / "storage" / "migrations" / "versions"


async def test_an_empty_database_is_upgraded_to_the_head_revision(database_url: str) -> None:
    assert await current_revision(database_url) is None

    await upgrade(database_url)

    newest = max(path.name[:4] for path in VERSIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))
    assert head_revision() == newest
    assert await current_revision(database_url) == head_revision()
    async with Database.connect(database_url) as db, db.engine.connect() as connection:
        assert await connection.run_sync(_table_names) >= TABLES


async def test_upgrading_twice_changes_nothing(database_url: str) -> None:
    await upgrade(database_url)
    await upgrade(database_url)

    assert await current_revision(database_url) == head_revision()


async def test_the_migrations_create_exactly_the_tables_the_code_declares(
    database_url: str,
) -> None:
    await upgrade(database_url)
    async with Database.connect(database_url) as db, db.engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


async def test_a_database_at_0001_with_units_upgrades_to_the_head_and_keeps_them(
    database_url: str,
) -> None:
    await upgrade(database_url, "0001")
    async with Database.connect(database_url) as db:
        async with db.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO unit (code, level, name_vi, name_en, lft, rgt, active, confirmed)"
                    " VALUES ('kon-tum', 'province', 'Tỉnh Kon Tum', 'Kon Tum', 0, 1, TRUE, TRUE)"
                )
            )
        await db.upgrade()
        async with db.unit_of_work() as uow:
            await uow.people.upsert(1, "Lan")
            await uow.people.add_membership(1, "kon-tum", Role.HEAD)
            person = await uow.people.get(1)

    assert await current_revision(database_url) == head_revision()
    assert person is not None
    assert person.memberships == (Membership("kon-tum", Role.HEAD),)


async def test_migrations_run_from_any_current_directory(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    await upgrade(database_url)

    assert await current_revision(database_url) == head_revision()


async def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'pragmas.db'}"
    async with Database.connect(url) as db, db.engine.connect() as connection:
        journal = await connection.scalar(text("PRAGMA journal_mode"))
        foreign_keys = await connection.scalar(text("PRAGMA foreign_keys"))
        busy_timeout = await connection.scalar(text("PRAGMA busy_timeout"))
        synchronous = await connection.scalar(text("PRAGMA synchronous"))

    assert (journal, foreign_keys, busy_timeout, synchronous) == ("wal", 1, 5000, 1)


async def test_an_in_memory_database_is_shared_by_every_connection_of_its_engine() -> None:
    async with Database.connect("sqlite+aiosqlite://") as db:
        await db.upgrade()
        async with db.unit_of_work() as uow:
            result = await uow.units.sync(tree())
            await uow.commit()
        async with db.unit_of_work() as uow:
            codes = await uow.units.codes()

    assert result.added == len(codes) == 7


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
        ("sqlite+aiosqlite://", "sqlite+aiosqlite://"),
        ("postgresql://u:pw@db/chitieu", "postgresql+asyncpg://u:pw@db/chitieu"),
        ("postgres://u@db/chitieu", "postgresql+asyncpg://u@db/chitieu"),
        ("postgresql+asyncpg://u@db/chitieu", "postgresql+asyncpg://u@db/chitieu"),
    ],
)
def test_plain_urls_are_rewritten_to_the_async_drivers(given: str, expected: str) -> None:
    assert async_url(given).render_as_string(hide_password=False) == expected


def test_a_url_of_another_database_is_refused() -> None:
    with pytest.raises(UnsupportedDatabaseError, match="mysql"):
        async_url("mysql://u@db/chitieu")


def test_a_url_shown_in_logs_hides_its_password() -> None:
    shown = safe_url("postgresql://chitieu:s3cret@db:5432/chitieu")

    assert "s3cret" not in shown
    assert shown == "postgresql://chitieu:***@db:5432/chitieu"


def test_the_default_database_is_a_sqlite_file_under_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)

    url = default_database_url()

    assert url == f"sqlite+aiosqlite:///{tmp_path / 'var' / 'chitieu.db'}"
    assert (tmp_path / "var").is_dir()


def test_database_url_overrides_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/chitieu")
    monkeypatch.chdir(tmp_path)

    assert default_database_url() == "postgresql://u@db/chitieu"
    assert not (tmp_path / "var").exists()

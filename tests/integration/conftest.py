"""A fresh, migrated database for each test, on SQLite and on PostgreSQL.

PostgreSQL runs when TEST_DATABASE_URL is set (each test gets its own schema, dropped after);
otherwise its tests are skipped with that reason, or fail when CHITIEU_REQUIRE_ALL=1.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from storage import Database
from storage.engine import SEARCH_PATH

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def postgres_base_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not url:
        reason = "TEST_DATABASE_URL is not set"
        if os.environ.get("CHITIEU_REQUIRE_ALL") == "1":
            pytest.fail(f"{reason} (and CHITIEU_REQUIRE_ALL=1 requires every backend)")
        pytest.skip(reason)
    return url


async def _admin(url: str, sql: str) -> None:
    """Run one statement with asyncpg directly (schema creation is outside any test)."""
    parsed = make_url(url).set(drivername="postgresql")
    connection = await asyncpg.connect(parsed.render_as_string(hide_password=False))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    base = postgres_base_url()
    schema = f"test_{uuid4().hex[:16]}"
    await _admin(base, f'CREATE SCHEMA "{schema}"')
    try:
        yield (
            make_url(base)
            .update_query_dict({SEARCH_PATH: schema})
            .render_as_string(hide_password=False)
        )
    finally:
        await _admin(base, f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A migrated database, disposed of after the test."""
    db = Database.connect(database_url)
    try:
        await db.upgrade()
        yield db
    finally:
        await db.dispose()

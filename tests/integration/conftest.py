"""A fresh, migrated database for each test, on SQLite and on PostgreSQL.

PostgreSQL runs when TEST_DATABASE_URL is set (each test gets its own schema, dropped after);
otherwise its tests are skipped with that reason, or fail when CHITIEU_REQUIRE_ALL=1.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import Database
from tests.backends import BACKENDS, empty_database


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty database of each backend."""
    async with empty_database(request.param, tmp_path, "test") as url:
        yield url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A migrated database, disposed of after the test."""
    db = Database.connect(database_url)
    try:
        await db.upgrade()
        yield db
    finally:
        await db.dispose()

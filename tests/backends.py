"""The databases tests run on: a SQLite file, and PostgreSQL when TEST_DATABASE_URL is set.

Without TEST_DATABASE_URL the PostgreSQL variants are skipped with that reason, or fail when
CHITIEU_REQUIRE_ALL=1 (CI), so that CI cannot pass without running them.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from storage.engine import SEARCH_PATH

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def postgres_base_url(what: str = "PostgreSQL tests") -> str:
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not url:
        reason = f"TEST_DATABASE_URL is not set: {what} skipped"
        if os.environ.get("CHITIEU_REQUIRE_ALL") == "1":
            pytest.fail(f"{reason} (and CHITIEU_REQUIRE_ALL=1 requires every backend)")
        pytest.skip(reason)
    return url


async def admin_sql(url: str, sql: str) -> None:
    """Run one statement with asyncpg directly (outside any test's database)."""
    parsed = make_url(url).set(drivername="postgresql")
    connection = await asyncpg.connect(parsed.render_as_string(hide_password=False))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@asynccontextmanager
async def empty_database(backend: str, tmp_path: Path, prefix: str) -> AsyncIterator[str]:
    """The URL of an empty database: a SQLite file, or a fresh PostgreSQL schema (dropped)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / f'{prefix}.db'}"
        return
    base = postgres_base_url()
    schema = f"{prefix}_{uuid4().hex[:16]}"
    await admin_sql(base, f'CREATE SCHEMA "{schema}"')
    try:
        yield (
            make_url(base)
            .update_query_dict({SEARCH_PATH: schema})
            .render_as_string(hide_password=False)
        )
    finally:
        await admin_sql(base, f'DROP SCHEMA "{schema}" CASCADE')

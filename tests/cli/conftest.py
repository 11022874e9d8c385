import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url


def _require_all() -> bool:
    return os.environ.get("CHITIEU_REQUIRE_ALL") == "1"


async def _admin(base: str, statement: str) -> None:
    url = make_url(base).set(drivername="postgresql")
    connection = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A fresh empty database (a SQLite file, or a new PostgreSQL database) as DATABASE_URL."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'chitieu.db'}"
        monkeypatch.setenv("DATABASE_URL", url)
        yield url
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        if _require_all():
            pytest.fail("TEST_DATABASE_URL is not set and CHITIEU_REQUIRE_ALL=1")
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    name = f"chitieu_cli_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(base, f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    try:
        yield url
    finally:
        asyncio.run(_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

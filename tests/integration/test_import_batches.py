"""A long import leaves room for the bot: on SQLite it holds the file's only write lock, so it
saves in short batches, each its own transaction, and between two of them another process
writes at once (the bot's claim of an update, a confirmation) instead of failing with
"database is locked"."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from kpi.revisions import Author
from services.catalogue_file import DEFAULT_CATALOGUE
from services.catalogues import Catalogues, load_into_store
from services.importing import import_figures
from storage import Database
from tests.integration.test_concurrent_writers import assert_totals_are_recomputed

NOW = datetime(2022, 12, 5, 9, tzinfo=UTC)


@pytest.fixture
def sqlite_path(database_url: str) -> Path:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock is the file's; PostgreSQL locks rows")
    database = make_url(database_url).database
    assert database is not None
    return Path(database)


async def test_an_import_saves_in_batches_between_which_another_process_writes_at_once(
    database: Database, sqlite_path: Path, tmp_path: Path
) -> None:
    await load_into_store(database.unit_of_work, DEFAULT_CATALOGUE)
    async with database.unit_of_work() as uow:
        catalogue = (await Catalogues.from_store(uow)).for_year(2022)
    communes = [u.code for u in catalogue.units if u.level == "commune"][:5]
    path = tmp_path / "many.csv"
    lines = ["unit,element,period,value"]
    lines += [f"{c},dossiers_received,2022-{m:02d},{m}" for c in communes for m in range(1, 13)]
    path.write_text("\n".join(lines) + "\n")
    between: list[int] = []

    async def another_process_writes(saved: int) -> None:
        # another process (the bot), not willing to wait at all for the write lock
        other = sqlite3.connect(sqlite_path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("CREATE TABLE IF NOT EXISTS probe (n INTEGER)")
            other.execute("INSERT INTO probe VALUES (?)", (saved,))
            other.execute("COMMIT")
        finally:
            other.close()
        between.append(saved)

    report = await import_figures(
        database.unit_of_work,
        path,
        Author("cli:test", "test"),
        now=NOW,
        batch_seconds=0,  # one unit a batch
        on_batch=another_process_writes,
    )

    assert report.revisions == 60
    assert between == [12, 24, 36, 48, 60]  # one batch per unit, the lock free after each
    await assert_totals_are_recomputed(database, catalogue)

"""`chitieu backup`, `chitieu restore` and `chitieu init` as an operator runs them (the whole
database: PostgreSQL's public schema, or the SQLite file), per docs/deploy.md."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from cli.main import main
from storage import Database


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--lang", "en", *argv])  # the English messages asserted
    out, err = capsys.readouterr()
    return code, out, err


async def _sql(url: str, statement: str) -> None:
    async with Database.connect(url) as database, database.engine.begin() as connection:
        await connection.execute(text(statement))


def test_a_backup_restores_what_was_there_when_it_was_made(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(capsys, "init")[0] == 0
    assert run(capsys, "admin", "add", "1001", "--name", "Lan")[0] == 0
    file = tmp_path / "before.dump"

    code, out, err = run(capsys, "backup", str(file))
    assert (code, err) == (0, "")
    assert out.startswith(f"{file}: ")
    assert run(capsys, "admin", "add", "1002", "--name", "Bình")[0] == 0
    code, out, err = run(capsys, "restore", str(file))
    assert (code, err) == (0, "")
    assert "restored from" in out

    code, out, _ = run(capsys, "init")
    assert code == 0
    assert "unchanged" in out

    async def admins() -> list[int]:
        async with Database.connect(database_url) as database, database.unit_of_work() as uow:
            return sorted(p.telegram_id for p in await uow.people.admins())

    assert asyncio.run(admins()) == [1001]


def test_a_missing_backup_file_is_one_line_of_error(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(capsys, "init")[0] == 0

    code, out, err = run(capsys, "restore", str(tmp_path / "nowhere.dump"))

    assert (code, out) == (1, "")
    assert err == f"error: {tmp_path / 'nowhere.dump'}: no such backup file\n"


def test_init_refuses_a_database_a_newer_version_upgraded(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "init")[0] == 0
    asyncio.run(_sql(database_url, "UPDATE alembic_version SET version_num = '9999'"))

    code, out, err = run(capsys, "init")

    assert (code, out) == (1, "")
    assert err.startswith("error: the database is at migration 9999, newer than this code's")
    assert err.count("\n") == 1

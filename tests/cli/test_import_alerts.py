"""An import is judged like a submission: a unit it drops below target gets its alert queued
in the import's transaction (the bot's delivery worker sends it)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from cli.main import main
from kpi.access import Role
from storage import Database
from storage.tables import outbox_table

HEAD = 81  # head of Xã Đăk Blô


async def _head(url: str) -> None:
    async with Database.connect(url) as db, db.unit_of_work() as uow:
        await uow.people.upsert(HEAD, "Y Hoa")
        await uow.people.add_membership(HEAD, "dak-blo", Role.HEAD)
        await uow.commit()


async def _queued(url: str) -> list[tuple[int, str, str]]:
    async with Database.connect(url) as db, db.engine.connect() as connection:
        rows = await connection.execute(
            select(outbox_table.c.chat_id, outbox_table.c.kind, outbox_table.c.text).order_by(
                outbox_table.c.id
            )
        )
        return [(chat, kind, text) for chat, kind, text in rows]


def _csv(tmp_path: Path, online: int) -> Path:
    path = tmp_path / f"dak-blo-{online}.csv"
    rows = [
        ("dossiers_received", 100),
        ("dossiers_received_online", online),
        ("dossiers_resolved", 0),
        ("dossiers_resolved_early", 0),
        ("dossiers_resolved_on_time", 0),
        ("dossiers_resolved_late", 0),
    ]
    lines = ["unit,element,period,value", *(f"dak-blo,{e},2022-02,{v}" for e, v in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_import_that_drops_a_unit_below_target_queues_one_alert_for_its_head(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init"]) == 0
    asyncio.run(_head(database_url))

    assert main(["figures", "import", str(_csv(tmp_path, online=5))]) == 0
    assert main(["figures", "import", str(_csv(tmp_path, online=5))]) == 0  # nothing new
    capsys.readouterr()

    queued = asyncio.run(_queued(database_url))
    assert [(chat, kind) for chat, kind, _ in queued] == [(HEAD, "alert")]
    assert "Xã Đăk Blô" in queued[0][2]
    assert "5,00\u00a0%" in queued[0][2]

    assert main(["figures", "import", str(_csv(tmp_path, online=60))]) == 0  # a correction
    assert [kind for _, kind, _ in asyncio.run(_queued(database_url))] == ["alert", "recovery"]

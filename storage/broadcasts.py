"""Broadcasts and their delivery reports (services.ports.BroadcastStore), inside one session.

A broadcast's deliveries are the outbox rows carrying its id; people who had blocked the bot
before it was sent get a row already "blocked", so that every recipient has one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from services.ports import OutgoingMessage, StoredBroadcast
from storage.sql import UnitIds, upsert
from storage.tables import broadcast_table, outbox_table
from storage.transaction import Connections

BLOCKED_BEFORE = "blocked the bot before the broadcast"


class SqlBroadcastStore:
    def __init__(self, session: Connections, ids: UnitIds) -> None:
        self._session = session
        self._ids = ids

    async def create(
        self, text: str, audience: str, created_by: int, created_at: datetime, recipients: int
    ) -> int:
        connection = await self._session.connection()
        result = await connection.execute(
            broadcast_table.insert()
            .values(
                text=text,
                audience=audience,
                created_by=created_by,
                created_at=created_at,
                recipients=recipients,
            )
            .returning(broadcast_table.c.id)
        )
        return int(result.scalar_one())

    async def get(self, broadcast_id: int) -> StoredBroadcast | None:
        found = await self._select(broadcast_table.c.id == broadcast_id)
        return found[0] if found else None

    async def add_blocked(
        self, broadcast_id: int, messages: Sequence[OutgoingMessage], now: datetime
    ) -> None:
        if not messages:
            return
        connection = await self._session.connection()
        rows = [
            {
                "key": m.key,
                "chat_id": m.chat_id,
                "kind": m.kind,
                "text": m.text,
                "markup": None,
                "state": "blocked",
                "attempts": 0,
                "not_before": now,
                "created_at": now,
                "error": BLOCKED_BEFORE,
                "broadcast_id": broadcast_id,
            }
            for m in messages
        ]
        statement = upsert(connection, outbox_table).on_conflict_do_nothing(index_elements=["key"])
        await connection.execute(statement, rows)

    async def deliveries(self, broadcast_id: int) -> list[tuple[str, str]]:
        connection = await self._session.connection()
        o = outbox_table.c
        rows = await connection.execute(
            select(o.key, o.state).where(o.broadcast_id == broadcast_id).order_by(o.id)
        )
        return [(key, state) for key, state in rows]

    async def set_report_message(
        self, broadcast_id: int, chat_id: int, message_id: int, language: str
    ) -> None:
        await self._update(
            broadcast_id,
            report_chat_id=chat_id,
            report_message_id=message_id,
            report_language=language,
        )

    async def unfinished_reports(self) -> list[StoredBroadcast]:
        b = broadcast_table.c
        return await self._select(b.finished_at.is_(None), b.report_message_id.is_not(None))

    async def reported(self, broadcast_id: int, text: str, finished_at: datetime | None) -> None:
        await self._update(broadcast_id, reported=text, finished_at=finished_at)

    async def _update(self, broadcast_id: int, **values: Any) -> None:
        connection = await self._session.connection()
        await connection.execute(
            update(broadcast_table).where(broadcast_table.c.id == broadcast_id).values(**values)
        )

    async def _select(self, *where: Any) -> list[StoredBroadcast]:
        b = broadcast_table.c
        connection = await self._session.connection()
        rows = await connection.execute(
            select(
                b.id,
                b.text,
                b.audience,
                b.created_by,
                b.created_at,
                b.recipients,
                b.report_chat_id,
                b.report_message_id,
                b.report_language,
                b.reported,
                b.finished_at,
            )
            .where(*where)
            .order_by(b.id)
        )
        return [StoredBroadcast(*row) for row in rows]

"""The outbox on the `outbox` table (services.ports.Outbox), inside one session."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from services.ports import OutgoingMessage
from storage.repositories import _upsert
from storage.tables import outbox_table


class SqlOutbox:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, messages: Sequence[OutgoingMessage], now: datetime) -> int:
        if not messages:
            return 0
        connection = await self._session.connection()
        rows = [
            {
                "key": m.key,
                "chat_id": m.chat_id,
                "kind": m.kind,
                "text": m.text,
                "markup": None if m.markup is None else json.dumps(m.markup, ensure_ascii=False),
                "state": "pending",
                "attempts": 0,
                "not_before": m.not_before or now,
                "created_at": now,
                "broadcast_id": m.broadcast_id,
            }
            for m in messages
        ]
        statement = (
            _upsert(connection, outbox_table)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(outbox_table.c.id)
        )
        result = await connection.execute(statement, rows)
        return len(result.all())

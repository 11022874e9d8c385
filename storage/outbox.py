"""The outbox on the `outbox` table (services.ports.Outbox), inside one session.

Claiming locks the rows it takes with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so that two
processes (an old and a new one during a deploy) never take the same row; SQLite has one
writer at a time and no such clause.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, exists, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.ports import Delivery, OutgoingMessage, Sent
from storage.sql import chunks, upsert
from storage.tables import chat_table, outbox_table, person_table
from storage.transaction import Connections

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
BLOCKED = "blocked"
FAILED = "failed"
CANCELLED = "cancelled"

INACTIVE_RECIPIENT = "the recipient is inactive (blocked the bot or removed it)"
MAX_ERROR = 500  # characters of an error kept on the row
IN_LIST = 1_000


def _markup(text: str | None) -> dict[str, object] | None:
    if text is None:
        return None
    value = json.loads(text)
    return value if isinstance(value, dict) else None


class SqlOutbox:
    def __init__(self, session: Connections) -> None:
        self._session = session

    async def _connection(self) -> AsyncConnection:
        return await self._session.connection()

    async def add(self, messages: Sequence[OutgoingMessage], now: datetime) -> int:
        if not messages:
            return 0
        connection = await self._connection()
        rows = [
            {
                "key": m.key,
                "chat_id": m.chat_id,
                "kind": m.kind,
                "text": m.text,
                "markup": None if m.markup is None else json.dumps(m.markup, ensure_ascii=False),
                "state": PENDING,
                "attempts": 0,
                "not_before": m.not_before or now,
                "created_at": now,
                "broadcast_id": m.broadcast_id,
            }
            for m in messages
        ]
        statement = (
            upsert(connection, outbox_table)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(outbox_table.c.id)
        )
        result = await connection.execute(statement, rows)
        return len(result.all())

    async def claim(self, now: datetime, limit: int) -> list[Delivery]:
        connection = await self._connection()
        o = outbox_table.c
        due = and_(o.state == PENDING, o.not_before <= now)
        inactive = or_(
            o.chat_id.in_(
                select(person_table.c.telegram_id).where(person_table.c.active.is_(false()))
            ),
            o.chat_id.in_(select(chat_table.c.chat_id).where(chat_table.c.active.is_(false()))),
        )
        await connection.execute(
            update(outbox_table)
            .where(due, inactive)
            .values(state=CANCELLED, error=INACTIVE_RECIPIENT)
        )
        earlier = outbox_table.alias("earlier")
        e = earlier.c
        busy_chat = exists().where(
            e.chat_id == o.chat_id,
            e.id < o.id,
            or_(
                e.state == SENDING,
                and_(e.state == PENDING, e.attempts > 0, e.not_before > now),
            ),
        )
        query = select(o.id).where(due, ~busy_chat).order_by(o.id).limit(limit)
        if connection.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=outbox_table)
        ids = list((await connection.scalars(query)).all())
        if not ids:
            return []
        rows = await connection.execute(
            update(outbox_table)
            .where(o.id.in_(ids))
            .values(state=SENDING, attempts=o.attempts + 1)
            .returning(
                o.id, o.key, o.chat_id, o.kind, o.text, o.markup, o.attempts, o.broadcast_id
            )
        )
        claimed = [
            Delivery(
                id=row.id,
                key=row.key,
                chat_id=row.chat_id,
                kind=row.kind,
                text=row.text,
                markup=_markup(row.markup),
                attempts=row.attempts,
                broadcast_id=row.broadcast_id,
            )
            for row in rows
        ]
        claimed.sort(key=lambda d: d.id)
        return claimed

    async def mark_sent(self, sent: Sequence[Sent]) -> None:
        if not sent:
            return
        connection = await self._connection()
        o = outbox_table.c
        statement = (
            update(outbox_table)
            .where(o.id == bindparam("row_id"))
            .values(
                state=SENT,
                message_id=bindparam("message"),
                sent_at=bindparam("at"),
                error=None,
            )
        )
        await connection.execute(
            statement, [{"row_id": s.id, "message": s.message_id, "at": s.at} for s in sent]
        )

    async def _set(self, row_ids: Sequence[int], **values: Any) -> None:
        connection = await self._connection()
        for chunk in chunks(row_ids, IN_LIST):
            await connection.execute(
                update(outbox_table).where(outbox_table.c.id.in_(chunk)).values(**values)
            )

    async def retry(self, row_id: int, not_before: datetime, error: str) -> None:
        await self._set([row_id], state=PENDING, not_before=not_before, error=error[:MAX_ERROR])

    async def release(self, row_ids: Sequence[int], not_before: datetime) -> None:
        o = outbox_table.c
        attempts = case((o.attempts > 0, o.attempts - 1), else_=0)
        await self._set(row_ids, state=PENDING, not_before=not_before, attempts=attempts)

    async def fail(self, row_id: int, error: str) -> None:
        await self._set([row_id], state=FAILED, error=error[:MAX_ERROR])

    async def block(self, row_id: int, error: str) -> int:
        connection = await self._connection()
        o = outbox_table.c
        chat_id = await connection.scalar(
            update(outbox_table)
            .where(o.id == row_id)
            .values(state=BLOCKED, error=error[:MAX_ERROR])
            .returning(o.chat_id)
        )
        if chat_id is None:
            return 0
        result = await connection.execute(
            update(outbox_table)
            .where(o.chat_id == chat_id, o.state.in_([PENDING, SENDING]), o.id != row_id)
            .values(state=CANCELLED, error=INACTIVE_RECIPIENT)
        )
        return max(result.rowcount, 0)

    async def migrate(self, old_chat_id: int, new_chat_id: int) -> int:
        connection = await self._connection()
        o = outbox_table.c
        result = await connection.execute(
            update(outbox_table)
            .where(o.chat_id == old_chat_id, o.state.in_([PENDING, SENDING]))
            .values(chat_id=new_chat_id)
        )
        return max(result.rowcount, 0)

    async def recover(self) -> int:
        connection = await self._connection()
        result = await connection.execute(
            update(outbox_table).where(outbox_table.c.state == SENDING).values(state=PENDING)
        )
        return max(result.rowcount, 0)

    async def next_due(self) -> datetime | None:
        connection = await self._connection()
        o = outbox_table.c
        found: datetime | None = await connection.scalar(
            select(func.min(o.not_before)).where(o.state == PENDING)
        )
        return found

    async def counts(self, broadcast_id: int) -> dict[str, int]:
        connection = await self._connection()
        o = outbox_table.c
        rows = await connection.execute(
            select(o.state, func.count()).where(o.broadcast_id == broadcast_id).group_by(o.state)
        )
        return {str(state): int(count) for state, count in rows}

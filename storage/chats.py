"""Group chats and their subscriptions (services.ports.ChatStore), inside one session."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.repositories import UnitIds
from storage.tables import chat_table, subscription_table, unit_table


class SqlChatStore:
    def __init__(self, session: AsyncSession, ids: UnitIds) -> None:
        self._session = session
        self._ids = ids

    async def subscribers(self, units: Sequence[str]) -> dict[str, list[int]]:
        if not units:
            return {}
        connection = await self._session.connection()
        rows = await connection.execute(
            select(unit_table.c.code, subscription_table.c.chat_id)
            .join(unit_table, unit_table.c.id == subscription_table.c.unit_id)
            .join(chat_table, chat_table.c.chat_id == subscription_table.c.chat_id)
            .where(unit_table.c.code.in_(list(units)), chat_table.c.active.is_(True))
            .order_by(unit_table.c.code, subscription_table.c.chat_id)
        )
        found: dict[str, list[int]] = {}
        for code, chat_id in rows:
            found.setdefault(code, []).append(chat_id)
        return found

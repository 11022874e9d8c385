"""Group chats and their subscriptions (services.ports.ChatStore), inside one session."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, exists, select, update

from services.ports import GroupChat
from storage.sql import UnitIds, upsert
from storage.tables import chat_table, subscription_table, unit_table
from storage.transaction import Connections


class SqlChatStore:
    def __init__(self, session: Connections, ids: UnitIds) -> None:
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

    async def get(self, chat_id: int) -> GroupChat | None:
        c = chat_table.c
        connection = await self._session.connection()
        row = (
            await connection.execute(
                select(c.chat_id, c.title, c.kind, c.active, c.migrated_to).where(
                    c.chat_id == chat_id
                )
            )
        ).first()
        if row is None:
            return None
        return GroupChat(row.chat_id, row.title, row.kind, bool(row.active), row.migrated_to)

    async def joined(self, chat_id: int, title: str, kind: str, at: datetime) -> None:
        connection = await self._session.connection()
        values = {"title": title, "kind": kind, "active": True, "updated_at": at}
        statement = upsert(connection, chat_table).values(chat_id=chat_id, **values)
        await connection.execute(
            statement.on_conflict_do_update(index_elements=["chat_id"], set_=values)
        )

    async def deactivate(self, chat_id: int, at: datetime) -> None:
        connection = await self._session.connection()
        await connection.execute(
            update(chat_table)
            .where(chat_table.c.chat_id == chat_id)
            .values(active=False, updated_at=at)
        )

    async def migrate(self, old: int, new: int, at: datetime) -> None:
        connection = await self._session.connection()
        before = await self.get(old)
        if before is None or before.migrated_to == new:
            await self._ensure(new, before.title if before else "", "supergroup", at)
            return
        await self._ensure(new, before.title, "supergroup", at, active=before.active)
        s = subscription_table.c
        rows = (
            await connection.execute(
                select(s.unit_id, s.created_by, s.created_at).where(s.chat_id == old)
            )
        ).all()
        if rows:
            await connection.execute(
                upsert(connection, subscription_table).on_conflict_do_nothing(
                    index_elements=["chat_id", "unit_id"]
                ),
                [
                    {
                        "chat_id": new,
                        "unit_id": r.unit_id,
                        "created_by": r.created_by,
                        "created_at": r.created_at,
                    }
                    for r in rows
                ],
            )
        await connection.execute(delete(subscription_table).where(s.chat_id == old))
        await connection.execute(
            update(chat_table)
            .where(chat_table.c.chat_id == old)
            .values(active=False, migrated_to=new, updated_at=at)
        )

    async def _ensure(
        self, chat_id: int, title: str, kind: str, at: datetime, *, active: bool = True
    ) -> None:
        """The chat's row, created if missing (an existing row keeps its values, but turns
        active when `active`)."""
        connection = await self._session.connection()
        values = {"title": title, "kind": kind, "active": active, "updated_at": at}
        statement = upsert(connection, chat_table).values(chat_id=chat_id, **values)
        if active:
            statement = statement.on_conflict_do_update(
                index_elements=["chat_id"], set_={"active": True, "updated_at": at}
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=["chat_id"])
        await connection.execute(statement)

    async def subscribe(self, chat_id: int, unit: str, by: int, at: datetime) -> bool:
        unit_id = await self._ids.id_of(unit)
        connection = await self._session.connection()
        statement = (
            upsert(connection, subscription_table)
            .values(chat_id=chat_id, unit_id=unit_id, created_by=by, created_at=at)
            .on_conflict_do_nothing(index_elements=["chat_id", "unit_id"])
            .returning(subscription_table.c.chat_id)
        )
        return (await connection.execute(statement)).first() is not None

    async def unsubscribe(self, chat_id: int, unit: str) -> bool:
        unit_id = await self._ids.id_of(unit)
        connection = await self._session.connection()
        s = subscription_table.c
        result = await connection.execute(
            delete(subscription_table)
            .where(s.chat_id == chat_id, s.unit_id == unit_id)
            .returning(s.chat_id)
        )
        return result.first() is not None

    async def subscriptions(self, chat_id: int) -> list[str]:
        connection = await self._session.connection()
        rows = await connection.execute(
            select(unit_table.c.code)
            .join(subscription_table, unit_table.c.id == subscription_table.c.unit_id)
            .where(subscription_table.c.chat_id == chat_id)
            .order_by(unit_table.c.code)
        )
        return list(rows.scalars())

    async def subscribed_chats(self) -> list[int]:
        connection = await self._session.connection()
        s = subscription_table.c
        rows = await connection.execute(
            select(chat_table.c.chat_id)
            .where(
                chat_table.c.active.is_(True), exists().where(s.chat_id == chat_table.c.chat_id)
            )
            .order_by(chat_table.c.chat_id)
        )
        return list(rows.scalars())

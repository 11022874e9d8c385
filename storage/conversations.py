"""Conversation states (services.ports.ConversationStore), as JSON text by namespace and key."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Delete, Insert, TextClause, bindparam, delete, select
from sqlalchemy.dialects import postgresql

from storage.sql import by_dialect
from storage.tables import conversation_table, utc_now
from storage.transaction import AsyncpgStatement, Connections, asyncpg_of


def _conversation_upsert(dialect_insert: Any) -> Insert:
    statement = dialect_insert(conversation_table)
    upsert: Insert = statement.on_conflict_do_update(
        index_elements=list(conversation_table.primary_key.columns),
        set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
    )
    return upsert


_CONVERSATION_UPSERT = by_dialect(
    _conversation_upsert, ("namespace", "key", "value", "updated_at")
)
_CONVERSATION_DELETE: Delete = delete(conversation_table).where(
    conversation_table.c.namespace == bindparam("namespace"),
    conversation_table.c.key == bindparam("key"),
)
_CONVERSATION_UPSERT_ASYNCPG = AsyncpgStatement.of(_conversation_upsert(postgresql.insert))
_CONVERSATION_DELETE_ASYNCPG = AsyncpgStatement.of(_CONVERSATION_DELETE)
# Several keys deleted and written in one statement, atomic without a transaction around it.
_CONVERSATIONS_SAVE_ALL_ASYNCPG = """
WITH gone AS (
    DELETE FROM conversation_state AS c
    USING unnest($1::varchar[], $2::varchar[]) AS d(namespace, key)
    WHERE c.namespace = d.namespace AND c.key = d.key
)
INSERT INTO conversation_state (namespace, key, value, updated_at)
SELECT u.namespace, u.key, u.value, $6::timestamptz
FROM unnest($3::varchar[], $4::varchar[], $5::varchar[]) AS u(namespace, key, value)
ON CONFLICT (namespace, key)
DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
"""


class SqlConversationStore:
    """Values are kept as JSON text: tuples come back as lists, dict keys as strings."""

    def __init__(self, session: Connections) -> None:
        self._session = session

    async def load(self, namespace: str) -> dict[str, object]:
        c = conversation_table.c
        connection = await self._session.connection()
        rows = await connection.execute(
            select(c.key, c.value).where(c.namespace == namespace).order_by(c.key)
        )
        return {key: json.loads(value) for key, value in rows.tuples()}

    async def save(self, namespace: str, key: str, value: object | None) -> None:
        parameters: dict[str, Any] = {"namespace": namespace, "key": key}
        statement: Delete | dict[str, TextClause]
        if value is None:
            statement, on_asyncpg = _CONVERSATION_DELETE, _CONVERSATION_DELETE_ASYNCPG
        else:
            parameters["value"] = json.dumps(value, ensure_ascii=False, allow_nan=False)
            parameters["updated_at"] = utc_now()
            statement, on_asyncpg = _CONVERSATION_UPSERT, _CONVERSATION_UPSERT_ASYNCPG
        driver = await asyncpg_of(self._session)
        if driver is not None:
            await driver.execute(on_asyncpg.sql, *on_asyncpg.arguments(parameters))
            return
        connection = await self._session.connection()
        await connection.execute(
            statement[connection.dialect.name] if isinstance(statement, dict) else statement,
            parameters,
        )

    async def save_all(self, values: Mapping[tuple[str, str], object | None]) -> None:
        """On PostgreSQL in autocommit, one statement however many keys (deletes and upserts
        together); otherwise a statement per key, in the unit of work's transaction."""
        driver = await asyncpg_of(self._session)
        if driver is None or len(values) == 1:
            for (namespace, key), value in values.items():
                await self.save(namespace, key, value)
            return
        gone = [pair for pair, value in values.items() if value is None]
        kept = [
            (namespace, key, json.dumps(value, ensure_ascii=False, allow_nan=False))
            for (namespace, key), value in values.items()
            if value is not None
        ]
        await driver.execute(
            _CONVERSATIONS_SAVE_ALL_ASYNCPG,
            [namespace for namespace, _ in gone],
            [key for _, key in gone],
            [namespace for namespace, _, _ in kept],
            [key for _, key, _ in kept],
            [text for _, _, text in kept],
            utc_now(),
        )

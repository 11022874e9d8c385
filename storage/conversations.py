"""Conversation states (services.ports.ConversationStore), as JSON text by namespace and key.

PostgreSQL in autocommit writes them faster: see storage/postgres_fast.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Delete, Insert, TextClause, bindparam, delete, select

from storage.sql import by_dialect
from storage.tables import conversation_table, utc_now
from storage.transaction import Connections


def conversation_upsert(dialect_insert: Any) -> Insert:
    """Write a key's value over the one it had, if any."""
    statement = dialect_insert(conversation_table)
    upsert: Insert = statement.on_conflict_do_update(
        index_elements=list(conversation_table.primary_key.columns),
        set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
    )
    return upsert


_CONVERSATION_UPSERT = by_dialect(conversation_upsert, ("namespace", "key", "value", "updated_at"))
CONVERSATION_DELETE: Delete = delete(conversation_table).where(
    conversation_table.c.namespace == bindparam("namespace"),
    conversation_table.c.key == bindparam("key"),
)


def as_json(value: object) -> str:
    """A value as the table keeps it (ValueError for what JSON cannot hold)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def save_parameters(namespace: str, key: str, value: object | None) -> dict[str, Any]:
    """The parameters of CONVERSATION_DELETE (value None) or of `conversation_upsert`."""
    parameters: dict[str, Any] = {"namespace": namespace, "key": key}
    if value is not None:
        parameters["value"] = as_json(value)
        parameters["updated_at"] = utc_now()
    return parameters


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
        parameters = save_parameters(namespace, key, value)
        connection = await self._session.connection()
        statement: Delete | TextClause = (
            CONVERSATION_DELETE if value is None else _CONVERSATION_UPSERT[connection.dialect.name]
        )
        await connection.execute(statement, parameters)

    async def save_all(self, values: Mapping[tuple[str, str], object | None]) -> None:
        """A statement per key, in the unit of work's transaction (PostgreSQL in autocommit:
        one statement for all, see storage/postgres_fast.py)."""
        for (namespace, key), value in values.items():
            await self.save(namespace, key, value)

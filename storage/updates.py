"""The updates handled (services.ports.UpdateLog): each claimed once, pruned later."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Insert, bindparam, delete, or_
from sqlalchemy.dialects import postgresql

from storage.sql import by_dialect, changed
from storage.tables import processed_update_table
from storage.transaction import AsyncpgStatement, Connections, asyncpg_of, changed_rows


def _claim(dialect_insert: Any) -> Insert:
    """Insert the claim; over an earlier one only when that is older than `since` or was of
    another update (another fingerprint): one row changed means the update is new."""
    table = processed_update_table
    statement = dialect_insert(table)
    claim: Insert = statement.on_conflict_do_update(
        index_elements=list(table.primary_key.columns),
        set_={"at": statement.excluded.at, "fingerprint": statement.excluded.fingerprint},
        where=or_(
            table.c.at < bindparam("since", type_=table.c.at.type),
            table.c.fingerprint != statement.excluded.fingerprint,
        ),
    )
    return claim


_CLAIM = by_dialect(_claim, ("bot_id", "update_id", "at", "fingerprint"))
_CLAIM_ASYNCPG = AsyncpgStatement.of(_claim(postgresql.insert))


class SqlUpdateLog:
    def __init__(self, session: Connections) -> None:
        self._session = session

    async def claim(
        self,
        bot_id: int,
        update_id: int,
        at: datetime,
        *,
        fingerprint: str = "",
        since: datetime | None = None,
    ) -> bool:
        parameters = {
            "bot_id": bot_id,
            "update_id": update_id,
            "at": at,
            "fingerprint": fingerprint,
            "since": since if since is not None else datetime.min.replace(tzinfo=UTC),
        }
        driver = await asyncpg_of(self._session)
        if driver is not None:
            arguments = _CLAIM_ASYNCPG.arguments(parameters)
            status = await driver.execute(_CLAIM_ASYNCPG.sql, *arguments)
            return changed_rows(status) == 1
        connection = await self._session.connection()
        result = await connection.execute(_CLAIM[connection.dialect.name], parameters)
        return changed(result) == 1

    async def prune(self, before: datetime) -> int:
        """Forget the updates handled before `before`; returns how many."""
        result = await (await self._session.connection()).execute(
            delete(processed_update_table).where(processed_update_table.c.at < before)
        )
        return changed(result)

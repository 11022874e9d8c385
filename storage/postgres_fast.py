"""PostgreSQL's fast paths, behind the same store methods: every trick of asyncpg's in one place.

Each class here is a portable store of its own module with a few methods overridden; the unit
of work uses these classes on both databases, and where a fast path does not apply (SQLite, or
PostgreSQL inside a transaction for the asyncpg statements) the portable method runs.

- On asyncpg's connection directly, when the unit of work is in autocommit (no transaction of
  SQLAlchemy's to stay inside), for the statements of every update and of /status: reading
  the sender (`FastPeopleStore.get`), claiming the update (`FastUpdateLog.claim`), writing the
  conversation's state (`FastConversationStore.save`, and `save_all`: several keys in one
  statement), a unit's totals (`FastFigureStore.totals`). SQLAlchemy's execution costs about
  three times asyncpg's own there (`AsyncpgStatement`, storage/transaction.py).
- COPY for loading a year's totals (`FastFigureStore.replace_totals`): 200,000 rows.

tests/integration/test_postgres_fast.py checks that each gives the rows the portable method
gives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from kpi.access import Person
from kpi.aggregate import Total, TotalKey
from kpi.periods import Period
from services.ports import UnitTotals
from storage.conversations import (
    CONVERSATION_DELETE,
    SqlConversationStore,
    as_json,
    conversation_upsert,
    save_parameters,
)
from storage.figures import TOTAL_COLUMNS, UNIT_TOTALS, SqlFigureStore, total_records, unit_totals
from storage.people import PERSON_BY_ID, SqlPeopleStore, people_of
from storage.tables import total_table, utc_now
from storage.transaction import AsyncpgStatement, asyncpg_of, changed_rows
from storage.updates import SqlUpdateLog, claim_parameters, claim_statement

COPY_BATCH = 100_000  # rows per COPY

_PERSON_BY_ID = AsyncpgStatement.of(PERSON_BY_ID)
_UNIT_TOTALS = AsyncpgStatement.of(UNIT_TOTALS)
_CONVERSATION_UPSERT = AsyncpgStatement.of(conversation_upsert(postgresql.insert))
_CONVERSATION_DELETE = AsyncpgStatement.of(CONVERSATION_DELETE)
_CLAIM = AsyncpgStatement.of(claim_statement(postgresql.insert))
# Several keys deleted and written in one statement, atomic without a transaction around it.
_CONVERSATIONS_SAVE_ALL = """
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


class FastPeopleStore(SqlPeopleStore):
    async def get(self, telegram_id: int) -> Person | None:
        driver = await asyncpg_of(self._session)
        if driver is None:
            return await super().get(telegram_id)
        found = people_of(await driver.fetch(_PERSON_BY_ID.sql, telegram_id))
        return found[0] if found else None


class FastFigureStore(SqlFigureStore):
    async def totals(self, unit: str, period: Period) -> UnitTotals:
        driver = await asyncpg_of(self._session)
        if driver is None:
            return await super().totals(unit, period)
        parameters = {"period_key": period.key, "unit_id": await self._ids.id_of(unit)}
        return unit_totals(
            await driver.fetch(_UNIT_TOTALS.sql, *_UNIT_TOTALS.arguments(parameters))
        )

    async def _insert_totals(
        self,
        connection: AsyncConnection,
        ids: dict[str, int],
        totals: Iterable[tuple[TotalKey, Total]],
    ) -> None:
        """COPY, on the asyncpg connection of the current transaction."""
        if connection.dialect.driver != "asyncpg":
            await super()._insert_totals(connection, ids, totals)
            return
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        for records in total_records(ids, totals, COPY_BATCH):
            await driver.copy_records_to_table(
                total_table.name, records=records, columns=list(TOTAL_COLUMNS)
            )


class FastConversationStore(SqlConversationStore):
    async def save(self, namespace: str, key: str, value: object | None) -> None:
        driver = await asyncpg_of(self._session)
        if driver is None:
            await super().save(namespace, key, value)
            return
        parameters = save_parameters(namespace, key, value)
        statement = _CONVERSATION_DELETE if value is None else _CONVERSATION_UPSERT
        await driver.execute(statement.sql, *statement.arguments(parameters))

    async def save_all(self, values: Mapping[tuple[str, str], object | None]) -> None:
        """In autocommit, one statement however many keys (deletes and upserts together)."""
        driver = await asyncpg_of(self._session)
        if driver is None or len(values) == 1:
            await super().save_all(values)
            return
        gone = [pair for pair, value in values.items() if value is None]
        kept = [
            (namespace, key, as_json(value))
            for (namespace, key), value in values.items()
            if value is not None
        ]
        await driver.execute(
            _CONVERSATIONS_SAVE_ALL,
            [namespace for namespace, _ in gone],
            [key for _, key in gone],
            [namespace for namespace, _, _ in kept],
            [key for _, key, _ in kept],
            [text for _, _, text in kept],
            utc_now(),
        )


class FastUpdateLog(SqlUpdateLog):
    async def claim(
        self,
        bot_id: int,
        update_id: int,
        at: datetime,
        *,
        fingerprint: str = "",
        since: datetime | None = None,
    ) -> bool:
        driver = await asyncpg_of(self._session)
        if driver is None:
            return await super().claim(bot_id, update_id, at, fingerprint=fingerprint, since=since)
        parameters = claim_parameters(bot_id, update_id, at, fingerprint, since)
        status = await driver.execute(_CLAIM.sql, *_CLAIM.arguments(parameters))
        return changed_rows(status) == 1

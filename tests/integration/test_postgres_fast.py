"""Each PostgreSQL fast path (storage/postgres_fast.py) gives the rows its portable method gives.

Both run on the same PostgreSQL database and session: the portable store of the store's own
module, and its fast subclass, which the unit of work uses. Skipped without TEST_DATABASE_URL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, delete, select

from kpi.access import Role
from kpi.aggregate import Total, TotalKey
from kpi.periods import Period
from storage import Database
from storage.conversations import SqlConversationStore
from storage.figures import SqlFigureStore
from storage.people import SqlPeopleStore
from storage.postgres_fast import (
    FastConversationStore,
    FastFigureStore,
    FastPeopleStore,
    FastUpdateLog,
)
from storage.sql import UnitIds
from storage.tables import conversation_table, processed_update_table, total_table
from storage.transaction import Transaction, asyncpg_of
from storage.updates import SqlUpdateLog
from tests.backends import empty_database
from tests.integration.builders import (
    DAK_HA,
    HA_MON,
    MARCH,
    ONLINE,
    PROVINCE,
    Q1,
    RECEIVED,
    SA_BINH,
    T0,
    tree,
)

pytestmark = pytest.mark.postgres

LAN = 5_000_000_001  # Telegram ids exceed 32 bits
BINH = 5_000_000_002
CUONG = 42
STRANGER = 7


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated PostgreSQL database with the tiny province's units."""
    async with empty_database("postgresql", tmp_path, "fast") as url:
        db = Database.connect(url)
        try:
            await db.upgrade()
            async with db.unit_of_work() as uow:
                await uow.units.sync(tree())
                await uow.commit()
            yield db
        finally:
            await db.dispose()


@pytest.fixture
async def autocommit(database: Database) -> AsyncIterator[Transaction]:
    """A session in autocommit, where the asyncpg statements apply."""
    engine = database.engine.execution_options(isolation_level="AUTOCOMMIT")
    session = Transaction(engine, autocommit=True)
    try:
        assert await asyncpg_of(session) is not None
        yield session
    finally:
        await session.close()


@pytest.fixture
async def transaction(database: Database) -> AsyncIterator[Transaction]:
    session = Transaction(database.engine)
    try:
        yield session
    finally:
        await session.close()


async def rows(session: Transaction, table: Table, *, without: str | None = None) -> list[Any]:
    columns = [column for column in table.columns if column.name != without]
    connection = await session.connection()
    statement = select(*columns).order_by(*table.primary_key.columns)
    return list((await connection.execute(statement)).tuples().all())


async def test_a_person_read_by_asyncpg_is_the_person_read_through_sqlalchemy(
    database: Database, autocommit: Transaction
) -> None:
    async with database.unit_of_work() as uow:
        for telegram_id, name in ((LAN, "Nguyễn Thị Lan"), (BINH, "Bình"), (CUONG, "Cường")):
            await uow.people.upsert(telegram_id, name)
        await uow.people.add_membership(LAN, SA_BINH.code, Role.VIEWER)
        await uow.people.add_membership(LAN, DAK_HA.code, Role.HEAD)
        await uow.people.add_membership(BINH, HA_MON.code, Role.MEMBER)
        await uow.people.set_admin(CUONG, True)
        await uow.people.set_language(CUONG, "en")
        await uow.commit()
    ids = UnitIds(autocommit)
    portable, fast = SqlPeopleStore(autocommit, ids), FastPeopleStore(autocommit, ids)

    for telegram_id in (LAN, BINH, CUONG, STRANGER):
        assert await fast.get(telegram_id) == await portable.get(telegram_id)
    assert await fast.get(LAN) is not None
    assert await fast.get(STRANGER) is None


async def test_a_units_totals_read_by_asyncpg_are_those_read_through_sqlalchemy(
    database: Database, autocommit: Transaction
) -> None:
    changes: list[tuple[TotalKey, Total]] = [
        ((HA_MON.code, MARCH.key, RECEIVED.code, "commune"), Total(120, 1)),
        ((HA_MON.code, MARCH.key, ONLINE.code, "commune"), Total(40, 1)),
        ((HA_MON.code, Q1.key, RECEIVED.code, "commune"), Total(300, 1)),
        ((DAK_HA.code, MARCH.key, RECEIVED.code, "commune"), Total(120, 1)),
        ((DAK_HA.code, MARCH.key, RECEIVED.code, "district"), Total(7, 1)),
        ((DAK_HA.code, MARCH.key, ONLINE.code, "commune"), Total(0, 0)),  # nobody reports
    ]
    async with database.unit_of_work() as uow:
        await uow.figures.add_to_totals(changes)
        await uow.figures.add_to_totals(
            [((DAK_HA.code, MARCH.key, ONLINE.code, "commune"), Total(5, 1))]
        )
        await uow.figures.add_to_totals(
            [((DAK_HA.code, MARCH.key, ONLINE.code, "commune"), Total(-5, -1))]
        )
        await uow.commit()
    ids = UnitIds(autocommit)
    portable, fast = SqlFigureStore(autocommit, ids), FastFigureStore(autocommit, ids)

    for unit in (HA_MON.code, DAK_HA.code, PROVINCE.code):
        for period in (MARCH, Q1, Period(2022, 4, 4)):
            assert await fast.totals(unit, period) == await portable.totals(unit, period)
    assert await fast.totals(DAK_HA.code, MARCH) == {
        (RECEIVED.code, "commune"): Total(120, 1),
        (RECEIVED.code, "district"): Total(7, 1),
    }


async def test_a_years_totals_loaded_by_copy_are_the_rows_inserted_portably(
    transaction: Transaction,
) -> None:
    ids = UnitIds(transaction)
    portable, fast = SqlFigureStore(transaction, ids), FastFigureStore(transaction, ids)
    last_year = Period(2021, 12, 12)
    await portable.add_to_totals(
        [((HA_MON.code, last_year.key, RECEIVED.code, "commune"), Total(9, 1))]
    )
    totals: list[tuple[TotalKey, Total]] = [
        ((unit, period.key, element, level), Total(value, reporters))
        for value, (unit, period, element, level, reporters) in enumerate(
            (unit, period, element, level, reporters)
            for unit in (HA_MON.code, DAK_HA.code, PROVINCE.code)
            for period in (MARCH, Q1)
            for element in (RECEIVED.code, ONLINE.code)
            for level, reporters in (("commune", 2), ("district", 1))
        )
    ]

    await portable.replace_totals(2022, totals)
    inserted = await rows(transaction, total_table)
    await fast.replace_totals(2022, reversed(totals))
    copied = await rows(transaction, total_table)

    assert copied == inserted
    assert len(copied) == len(totals) + 1  # and last year's, untouched


SaveAll = Callable[[dict[tuple[str, str], object | None]], Awaitable[None]]


async def _states_after(session: Transaction, save_all: SaveAll) -> list[Any]:
    """The conversation rows after the same writes: keys written, replaced and deleted."""
    connection = await session.connection()
    await connection.execute(delete(conversation_table))
    await save_all({("user_data", "42"): {"step": 1}, ("conversation:submit", "[42, 42]"): "q"})
    await save_all({("user_data", "42"): {"step": 2, "unit": "Đăk Hà", "at": [1, 2]}})
    await save_all(
        {
            ("user_data", "7"): {"step": 1},
            ("conversation:submit", "[42, 42]"): None,
            ("conversation:submit", "[7, 7]"): "period",
            ("user_data", "missing"): None,
        }
    )
    await save_all({("chat_data", "-100"): None})
    return await rows(session, conversation_table, without="updated_at")


async def test_conversation_states_saved_by_asyncpg_are_those_saved_through_sqlalchemy(
    autocommit: Transaction,
) -> None:
    portable, fast = SqlConversationStore(autocommit), FastConversationStore(autocommit)

    def one_by_one(store: SqlConversationStore) -> SaveAll:
        async def save_all(values: dict[tuple[str, str], object | None]) -> None:
            for (namespace, key), value in values.items():
                await store.save(namespace, key, value)

        return save_all

    before = datetime.now(UTC) - timedelta(minutes=1)  # the server's clock may differ a little
    saved = await _states_after(autocommit, one_by_one(portable))
    fast_saved = await _states_after(autocommit, one_by_one(fast))

    assert fast_saved == saved
    assert [key for _, key, _ in saved] == ["[7, 7]", "42", "7"]
    connection = await autocommit.connection()
    times = (await connection.execute(select(conversation_table.c.updated_at))).scalars().all()
    assert all(at.tzinfo is not None and at > before for at in times)


async def test_conversation_states_saved_in_one_asyncpg_statement_are_those_saved_key_by_key(
    autocommit: Transaction,
) -> None:
    portable, fast = SqlConversationStore(autocommit), FastConversationStore(autocommit)

    saved = await _states_after(autocommit, portable.save_all)
    fast_saved = await _states_after(autocommit, fast.save_all)

    assert fast_saved == saved
    assert await fast.load("user_data") == await portable.load("user_data")


async def test_updates_claimed_by_asyncpg_are_those_claimed_through_sqlalchemy(
    autocommit: Transaction,
) -> None:
    async def claims(log: SqlUpdateLog) -> tuple[list[bool], list[Any]]:
        connection = await autocommit.connection()
        await connection.execute(delete(processed_update_table))
        later = T0 + timedelta(hours=1)
        answers = [
            await log.claim(1, 100, T0, fingerprint="a"),
            await log.claim(1, 100, T0, fingerprint="a"),  # a duplicate
            await log.claim(2, 100, T0, fingerprint="a"),  # another bot's
            await log.claim(1, 101, T0),
            await log.claim(1, 100, later, fingerprint="b"),  # the id reused by another update
            await log.claim(1, 101, later, since=later),  # claimed before the window
            await log.claim(1, 101, later, since=T0),
        ]
        return answers, await rows(autocommit, processed_update_table)

    portable = await claims(SqlUpdateLog(autocommit))
    fast = await claims(FastUpdateLog(autocommit))

    assert fast == portable
    assert portable[0] == [True, False, True, True, True, True, False]

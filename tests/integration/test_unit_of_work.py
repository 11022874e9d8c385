"""The unit of work: one transaction, rolled back unless committed."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from kpi.access import Membership, Person, Role
from services.ports import StoredCatalogue, UnitOfWork
from storage import Database
from tests.integration.builders import tree


def catalogue(code: str, year: int, text: str = "code: x\n") -> StoredCatalogue:
    return StoredCatalogue(code, year, text, "0" * 64, datetime(2022, 1, 5, 8, 0, tzinfo=UTC))


async def test_the_unit_of_work_satisfies_the_port(database: Database) -> None:
    uow: UnitOfWork = database.unit_of_work()
    async with uow:
        assert await uow.units.codes() == set()


async def test_work_that_is_not_committed_is_rolled_back(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())

    async with database.unit_of_work() as uow:
        assert await uow.units.codes() == set()


async def test_committed_work_is_kept(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())
        await uow.commit()

    async with database.unit_of_work() as uow:
        assert "dak-ha" in await uow.units.codes()


async def test_an_exception_rolls_back_and_propagates(database: Database) -> None:
    async def sync_then_fail() -> None:
        async with database.unit_of_work() as uow:
            await uow.units.sync(tree())
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await sync_then_fail()

    async with database.unit_of_work() as uow:
        assert await uow.units.codes() == set()


async def test_work_after_a_commit_is_rolled_back_on_exit(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await uow.catalogues.save(catalogue("kontum-2022", 2022))
        await uow.commit()
        await uow.catalogues.save(catalogue("kontum-2023", 2023))

    async with database.unit_of_work() as uow:
        assert [c.code for c in await uow.catalogues.all()] == ["kontum-2022"]


async def test_an_explicit_rollback_discards_the_work_so_far(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())
        await uow.rollback()
        await uow.commit()

    async with database.unit_of_work() as uow:
        assert await uow.units.codes() == set()


async def test_each_statement_of_an_autocommit_unit_of_work_is_kept_without_a_commit(
    database: Database,
) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("autocommit on PostgreSQL (on SQLite, where it saves nothing, a transaction)")
    at = datetime(2022, 6, 10, 1, tzinfo=UTC)
    async with database.autocommit() as uow:
        await uow.conversations.save("submit", "[7, 7]", {"step": 1})
        assert await uow.updates.claim(1, 42, at)
        await uow.rollback()  # nothing to roll back: each statement was committed

    async with database.unit_of_work() as uow:
        assert await uow.conversations.load("submit") == {"[7, 7]": {"step": 1}}
        assert not await uow.updates.claim(1, 42, at)  # claimed once already


async def test_a_person_read_in_autocommit_is_the_person_read_in_a_transaction(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())
        await uow.people.upsert(7, "Lan")
        await uow.people.add_membership(7, "dak-ha", Role.HEAD)
        await uow.people.set_admin(7, True)
        await uow.commit()
    async with database.unit_of_work() as uow:
        expected = await uow.people.get(7)

    async with database.autocommit() as uow:
        assert await uow.people.get(7) == expected
        assert await uow.people.get(8) is None
    assert expected == Person(
        7, "Lan", is_admin=True, memberships=(Membership("dak-ha", Role.HEAD),)
    )


async def test_what_an_autocommit_unit_of_work_committed_is_kept_and_the_next_is_a_transaction(
    database: Database,
) -> None:
    async with database.autocommit() as uow:
        await uow.conversations.save("submit", "a", 1)
        await uow.commit()
    async with database.unit_of_work() as uow:  # on the same pooled connection
        await uow.conversations.save("submit", "b", 2)  # not committed

    async with database.unit_of_work() as uow:
        assert await uow.conversations.load("submit") == {"a": 1}


async def test_catalogues_are_listed_oldest_year_first_and_saved_again_by_code(
    database: Database,
) -> None:
    hanoi = timezone(timedelta(hours=7))
    async with database.unit_of_work() as uow:
        await uow.catalogues.save(catalogue("kontum-2023", 2023))
        await uow.catalogues.save(catalogue("kontum-2022", 2022, "old"))
        await uow.catalogues.save(
            StoredCatalogue(
                "kontum-2022", 2022, "new", "f" * 64, datetime(2022, 2, 1, 9, tzinfo=hanoi)
            )
        )
        await uow.commit()

    async with database.unit_of_work() as uow:
        stored = await uow.catalogues.all()

    assert [(c.code, c.text) for c in stored] == [
        ("kontum-2022", "new"),
        ("kontum-2023", "code: x\n"),
    ]
    assert stored[0].loaded_at == datetime(2022, 2, 1, 2, tzinfo=UTC)
    assert stored[0].loaded_at.tzinfo is UTC


async def test_a_unit_of_work_is_not_usable_outside_its_block(database: Database) -> None:
    uow = database.unit_of_work()
    with pytest.raises(RuntimeError, match="not open"):
        await uow.commit()


async def test_sqlite_answers_on_the_event_loops_thread_and_stays_usable_after_an_error(
    tmp_path: Path,
) -> None:
    database = Database.connect(f"sqlite:///{tmp_path / 'inline.db'}")
    threads = threading.active_count()
    try:
        async with database.unit_of_work() as uow:
            assert (
                await (await uow.session.connection()).execute(text("select 6 * 7"))
            ).scalar_one() == 42
            with pytest.raises(OperationalError, match="no such table"):
                await (await uow.session.connection()).execute(text("select * from nowhere"))
        async with database.unit_of_work() as uow:
            await (await uow.session.connection()).execute(text("create table kept (n integer)"))
            await (await uow.session.connection()).execute(text("insert into kept values (1)"))
            await uow.commit()
        async with database.unit_of_work() as uow:
            assert (
                await (await uow.session.connection()).execute(text("select n from kept"))
            ).scalar_one() == 1
        assert threading.active_count() == threads  # no worker thread per connection
    finally:
        await database.dispose()


async def test_units_of_work_of_one_process_take_turns_for_its_sqlite_connection(
    tmp_path: Path,
) -> None:
    database = Database.connect(f"sqlite:///{tmp_path / 'turns.db'}")
    order: list[str] = []

    async def work(name: str) -> None:
        async with database.unit_of_work() as uow:
            await (await uow.session.connection()).execute(
                text(f"create table t_{name} (n integer)")
            )
            order.append(f"{name} in")  # from its first statement the connection is its own
            await asyncio.sleep(0.05)  # holding its write transaction across an await
            await uow.commit()
            order.append(f"{name} out")

    try:
        await asyncio.gather(work("a"), work("b"), work("c"))
    finally:
        await database.dispose()
    assert order == ["a in", "a out", "b in", "b out", "c in", "c out"]


async def test_pooled_postgresql_connections_the_server_closed_are_replaced_unnoticed(
    database: Database,
) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's server side closing a pooled connection")
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())
        await uow.commit()
    async with database.unit_of_work() as uow:  # the pool now holds that connection
        connection = await uow.session.connection()
        server_pid = (await connection.execute(text("select pg_backend_pid()"))).scalar_one()
    killer = Database.connect(database.engine.url.render_as_string(hide_password=False))
    try:
        async with killer.unit_of_work() as uow:
            connection = await uow.session.connection()
            await connection.execute(text(f"select pg_terminate_backend({int(server_pid)})"))
    finally:
        await killer.dispose()
    await asyncio.sleep(0.2)  # the loop reads the server's goodbye

    async with database.unit_of_work() as uow:
        assert await uow.units.codes() == {unit.code for unit in tree()}

"""Invites: kept by the hash of their code, used once, even by two people at the same moment."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from kpi.access import Invite, Role
from services.access import Outcome, redeem_invite
from storage import Database
from storage.tables import invite_table
from tests.integration.builders import tree

T0 = datetime(2022, 3, 10, 2, 30, tzinfo=UTC)
CODE = "Xq3-vB_9kLmN0pQr"


def invite(code: str = CODE, *, role: Role = Role.MEMBER) -> Invite:
    return Invite(code, "dak-ha", role, "tg:42", T0, T0 + timedelta(days=7))


async def stored_invite(database: Database, code: str = CODE) -> None:
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())
        await uow.invites.add(invite(code))
        await uow.commit()


async def test_an_invite_is_found_by_its_code_and_comes_back_as_added(database: Database) -> None:
    await stored_invite(database)
    async with database.unit_of_work() as uow:
        found = await uow.invites.get(CODE)

    assert found == invite()
    assert found is not None
    assert found.expires_at.tzinfo is UTC


async def test_only_the_hash_of_the_code_is_stored(database: Database) -> None:
    await stored_invite(database)
    async with database.unit_of_work() as uow:
        connection = await uow.session.connection()
        hashes = (await connection.execute(select(invite_table.c.code_hash))).scalars().all()

    assert hashes == [hashlib.sha256(CODE.encode()).hexdigest()]


async def test_an_unknown_code_finds_nothing(database: Database) -> None:
    await stored_invite(database)
    async with database.unit_of_work() as uow:
        assert await uow.invites.get(CODE.upper()) is None
        assert not await uow.invites.mark_used(CODE.upper(), 7, T0)


async def test_an_invite_is_used_once(database: Database) -> None:
    await stored_invite(database)
    async with database.unit_of_work() as uow:
        first = await uow.invites.mark_used(CODE, 5_000_000_001, T0 + timedelta(hours=1))
        second = await uow.invites.mark_used(CODE, 7, T0 + timedelta(hours=2))
        await uow.commit()
    async with database.unit_of_work() as uow:
        used = await uow.invites.get(CODE)

    assert (first, second) == (True, False)
    assert used is not None
    assert (used.used_at, used.used_by) == (T0 + timedelta(hours=1), 5_000_000_001)
    assert used.problem(T0) == "used"


async def test_of_two_units_of_work_marking_one_invite_exactly_one_wins(
    database: Database,
) -> None:
    await stored_invite(database)

    async def second_try() -> bool:
        async with database.unit_of_work() as second:
            assert await second.invites.get(CODE) is not None
            won = await second.invites.mark_used(CODE, 2, T0)
            await second.commit()
            return won

    async with database.unit_of_work() as first:
        assert await first.invites.get(CODE) == invite()
        first_won = await first.invites.mark_used(CODE, 1, T0)
        # the second waits for the first's row lock (PostgreSQL) or for the one connection a
        # process keeps to SQLite (its transactions take turns)
        second = asyncio.create_task(second_try())
        await asyncio.sleep(0.2)
        assert not second.done()
        await first.commit()
    second_won = await second
    async with database.unit_of_work() as uow:
        used = await uow.invites.get(CODE)

    assert (first_won, second_won) == (True, False)
    assert used is not None
    assert used.used_by == 1


async def test_two_people_redeeming_one_code_at_once_one_joins_the_other_is_told_it_is_used(
    database: Database,
) -> None:
    await stored_invite(database)

    outcomes = await asyncio.gather(
        *(
            redeem_invite(database.unit_of_work, CODE, telegram_id, f"P{telegram_id}", T0)
            for telegram_id in (1, 2)
        )
    )
    async with database.unit_of_work() as uow:
        members = await uow.people.members_of(["dak-ha"])

    assert sorted(r.outcome for r in outcomes) == [Outcome.JOINED, Outcome.USED]
    winner = next(r for r, id_ in zip(outcomes, (1, 2), strict=True) if r.joined)
    assert winner.unit == "dak-ha"
    assert [p.telegram_id for p in members] == [1 if outcomes[0].joined else 2]

"""Conversation state (JSON values by namespace and key) and the log of handled updates."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from services.updates import DUPLICATE_WINDOW, prune_processed_updates
from storage import Database

T0 = datetime(2022, 3, 10, 2, 30, tzinfo=UTC)
BOT = 7_000_000_001


async def test_conversation_values_come_back_as_saved_by_namespace(database: Database) -> None:
    draft = {"unit": "dak-ha", "period": "2022-03", "values": {"dossiers_received": 1020}}
    async with database.unit_of_work() as uow:
        await uow.conversations.save("user_data", "5000000001", draft)
        await uow.conversations.save("user_data", "42", ["Đăk Hà", 3, None, True])
        await uow.conversations.save("conversation:submit", "[42, 42]", "ask_values")
        await uow.conversations.save("conversation:submit", "[7, 7]", 2)
        await uow.commit()
    async with database.unit_of_work() as uow:
        user_data = await uow.conversations.load("user_data")
        submit = await uow.conversations.load("conversation:submit")
        nothing = await uow.conversations.load("chat_data")

    assert user_data == {"5000000001": draft, "42": ["Đăk Hà", 3, None, True]}
    assert submit == {"[42, 42]": "ask_values", "[7, 7]": 2}
    assert nothing == {}


async def test_saving_a_key_again_replaces_its_value(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await uow.conversations.save("user_data", "42", {"step": 1})
        await uow.conversations.save("user_data", "42", {"step": 2})
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.conversations.load("user_data") == {"42": {"step": 2}}


async def test_saving_none_deletes_the_key(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await uow.conversations.save("user_data", "42", {"step": 1})
        await uow.conversations.save("user_data", "7", {"step": 1})
        await uow.commit()
    async with database.unit_of_work() as uow:
        await uow.conversations.save("user_data", "42", None)
        await uow.conversations.save("user_data", "never-saved", None)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.conversations.load("user_data") == {"7": {"step": 1}}


async def test_a_value_json_cannot_hold_is_refused(database: Database) -> None:
    async with database.unit_of_work() as uow:
        with pytest.raises(TypeError):
            await uow.conversations.save("user_data", "42", {"at": T0})
        with pytest.raises(ValueError, match="JSON"):
            await uow.conversations.save("user_data", "42", float("nan"))


async def test_save_all_writes_and_deletes_several_keys_in_an_autocommit_unit_of_work(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        await uow.conversations.save("user_data", "42", {"step": 1})
        await uow.conversations.save("conversation:submit", "[42, 42]", "question")
        await uow.commit()

    async with database.autocommit() as uow:
        await uow.conversations.save_all(
            {
                ("user_data", "42"): {"step": 2, "unit": "Đăk Hà"},
                ("user_data", "7"): {"step": 1},
                ("conversation:submit", "[42, 42]"): None,
                ("conversation:submit", "[7, 7]"): "period",
            }
        )
        await uow.commit()

    async with database.unit_of_work() as uow:
        assert await uow.conversations.load("user_data") == {
            "42": {"step": 2, "unit": "Đăk Hà"},
            "7": {"step": 1},
        }
        assert await uow.conversations.load("conversation:submit") == {"[7, 7]": "period"}


async def test_a_batch_postgresql_refuses_changes_nothing_not_even_its_deletes(
    database: Database,
) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's one statement for a batch (SQLite writes it in a transaction)")
    async with database.unit_of_work() as uow:
        await uow.conversations.save("user_data", "42", {"step": 1})
        await uow.commit()

    async with database.autocommit() as uow:
        with pytest.raises(Exception, match="0x00"):  # text may not hold a NUL character
            await uow.conversations.save_all(
                {("user_data", "42"): None, ("user_data", "7\x00"): {"step": 1}}
            )

    async with database.unit_of_work() as uow:
        assert await uow.conversations.load("user_data") == {"42": {"step": 1}}


async def test_an_update_is_claimed_once_per_bot(database: Database) -> None:
    async with database.unit_of_work() as uow:
        first = await uow.updates.claim(BOT, 900_000_000_001, T0)
        again = await uow.updates.claim(BOT, 900_000_000_001, T0 + timedelta(seconds=5))
        other_bot = await uow.updates.claim(BOT + 1, 900_000_000_001, T0)
        await uow.commit()
    async with database.unit_of_work() as uow:
        after_commit = await uow.updates.claim(BOT, 900_000_000_001, T0)

    assert (first, again, other_bot, after_commit) == (True, False, True, False)


async def test_a_claim_that_is_not_committed_is_forgotten(database: Database) -> None:
    async with database.unit_of_work() as uow:
        assert await uow.updates.claim(BOT, 1, T0)
    async with database.unit_of_work() as uow:
        assert await uow.updates.claim(BOT, 1, T0)


async def test_of_two_units_of_work_claiming_one_update_exactly_one_wins(
    database: Database,
) -> None:
    async def claim() -> bool:
        async with database.unit_of_work() as uow:
            claimed = await uow.updates.claim(BOT, 1, T0)
            await uow.commit()
            return claimed

    assert sorted(await asyncio.gather(claim(), claim())) == [False, True]


async def test_pruning_forgets_updates_handled_before_a_time(database: Database) -> None:
    async with database.unit_of_work() as uow:
        for update_id in range(5):
            await uow.updates.claim(BOT, update_id, T0 + timedelta(days=update_id))
        await uow.commit()
    async with database.unit_of_work() as uow:
        pruned = await uow.updates.prune(T0 + timedelta(days=3))
        await uow.commit()
    async with database.unit_of_work() as uow:
        claimed_again = [await uow.updates.claim(BOT, update_id, T0) for update_id in range(5)]

    assert pruned == 3
    assert claimed_again == [True, True, True, False, False]


async def test_an_update_id_reused_by_another_update_is_not_a_duplicate(
    database: Database,
) -> None:
    since = T0 - timedelta(hours=24)
    async with database.unit_of_work() as uow:
        first = await uow.updates.claim(BOT, 1, T0, fingerprint="a", since=since)
        redelivered = await uow.updates.claim(BOT, 1, T0, fingerprint="a", since=since)
        reused = await uow.updates.claim(BOT, 1, T0, fingerprint="b", since=since)
        reused_redelivered = await uow.updates.claim(BOT, 1, T0, fingerprint="b", since=since)
        await uow.commit()

    assert (first, redelivered, reused, reused_redelivered) == (True, False, True, False)


async def test_an_update_claimed_before_the_duplicate_window_is_handled_again(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        assert await uow.updates.claim(BOT, 1, T0, fingerprint="a")
        await uow.commit()
    later = T0 + timedelta(hours=25)
    async with database.unit_of_work() as uow:
        inside = await uow.updates.claim(
            BOT, 1, later, fingerprint="a", since=T0 - timedelta(seconds=1)
        )
        outside = await uow.updates.claim(
            BOT, 1, later, fingerprint="a", since=later - timedelta(hours=24)
        )
        again = await uow.updates.claim(
            BOT, 1, later, fingerprint="a", since=later - timedelta(hours=24)
        )
        await uow.commit()

    assert (inside, outside, again) == (False, True, False)


async def test_the_scheduled_prune_keeps_only_the_updates_of_the_duplicate_window(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        for hours in (0, 10, 23, 25, 48):
            await uow.updates.claim(BOT, hours, T0 - timedelta(hours=hours))
        await uow.commit()

    pruned = await prune_processed_updates(database.unit_of_work, T0)

    async with database.unit_of_work() as uow:
        kept = [
            not await uow.updates.claim(BOT, hours, T0, since=T0 - DUPLICATE_WINDOW)
            for hours in (0, 10, 23, 25, 48)
        ]
    assert pruned == 2
    assert kept == [True, True, True, False, False]

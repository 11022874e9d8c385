"""The outbox's delivery side: claiming, outcomes, recovery, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.outbox import enqueue
from services.ports import OutgoingMessage, Sent
from storage import Database

NOW = datetime(2022, 3, 10, 1, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


def message(key: str, chat_id: int, **options: object) -> OutgoingMessage:
    return OutgoingMessage(key, chat_id, "alert", f"text {key}", **options)  # type: ignore[arg-type]


async def queue(database: Database, *messages: OutgoingMessage) -> None:
    async with database.unit_of_work() as uow:
        await enqueue(uow, messages, NOW)
        await uow.commit()


async def claim(database: Database, limit: int = 100, now: datetime = NOW) -> list[str]:
    async with database.unit_of_work() as uow:
        claimed = await uow.outbox.claim(now, limit)
        await uow.commit()
    return [d.key for d in claimed]


async def test_claiming_takes_due_rows_oldest_first_with_one_attempt_more(
    database: Database,
) -> None:
    await queue(
        database,
        message("a", 1),
        message("b", 2, markup={"inline_keyboard": [[{"text": "Xem", "callback_data": "x"}]]}),
        message("later", 3, not_before=LATER),
        message("c", 4),
    )
    async with database.unit_of_work() as uow:
        first = await uow.outbox.claim(NOW, 2)
        await uow.commit()
    assert [(d.key, d.attempts) for d in first] == [("a", 1), ("b", 1)]
    assert first[1].markup == {"inline_keyboard": [[{"text": "Xem", "callback_data": "x"}]]}
    assert await claim(database) == ["c"]
    assert await claim(database) == []
    assert await claim(database, now=LATER) == ["later"]


async def test_a_chat_waits_while_its_earlier_message_is_being_sent_or_retried(
    database: Database,
) -> None:
    await queue(database, message("part1", 7), message("part2", 7), message("other", 8))
    async with database.unit_of_work() as uow:
        first = await uow.outbox.claim(NOW, 1)
        await uow.commit()
    assert [d.key for d in first] == ["part1"]
    assert await claim(database) == ["other"]  # part2 waits for part1
    async with database.unit_of_work() as uow:
        await uow.outbox.retry(first[0].id, NOW + timedelta(seconds=30), "NetworkError: 502")
        await uow.commit()
    assert await claim(database) == []  # part1 waits for its retry, part2 behind it
    # in one batch, in order: the worker sends a chat's messages one after the other
    assert await claim(database, now=NOW + timedelta(seconds=31)) == ["part1", "part2"]


async def test_outcomes_are_recorded_and_counted_by_broadcast(database: Database) -> None:
    async with database.unit_of_work() as uow:
        broadcast = await uow.broadcasts.create("Chào", "heads", 1, NOW, 4)
        await enqueue(
            uow,
            [message(f"bc{i}", 100 + i, broadcast_id=broadcast) for i in range(4)],
            NOW,
        )
        await uow.commit()
    async with database.unit_of_work() as uow:
        d0, d1, d2, d3 = await uow.outbox.claim(NOW, 10)
        await uow.outbox.mark_sent([Sent(d0.id, 501, NOW), Sent(d1.id, 502, NOW)])
        await uow.outbox.fail(d2.id, "BadRequest: chat not found")
        await uow.outbox.release([d3.id], NOW)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.outbox.counts(broadcast) == {"sent": 2, "failed": 1, "pending": 1}
        (again,) = await uow.outbox.claim(NOW, 10)
        assert (again.key, again.attempts) == ("bc3", 1)  # the release gave the attempt back


async def test_a_blocked_recipient_gets_nothing_more(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await uow.people.upsert(42, "Lan")
        await uow.commit()
    await queue(database, message("one", 42), message("two", 42), message("three", 43))
    async with database.unit_of_work() as uow:
        first, _second, _third = await uow.outbox.claim(NOW, 10)
        assert await uow.outbox.block(first.id, "Forbidden: bot was blocked by the user") == 1
        await uow.people.set_active(42, False)
        await uow.commit()
    await queue(database, message("four", 42))
    assert await claim(database) == []  # "four" is cancelled: Lan is inactive
    async with database.unit_of_work() as uow:
        assert await uow.outbox.next_due() is None


async def test_a_migrated_group_s_queued_messages_move_to_its_new_id(database: Database) -> None:
    await queue(database, message("g1", -5), message("g2", -5))
    async with database.unit_of_work() as uow:
        (first,) = await uow.outbox.claim(NOW, 1)
        assert await uow.outbox.migrate(-5, -1005) == 2
        await uow.commit()
    async with database.unit_of_work() as uow:
        await uow.outbox.mark_sent([Sent(first.id, 9, NOW)])
        await uow.commit()
    async with database.unit_of_work() as uow:
        (second,) = await uow.outbox.claim(NOW, 10)
    assert (second.key, second.chat_id) == ("g2", -1005)


async def test_rows_left_sending_by_a_crash_are_pending_again_on_recovery(
    database: Database,
) -> None:
    await queue(database, message("a", 1), message("b", 2, not_before=LATER))
    assert await claim(database) == ["a"]
    async with database.unit_of_work() as uow:
        assert await uow.outbox.next_due() == LATER
        assert await uow.outbox.recover() == 1
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.outbox.next_due() == NOW
        (again,) = await uow.outbox.claim(NOW, 10)
    assert (again.key, again.attempts) == ("a", 2)


async def test_two_workers_never_claim_the_same_row(database: Database) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has a single writer: one worker per database")
    await queue(database, *[message(f"m{i}", i) for i in range(1, 11)])
    async with database.unit_of_work() as first, database.unit_of_work() as second:
        taken_first = await first.outbox.claim(NOW, 4)
        taken_second = await second.outbox.claim(NOW, 100)
        await first.commit()
        await second.commit()
    keys_first = {d.key for d in taken_first}
    keys_second = {d.key for d in taken_second}
    assert len(keys_first) == 4
    assert not keys_first & keys_second
    assert len(keys_first | keys_second) == 10

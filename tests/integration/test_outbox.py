"""The outbox queues each key once, in the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from services.outbox import enqueue
from services.ports import OutgoingMessage
from storage import Database

NOW = datetime(2022, 3, 10, 1, 0, tzinfo=UTC)


async def test_a_message_is_queued_once_however_often_it_is_enqueued(database: Database) -> None:
    message = OutgoingMessage("alert:x:1", 42, "alert", "Tỷ lệ đúng hạn 94,50 %")
    async with database.unit_of_work() as uow:
        assert await enqueue(uow, [message, message], NOW) == 1
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await enqueue(uow, [message], NOW) == 0
        await uow.commit()


async def test_a_long_text_is_queued_in_parts_under_keys_of_their_own(database: Database) -> None:
    message = OutgoingMessage("broadcast:1:42", 42, "broadcast", ("dòng\n" * 1000).strip())
    async with database.unit_of_work() as uow:
        assert await enqueue(uow, [message], NOW) == 2
        assert await enqueue(uow, [message], NOW) == 0
        await uow.commit()


async def test_nothing_is_queued_when_the_transaction_is_not_committed(database: Database) -> None:
    message = OutgoingMessage("alert:x:2", 42, "alert", "text")
    async with database.unit_of_work() as uow:
        assert await enqueue(uow, [message], NOW) == 1
    async with database.unit_of_work() as uow:
        assert await enqueue(uow, [message], NOW) == 1

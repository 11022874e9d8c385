"""The worker sends through the emulator under floods, 5xx bursts, blocks and migrations."""

from __future__ import annotations

from sandbox import EmulatorClient, RunningEmulator
from scheduler.delivery import DeliveryWorker
from services.outbox import split_text
from services.ports import OutgoingMessage
from storage import Database
from tests.e2e.delivery.conftest import add_people, broadcast_to, now, queue, received
from tests.integration.builders import tree

PEOPLE = list(range(200_001, 200_121))


async def new_broadcast(database: Database, recipients: int) -> int:
    async with database.unit_of_work() as uow:
        broadcast_id = await uow.broadcasts.create("Thông báo", "heads", 1, now(), recipients)
        await uow.commit()
    return broadcast_id


async def test_a_flood_of_429s_loses_nothing_and_duplicates_nothing(
    database: Database, server: RunningEmulator, control: EmulatorClient, worker: DeliveryWorker
) -> None:
    await add_people(database, server.emulator, PEOPLE)
    broadcast = await new_broadcast(database, len(PEOPLE))
    await queue(database, broadcast_to(broadcast, PEOPLE))
    await control.faults(flood={"count": 5, "retry_after": 0.2})
    stats = await worker.drain(30)
    got = received(server.emulator)
    assert sorted(got.values()) == [1] * len(PEOPLE)
    assert stats.rate_limited >= 5
    async with database.unit_of_work() as uow:
        assert await uow.outbox.counts(broadcast) == {"sent": len(PEOPLE)}


async def test_a_burst_of_server_errors_is_retried_until_everything_is_delivered(
    database: Database, server: RunningEmulator, control: EmulatorClient, worker: DeliveryWorker
) -> None:
    await add_people(database, server.emulator, PEOPLE)
    broadcast = await new_broadcast(database, len(PEOPLE))
    await queue(database, broadcast_to(broadcast, PEOPLE))
    await control.faults(server_errors={"count": 15, "status": 502})
    stats = await worker.drain(30)
    assert stats.retried == 15
    assert sorted(received(server.emulator).values()) == [1] * len(PEOPLE)
    async with database.unit_of_work() as uow:
        assert await uow.outbox.counts(broadcast) == {"sent": len(PEOPLE)}


async def test_people_who_blocked_the_bot_are_marked_inactive_and_get_nothing_more(
    database: Database, server: RunningEmulator, control: EmulatorClient, worker: DeliveryWorker
) -> None:
    await add_people(database, server.emulator, PEOPLE)
    blocked = PEOPLE[:6]
    await control.faults(blocked_users=blocked[:3], deactivated_users=blocked[3:])
    broadcast = await new_broadcast(database, len(PEOPLE))
    follow_ups = [OutgoingMessage(f"reminder:{i}", i, "reminder", f"Nhắc [{i}]") for i in blocked]
    await queue(database, broadcast_to(broadcast, PEOPLE) + follow_ups)
    stats = await worker.drain(30)
    assert stats.blocked == len(blocked)
    async with database.unit_of_work() as uow:
        assert await uow.outbox.counts(broadcast) == {
            "sent": len(PEOPLE) - len(blocked),
            "blocked": len(blocked),
        }
        for telegram_id in blocked:
            person = await uow.people.get(telegram_id)
            assert person is not None
            assert not person.active
    assert stats.sent == len(PEOPLE) - len(blocked)
    requests = (await control.stats())["requests"]["sendMessage"]
    assert requests == len(PEOPLE)  # one try each: the reminders were cancelled, not sent


async def test_a_group_that_became_a_supergroup_gets_its_messages_and_keeps_its_subscription(
    database: Database, server: RunningEmulator, control: EmulatorClient, worker: DeliveryWorker
) -> None:
    server.emulator.upsert_user(300_001, "Lan")
    group = await control.create_group("Phòng Kiểm soát", [300_001], bot_id=None)
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())
        await uow.chats.joined(group, "Phòng Kiểm soát", "group", now())
        await uow.chats.subscribe(group, "kon-tum", 300_001, now())
        await uow.commit()
    await control.faults(migrate={"chat_id": group, "new_chat_id": -1_000_000_000_777})
    alerts = [OutgoingMessage(f"alert:{n}", group, "alert", f"Cảnh báo {n}") for n in range(1, 4)]
    await queue(database, alerts)
    stats = await worker.drain(30)
    assert stats.migrated == 1
    got = received(server.emulator)
    assert [got[-1_000_000_000_777, f"Cảnh báo {n}"] for n in range(1, 4)] == [1, 1, 1]
    async with database.unit_of_work() as uow:
        assert await uow.chats.subscribers(["kon-tum"]) == {"kon-tum": [-1_000_000_000_777]}
        old = await uow.chats.get(group)
        assert old is not None
        assert old.migrated_to == -1_000_000_000_777


async def test_a_text_over_4096_characters_arrives_in_order_in_parts(
    database: Database, server: RunningEmulator, control: EmulatorClient, worker: DeliveryWorker
) -> None:
    del control
    await add_people(database, server.emulator, [42])
    lines = [f"{n}. Xã Hà Mòn: tỷ lệ hồ sơ đúng hạn 94,50 %" for n in range(1, 401)]
    text = "\n".join(lines)
    assert len(text) > 2 * 4096
    await queue(database, [OutgoingMessage("summary:42", 42, "summary", text)])
    await worker.drain(30)
    conversation = server.emulator.conversations[next(iter(server.emulator.bots)), 42]
    parts = [r.text or "" for r in conversation.messages.values() if r.sender == "bot"]
    assert len(parts) == len(split_text(text)) > 2
    assert all(len(part) <= 4096 for part in parts)
    assert "\n".join(parts) == text

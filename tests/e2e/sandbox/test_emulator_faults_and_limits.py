"""Flood limits and injected faults, seen as python-telegram-bot sees them."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from sandbox import EmulatorClient, RunningEmulator
from sandbox.testing import TEST_TOKEN as TOKEN

USER = 9001
GROUP = -9001


@pytest.fixture
async def bot(server: RunningEmulator) -> AsyncIterator[Bot]:
    ptb_bot = Bot(
        TOKEN,
        base_url=f"{server.base_url}/bot",
        base_file_url=f"{server.base_url}/file/bot",
        request=HTTPXRequest(read_timeout=0.4, connection_pool_size=4),
    )
    async with ptb_bot:
        yield ptb_bot


@pytest.fixture
async def users(control: EmulatorClient, bot: Bot) -> None:
    del bot
    await control.send(USER, "hi")
    await control.send(USER, "hi group", chat_id=GROUP, chat_title="Tổ công tác")


def _seconds(error: RetryAfter) -> float:
    retry_after = error.retry_after
    assert isinstance(retry_after, dt.timedelta)
    return retry_after.total_seconds()


# --- limits -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("users")
async def test_limits_are_off_by_default(bot: Bot) -> None:
    for i in range(40):
        await bot.send_message(USER, f"m{i}")


@pytest.mark.usefixtures("users", "frozen_clock")
async def test_a_private_chat_allows_a_short_burst_then_about_one_message_a_second(
    bot: Bot, control: EmulatorClient
) -> None:
    await control.faults(limits={"enabled": True})
    for i in range(3):
        await bot.send_message(USER, f"burst {i}")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "one too many")
    assert _seconds(caught.value) == 1
    assert str(caught.value) == "Flood control exceeded. Retry in 0:00:01"
    stats = await control.stats()
    assert stats["rate_limited"] == 1
    assert stats["errors"] == {"429": 1}
    assert stats["messages_per_chat"][str(USER)] == 3


@pytest.mark.usefixtures("users")
async def test_a_scaled_limit_asks_for_a_fraction_of_a_second_and_then_lets_through(
    bot: Bot, control: EmulatorClient
) -> None:
    await control.faults(limits={"enabled": True, "scale": 10})
    for i in range(3):
        await bot.send_message(USER, f"burst {i}")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "too fast")
    wait = _seconds(caught.value)
    assert 0 < wait <= 0.1
    await asyncio.sleep(wait)
    await bot.send_message(USER, "in time")


@pytest.mark.usefixtures("users", "frozen_clock")
async def test_a_group_gets_twenty_messages_a_minute(bot: Bot, control: EmulatorClient) -> None:
    await control.faults(
        limits={"enabled": True, "per_chat_burst": 100, "per_chat_per_second": 100}
    )
    for i in range(20):
        await bot.send_message(GROUP, f"g{i}")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(GROUP, "g20")
    assert _seconds(caught.value) == 3  # one message every 60 / 20 seconds


@pytest.fixture
def frozen_clock(server: RunningEmulator) -> None:
    """Token buckets read the emulator's clock: frozen, a burst cannot be refilled mid-test."""
    server.emulator.clock = lambda: 1000.0


@pytest.mark.usefixtures("frozen_clock")
async def test_a_bot_gets_thirty_messages_a_second_overall(
    bot: Bot, control: EmulatorClient
) -> None:
    for user in range(1, 32):
        await control.send(user, "hi")
    await control.faults(limits={"enabled": True})
    for user in range(1, 31):
        await bot.send_message(user, "broadcast")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(31, "broadcast")
    assert _seconds(caught.value) == 1


@pytest.mark.usefixtures("users")
async def test_a_flood_answers_429_whatever_the_rate(bot: Bot, control: EmulatorClient) -> None:
    await control.faults(flood={"count": 2, "retry_after": 7})
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(USER, "x")
        assert _seconds(caught.value) == 7
    await bot.send_message(USER, "through")
    assert (await control.stats())["rate_limited"] == 2


# --- users and chats --------------------------------------------------------------------------


@pytest.mark.usefixtures("users")
async def test_a_blocked_user_makes_send_message_fail_with_forbidden(
    bot: Bot, control: EmulatorClient
) -> None:
    await control.faults(blocked_users=[USER])
    with pytest.raises(Forbidden) as caught:
        await bot.send_message(USER, "x")
    assert caught.value.message == "Forbidden: bot was blocked by the user"
    with pytest.raises(Forbidden):
        await bot.send_chat_action(USER, "typing")
    await control.faults(unblocked_users=[USER])
    await bot.send_message(USER, "welcome back")


@pytest.mark.usefixtures("users")
async def test_a_deactivated_user_is_forbidden(bot: Bot, control: EmulatorClient) -> None:
    await control.faults(deactivated_users=[USER])
    with pytest.raises(Forbidden) as caught:
        await bot.send_message(USER, "x")
    assert caught.value.message == "Forbidden: user is deactivated"


@pytest.mark.usefixtures("users")
async def test_a_bot_kicked_from_a_group_is_forbidden_there(
    bot: Bot, control: EmulatorClient
) -> None:
    await control.faults(kicked_from=[GROUP])
    with pytest.raises(Forbidden) as caught:
        await bot.send_message(GROUP, "x")
    assert caught.value.message == "Forbidden: bot was kicked from the group chat"
    await bot.send_message(USER, "private chats still work")


@pytest.mark.usefixtures("users")
async def test_a_migrated_group_points_to_its_supergroup(
    bot: Bot, control: EmulatorClient
) -> None:
    state = await control.faults(migrate={"chat_id": GROUP, "new_chat_id": -1001234567890})
    assert state["migrations"] == [{"chat_id": GROUP, "new_chat_id": -1001234567890}]
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(GROUP, "x")
    assert caught.value.new_chat_id == -1001234567890
    sent = await bot.send_message(-1001234567890, "hello supergroup")
    assert sent.chat.type == "supergroup"
    updates = await bot.get_updates(timeout=0)
    service = [
        u.message
        for u in updates
        if u.message and (u.message.migrate_to_chat_id or u.message.migrate_from_chat_id)
    ]
    assert [m.migrate_to_chat_id for m in service] == [-1001234567890, None]
    assert [m.migrate_from_chat_id for m in service] == [None, GROUP]


@pytest.mark.usefixtures("users")
async def test_a_chat_the_bot_never_saw_is_not_found(bot: Bot) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(424242, "x")
    assert caught.value.message == "Chat not found"


# --- the transport ----------------------------------------------------------------------------


@pytest.mark.usefixtures("users")
@pytest.mark.parametrize(
    ("status", "message"),
    [(500, "Internal Server Error"), (502, "Bad Gateway"), (503, "Service Unavailable")],
)
async def test_a_burst_of_server_errors_is_a_network_error(
    bot: Bot, control: EmulatorClient, status: int, message: str
) -> None:
    await control.faults(server_errors={"count": 2, "status": status})
    for _ in range(2):
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(USER, "x")
        assert caught.value.message == message
    await bot.send_message(USER, "recovered")
    assert (await control.stats())["errors"] == {str(status): 2}


@pytest.mark.usefixtures("users")
async def test_a_slow_answer_times_out_although_the_message_was_sent(
    bot: Bot, control: EmulatorClient
) -> None:
    await control.faults(slow={"count": 1, "seconds": 0.8})
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "slow one")
    found = await control.wait_for_text(USER, "slow one", timeout=5)
    assert found["deleted"] is False
    await bot.send_message(USER, "fast again")


@pytest.mark.usefixtures("users")
async def test_a_dropped_connection_is_a_network_error_and_nothing_is_sent(
    bot: Bot, control: EmulatorClient
) -> None:
    await control.faults(drop={"count": 1})
    with pytest.raises(NetworkError) as caught:
        await bot.send_message(USER, "dropped")
    assert not isinstance(caught.value, TimedOut)
    listed = await control.messages(USER)
    assert [m["text"] for m in listed["messages"]] == []
    await bot.send_message(USER, "delivered")


@pytest.mark.usefixtures("users")
async def test_faults_can_target_chosen_methods(bot: Bot, control: EmulatorClient) -> None:
    await control.faults(server_errors={"count": 1, "status": 500, "methods": ["sendPhoto"]})
    await bot.send_message(USER, "text is fine")
    state = await control.faults()
    assert state["server_errors"] == {"count": 1, "status": 500, "methods": ["sendphoto"]}

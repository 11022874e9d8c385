"""Webhook delivery: each update POSTed in order, retried with backoff until the bot takes it."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import aiohttp

if TYPE_CHECKING:
    from sandbox.emulator import Emulator
    from sandbox.model import BotRecord

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
FIRST_RETRY = 0.05
LAST_RETRY = 2.0
DELIVERY_TIMEOUT = 10.0


def start(emulator: Emulator, bot: BotRecord, session: aiohttp.ClientSession) -> None:
    """(Re)start delivering the bot's updates to its webhook URL."""
    stop(bot)
    bot.webhook_task = asyncio.create_task(
        _deliver(emulator, bot, session), name=f"webhook-{bot.bot_id}"
    )


def stop(bot: BotRecord) -> None:
    if bot.webhook_task is not None:
        bot.webhook_task.cancel()
        bot.webhook_task = None


async def _post(bot: BotRecord, session: aiohttp.ClientSession, update: object) -> str | None:
    """Deliver one update; None on success, else the error getWebhookInfo reports."""
    headers = {SECRET_HEADER: bot.secret_token} if bot.secret_token else {}
    try:
        async with session.post(
            bot.webhook_url,
            json=update,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=DELIVERY_TIMEOUT),
        ) as response:
            await response.read()
            if 200 <= response.status < 300:
                return None
            return f"Wrong response from the webhook: {response.status} {response.reason}"
    except TimeoutError:
        return "Read timeout expired"
    except aiohttp.ClientConnectorError:
        return "Connection refused"
    except aiohttp.ClientError as error:
        return f"Connection failed: {error}"


async def _deliver(emulator: Emulator, bot: BotRecord, session: aiohttp.ClientSession) -> None:
    delay = FIRST_RETRY
    while bot.webhook_url and not emulator.closing:
        event = bot.notifier.current()
        if not bot.updates:
            await event.wait()
            continue
        update = bot.updates[0]
        error = await _post(bot, session, update)
        if error is None:
            if bot.updates and bot.updates[0] is update:
                bot.updates.popleft()
            emulator.record("webhook", update)
            delay = FIRST_RETRY
            continue
        bot.last_error_date = int(time.time())
        bot.last_error_message = error
        await asyncio.sleep(delay)
        delay = min(delay * 2, LAST_RETRY)

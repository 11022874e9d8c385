"""Around every update: drop duplicates first; afterwards write the persistence through and log
one line (kind, ids, command name, duration; never the text a person typed)."""

from __future__ import annotations

import hashlib
import logging
import time

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.access import prime_caller
from bot.context import Context
from services.updates import duplicates_since

logger = logging.getLogger("bot.updates")


async def claim_update(update: Update, context: Context) -> None:
    """Group -1: handle each update id once; a duplicate (a redelivery) stops here."""
    context.started = time.monotonic()
    services = context.services
    user = update.effective_user
    # two statements needing no transaction around them (on PostgreSQL each is its own: no
    # BEGIN, no COMMIT, four round trips become two): who is asking, read here so that the
    # handlers need no transaction of their own to know it, and the claim
    try:
        async with services.database.autocommit() as uow:
            person = await uow.people.get(user.id) if user is not None else None
            now = services.clock()
            fresh = await uow.updates.claim(
                context.bot.id,
                update.update_id,
                now,
                fingerprint=fingerprint(update),
                since=duplicates_since(now),
            )
            await uow.commit()  # SQLite's is a transaction
    except Exception as error:  # noqa: BLE001 (told to the person and logged by on_error)
        # The store failed (PostgreSQL restarting, SQLite locked past its busy timeout): the
        # person is told to try again later, once, and no handler runs on an unclaimed update
        from bot.handlers.errors import on_error  # (errors imports this module)

        context.error = error
        await on_error(update, context)
        raise ApplicationHandlerStop from None
    if not fresh:
        logger.info("update %d: a duplicate, ignored", update.update_id)
        raise ApplicationHandlerStop
    prime_caller(update, context, person)


def fingerprint(update: Update) -> str:
    """What tells a redelivery of this update from another update with the same id (after the
    Bot API restarted its ids): the message (chat, id, date, edit date) or the button press."""
    message = update.effective_message
    if update.callback_query is not None:
        key = f"callback:{update.callback_query.id}"
    elif message is not None:
        edited = message.edit_date.timestamp() if message.edit_date else 0
        key = f"message:{message.chat_id}:{message.message_id}:{message.date.timestamp()}:{edited}"
    else:
        key = update.to_json()
    return hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


async def after_update(update: Update, context: Context) -> None:
    """The last group: save what the handlers changed now, not at the next persistence run.
    Updates of different people run concurrently (bot.concurrency): a run also writes what the
    others' handlers have changed so far; their own last group writes their final state after
    (runs take PTB's persistence lock one at a time, each write committed before the next)."""
    application = context.application
    if update.effective_user is not None:
        application.mark_data_for_update_persistence(user_ids=update.effective_user.id)
    await application.update_persistence()
    elapsed = (time.monotonic() - context.started) * 1000 if context.started else 0.0
    context.services.metrics.update_handled(update.update_id, summary(update), elapsed / 1000)
    logger.info(
        "update %d %s user=%s chat=%s %.0f ms",
        update.update_id,
        summary(update),
        update.effective_user.id if update.effective_user else "-",
        update.effective_chat.id if update.effective_chat else "-",
        elapsed,
    )


def summary(update: Update) -> str:
    """What kind of update this is, without what the person wrote: "message /start",
    "message text", "callback lang", "document"."""
    message = update.message or update.edited_message
    if message is not None:
        kind = "edited" if update.edited_message else "message"
        if message.text and message.text.startswith("/"):
            command = message.text.split()[0].split("@")[0]
            return f"{kind} {command[:33]}"
        if message.document is not None:
            return f"{kind} document"
        if message.text is not None:
            return f"{kind} text"
        return f"{kind} other"
    if update.callback_query is not None:
        data = update.callback_query.data or ""
        return f"callback {data.split(':')[0][:16]}"
    if update.my_chat_member is not None:
        return f"membership {update.my_chat_member.new_chat_member.status}"
    return "other"

"""Queueing outgoing messages: every notification goes through here, inside the transaction
that caused it, and a delivery worker (scheduler/delivery.py) sends them.

    async with database.unit_of_work() as uow:
        ...  # what causes the message
        await enqueue(uow, [OutgoingMessage(key, chat_id, "alert", text)], now)
        await uow.commit()
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from services.ports import OutgoingMessage, UnitOfWork

MAX_TEXT = 4096  # characters Telegram accepts in one message


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """The text in parts of at most `limit` characters, cut at a paragraph, else a line, else
    a space, else anywhere; the parts joined by the separators cut give back the text."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[: limit + 1]
        for separator in ("\n\n", "\n", " "):
            cut = window.rfind(separator, 1, limit + 1)
            if cut > 0:
                parts.append(rest[:cut])
                rest = rest[cut + len(separator) :]
                break
        else:
            parts.append(rest[:limit])
            rest = rest[limit:]
    parts.append(rest)
    return parts


def split_message(message: OutgoingMessage, limit: int = MAX_TEXT) -> list[OutgoingMessage]:
    """One message per part of its text: the first keeps the key, the others get "#2", "#3"…;
    the buttons go with the last part."""
    texts = split_text(message.text, limit)
    if len(texts) == 1:
        return [message]
    last = len(texts) - 1
    return [
        replace(
            message,
            key=message.key if i == 0 else f"{message.key}#{i + 1}",
            text=text,
            markup=message.markup if i == last else None,
        )
        for i, text in enumerate(texts)
    ]


async def enqueue(uow: UnitOfWork, messages: Sequence[OutgoingMessage], now: datetime) -> int:
    """Queue the messages (split where too long) in the unit of work's transaction; those whose
    key is already queued are left alone. Returns how many rows were queued."""
    parts = [part for message in messages for part in split_message(message)]
    if not parts:
        return 0
    return await uow.outbox.add(parts, now)

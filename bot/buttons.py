"""Buttons that have been used: removed from their message once pressed, so that nobody presses
them again and reads "no longer valid" (the answer, a new message, says what happened)."""

from __future__ import annotations

import logging

from telegram import CallbackQuery
from telegram.error import TelegramError

log = logging.getLogger(__name__)


async def retire(query: CallbackQuery) -> None:
    """Remove the inline keyboard of the message whose button was pressed. Best effort: a
    message too old to edit, or already without buttons, keeps what it has."""
    if query.message is None:
        return
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except TelegramError as error:
        log.debug("could not remove the used buttons: %s", error)


__all__ = ["retire"]

"""Broadcast reports: the message an administrator watches, edited as the deliveries go.

    await refresh_reports(database.unit_of_work, application.bot, render, clock=clock)

One pass: for each broadcast that has a report message and is not finished, count its
deliveries; when the text `render` makes of them differs from the one shown, edit the message;
once nothing is pending, the broadcast is finished (and no longer looked at). Run it every
couple of seconds; the text shown is kept with the broadcast, so a restart edits nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from telegram.error import BadRequest, TelegramError

from services.broadcasts import BroadcastReport, broadcast_report
from services.ports import StoredBroadcast, UnitOfWork

logger = logging.getLogger(__name__)

ReportRenderer = Callable[[StoredBroadcast, BroadcastReport], str]


class MessageEditor(Protocol):
    async def edit_message_text(
        self, text: str, chat_id: int | None = None, message_id: int | None = None
    ) -> object: ...


async def refresh_reports(
    unit_of_work: Callable[[], UnitOfWork],
    bot: MessageEditor,
    render: ReportRenderer,
    *,
    clock: Callable[[], datetime],
) -> int:
    """One pass over the unfinished reports; how many messages were edited."""
    async with unit_of_work() as uow:
        watched = await uow.broadcasts.unfinished_reports()
        reports = [(b, await broadcast_report(uow, b.id)) for b in watched]
    edited = 0
    for broadcast, report in reports:
        if report is None:
            continue
        text = render(broadcast, report)
        finished = clock() if report.finished else None
        if text != broadcast.reported:
            shown = await _edit(bot, broadcast, text)
            if shown is None:
                continue  # Telegram did not take it now: the next pass tries again
            edited += int(shown)
            if not shown:
                finished = finished or clock()  # the message is gone: stop watching
        elif finished is None:
            continue
        async with unit_of_work() as uow:
            await uow.broadcasts.reported(broadcast.id, text, finished)
            await uow.commit()
    return edited


async def _edit(bot: MessageEditor, broadcast: StoredBroadcast, text: str) -> bool | None:
    """True: edited (or already showing it); False: the message cannot be edited any more;
    None: a passing problem."""
    try:
        await bot.edit_message_text(
            text, chat_id=broadcast.report_chat_id, message_id=broadcast.report_message_id
        )
    except BadRequest as error:
        reason = str(error).lower()
        if "not modified" in reason:
            return True
        logger.warning("broadcast %d: its report cannot be edited: %s", broadcast.id, error)
        return False
    except TelegramError as error:
        logger.info("broadcast %d: report not edited now: %s", broadcast.id, error)
        return None
    return True

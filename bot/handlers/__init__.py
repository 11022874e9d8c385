"""Every handler of the bot, registered in one ordered list.

To add a command or a conversation: write `bot/handlers/<name>.py` with a `handlers()` function
returning its handlers, add the module to MODULES below (order matters: within group 0, the
first handler that accepts an update takes it), and add its commands to bot/commands.py.
Conversations go before the basics (so that their states see the messages first) and put
`basics.cancel_fallback()` in their fallbacks; callbacks that are not for strangers are wrapped
in bot.access.require_person or require_admin.

Groups: -1 drops duplicate updates; 0 holds every feature handler; LAST writes the
persistence through and logs one line per update.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from telegram import Update
from telegram.ext import Application, BaseHandler, TypeHandler

from bot.context import Context
from bot.handlers import (
    basics,
    broadcast,
    chart,
    deadlines,
    errors,
    export,
    groups,
    history,
    invite,
    quick,
    reminders,
    report,
    roadmap,
    sections,
    status,
    submit,
    units,
    updates,
)

Handlers = Callable[[], Sequence[BaseHandler[Any, Context, Any]]]

GUARD_GROUP = -1
MAIN_GROUP = 0
LAST_GROUP = 1000

# The feature modules, in the order their handlers are tried.
MODULES: tuple[Handlers, ...] = (
    # conversations first, e.g. submit.handlers,
    submit.handlers,
    invite.handlers,
    broadcast.handlers,
    roadmap.handlers,
    quick.handlers,  # figures typed outside a form, one figure corrected
    sections.handlers,
    basics.handlers,
    status.handlers,
    history.handlers,
    deadlines.handlers,
    reminders.handlers,
    export.handlers,
    units.handlers,
    chart.handlers,
    report.handlers,
    groups.handlers,
)
# Tried after every module: the answer to a private message nobody took.
# status.fallbacks: the answer to a button nobody took ("no longer valid").
FALLBACKS: tuple[Handlers, ...] = (basics.fallbacks, status.fallbacks)


def register(
    application: Application[Any, Context, Any, Any, Any, Any],
    modules: Sequence[Handlers] = MODULES,
) -> None:
    """Add every handler (of `modules`, then the fallbacks) and the error handler."""
    application.add_handler(TypeHandler(Update, updates.claim_update), group=GUARD_GROUP)
    for handlers in (*modules, *FALLBACKS):
        application.add_handlers(list(handlers()), group=MAIN_GROUP)
    application.add_handler(TypeHandler(Update, updates.after_update), group=LAST_GROUP)
    application.add_error_handler(errors.on_error)


__all__ = ["FALLBACKS", "MODULES", "Handlers", "register"]

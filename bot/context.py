"""The typed context every handler receives: `context.bot_data.services` without string keys.

async def status(update: Update, context: Context) -> None:
    services = context.bot_data.services
    async with services.database.unit_of_work() as uow: ...
    catalogue = services.catalogues.newest
    now = services.clock()
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot, JobQueue

from bot.metrics import BotMetrics
from bot.settings import Settings
from services.catalogues import Catalogues
from services.figures import SubmissionCheck
from storage import Database

if TYPE_CHECKING:
    from bot.access import Caller

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class Services:
    """What handlers need from the rest of the system; built once by build_application."""

    database: Database
    settings: Settings
    clock: Clock = utc_now  # an aware datetime; tests replace it
    catalogues: Catalogues = field(default_factory=lambda: Catalogues({}))  # loaded on start
    alerts: SubmissionCheck | None = None  # the alert check of each submission (set on build)
    outbox_ready: Callable[[], None] = lambda: None  # wakes the delivery worker after a commit
    # when each kind of error (bot.handlers.errors.signature) was last reported to the admins
    error_reports: dict[str, datetime] = field(default_factory=dict)
    metrics: BotMetrics = field(default_factory=BotMetrics)  # served by bot/health.py


class BotData:
    """`context.bot_data`: not persisted (it holds live services)."""

    services: Services


UserData = dict[Any, Any]  # persisted as JSON (str keys, JSON-able values)
ChatData = dict[Any, Any]  # not persisted


class Context(CallbackContext[ExtBot[None], UserData, ChatData, BotData]):
    """One per update, shared by the handlers of every group that see it."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.caller: Caller | None = None  # who is asking; set by bot.access.identify_caller
        self.started = 0.0  # when the update's handling began (monotonic seconds)

    @property
    def services(self) -> Services:
        return self.bot_data.services


CONTEXT_TYPES = ContextTypes(context=Context, bot_data=BotData)

AnyApplication = Application[ExtBot[None], Context, UserData, ChatData, BotData, JobQueue[Context]]

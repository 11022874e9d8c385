"""The global error handler: a short apology to the person, the context to the administrators,
and the bot keeps running. The token never appears in what is logged or sent."""

from __future__ import annotations

import html
import logging
import traceback
from datetime import timedelta

from telegram import Update
from telegram.error import BadRequest, NetworkError, TelegramError

from bot.access import Caller, fallback_caller, identify_caller, reply
from bot.context import Context
from bot.handlers.updates import summary
from i18n.translations import translator

logger = logging.getLogger(__name__)

TRACEBACK_CHARS = 2000  # the end of the traceback: where the error is
REPORT_AGAIN_AFTER = timedelta(minutes=10)  # the same error is reported at most this often


async def on_error(update: object, context: Context) -> None:
    """Log the error, apologise to the person, tell the administrators."""
    error = context.error
    if update is None and isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        # getUpdates failed (Telegram unreachable, a 5xx): polling tries again by itself, with
        # a growing pause; an outage is no bug to report, nor a report that could be sent now
        logger.warning("fetching updates failed, trying again: %s", error)
        return
    logger.error(
        "error while handling %s",
        f"update {update.update_id}" if isinstance(update, Update) else "no update",
        exc_info=error,
    )
    if isinstance(update, Update):
        context.services.metrics.update_failed(update.update_id, summary(update))
    caller = await _caller(update, context)
    if isinstance(update, Update) and caller is not None:
        try:
            await reply(
                update,
                caller.t._(
                    "Sorry, something went wrong on our side and your request was not"
                    " completed. The administrators have been told; please try again later."
                ),
            )
        except TelegramError as failed:
            logger.warning("the apology could not be sent: %s", failed)
    if first_in_a_while(context):
        await report_to_admins(update, context, caller)


def signature(error: BaseException | None) -> str:
    """What makes two errors the same one: its type and where it was raised."""
    if error is None:
        return "-"
    frames = traceback.extract_tb(error.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "-"
    return f"{type(error).__qualname__} at {where}"


def first_in_a_while(context: Context) -> bool:
    """Whether this error was not reported within REPORT_AGAIN_AFTER: anyone who can cause an
    error at will (a bug a message triggers) must not be able to flood the administrators;
    every occurrence is still logged."""
    services = context.services
    now = services.clock()
    key = signature(context.error)
    last = services.error_reports.get(key)
    if last is not None and now - last < REPORT_AGAIN_AFTER:
        logger.info("%s: already reported to the administrators at %s", key, last.isoformat())
        return False
    services.error_reports[key] = now
    return True


async def _caller(update: object, context: Context) -> Caller | None:
    """Who was asking, from the store if it answers, else from what Telegram says."""
    if isinstance(update, Update):
        try:
            return await identify_caller(update, context)
        except Exception:  # noqa: BLE001 (the store may be what failed: fall back, keep going)
            logger.warning("could not identify the caller while handling an error")
    return fallback_caller(update, context)


async def admin_recipients(context: Context) -> dict[int, str]:
    """Administrators to tell, with their language: ADMIN_TELEGRAM_IDS and stored admins."""
    settings = context.services.settings
    recipients: dict[int, str] = dict.fromkeys(
        settings.admin_telegram_ids, settings.default_language
    )
    try:
        async with context.services.database.unit_of_work() as uow:
            for admin in await uow.people.admins():
                if admin.active:
                    recipients[admin.telegram_id] = admin.language or settings.default_language
    except Exception:  # noqa: BLE001 (the store may be what failed: the configured ones remain)
        logger.warning("could not read the stored administrators while reporting an error")
    return recipients


def report_text(update: object, context: Context, caller: Caller | None, language: str) -> str:
    t = translator(language)
    lines = [t._("An error happened while handling a request.")]
    if isinstance(update, Update):
        lines.append(
            t._(
                "Update {update}: {summary}; user {user}; chat {chat}.",
                update=update.update_id,
                summary=summary(update),
                user=caller.telegram_id if caller else "-",
                chat=update.effective_chat.id if update.effective_chat else "-",
            )
        )
    error = context.error
    if error is not None:
        trace = "".join(traceback.format_exception(error))[-TRACEBACK_CHARS:]
        lines.append(f"<pre>{html.escape(trace, quote=False)}</pre>")
    return scrub("\n".join(lines), context)


def scrub(text: str, context: Context) -> str:
    """The text without the bot token (an HTTP error may quote the URL that holds it)."""
    token = context.bot.token
    return text.replace(token, "<token>") if token else text


async def report_to_admins(update: object, context: Context, caller: Caller | None) -> None:
    for admin, language in (await admin_recipients(context)).items():
        try:
            await context.bot.send_message(
                admin, report_text(update, context, caller, language), parse_mode="HTML"
            )
        except TelegramError as failed:
            logger.warning("administrator %d could not be told of the error: %s", admin, failed)

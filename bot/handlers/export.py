"""/export: the quarterly report workbook (.xlsx) of a unit's subtree, sent as a document.

    /export                      your unit, the current quarter
    /export Đăk Glei 2022-H1     a unit you may see, a period

Under the document, buttons for the other periods of the year (quarters, 6 months, 9 months,
the year); each press sends that period's workbook. A press names the unit and the period
(`ex:dak-glei:2022-H1`) and is authorised again: a person exports only their unit's subtree.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import render
from bot.access import Caller, require_person
from bot.callbacks import MAX_BYTES
from bot.context import Context
from bot.handlers.status import (
    asked_period,
    asked_unit,
    catalogue_of,
    may_see,
    not_yours,
    now,
    stale,
)
from documents.workbook import report_filename, workbook_bytes
from i18n import formatting, texts
from i18n.translations import Translator
from kpi.errors import PeriodError
from kpi.periods import Period
from services.export import build_report
from services.sections import export_shares

PREFIX: Final = "ex"
BUTTONS_PER_ROW: Final = 4
_DATA = re.compile(r"^ex:([a-z0-9]+(?:-[a-z0-9]+)*):([0-9A-Z-]{4,7})$")


def button_data(unit: str, period: Period) -> str:
    data = f"{PREFIX}:{unit}:{period.key}"
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"{data!r} is longer than Telegram's {MAX_BYTES} bytes")
    return data


def parse_button(data: str | None) -> tuple[str, Period] | None:
    """(unit, period) from `ex:<unit>:<period>`, exactly as written by `button_data`; None for
    anything else (stale, forged, truncated)."""
    match = _DATA.match(data or "")
    if match is None:
        return None
    try:
        period = Period.parse(match.group(2))
    except PeriodError:
        return None
    return (match.group(1), period) if period.key == match.group(2) else None


def offered_periods(year: int, quarter: int) -> list[Period]:
    """The quarters up to `quarter`, then 6 months, 9 months (once they have begun), the year."""
    periods = [Period.quarter(year, q) for q in range(1, quarter + 1)]
    if quarter >= 2:
        periods.append(Period(year, 1, 6))
    if quarter >= 3:
        periods.append(Period(year, 1, 9))
    periods.append(Period.whole_year(year))
    return periods


def periods_keyboard(
    unit: str, shown: Period, periods: list[Period], t: Translator
) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            ("• " if p == shown else "") + formatting.period_name(p, t, start=True),
            callback_data=button_data(unit, p),
        )
        for p in periods
    ]
    rows = [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]
    return InlineKeyboardMarkup(rows)


async def send_report(
    update: Update, context: Context, caller: Caller, unit_code: str, period: Period
) -> None:
    """Build the report, write the workbook off the event loop, send it with the buttons."""
    t = caller.t
    services = context.services
    chat = update.effective_chat
    if chat is None:
        return
    catalogue = catalogue_of(context, period)
    unit = catalogue.units.get(unit_code)
    async with services.database.unit_of_work() as uow:
        report = await build_report(uow, catalogue, unit.code, period, services.clock())
    shares = await export_shares(services.database.unit_of_work, unit.code, period)
    content = await asyncio.to_thread(
        workbook_bytes, report, t.language, services.settings.timezone, shares
    )
    current = now(context)
    quarter = current.month.quarter_number if period.year == current.month.year else 4
    caption = t._(
        "Report of {unit}, {period}: one sheet per section of the annex and the dossier form."
        " For another period, press a button.",
        unit=unit.name.get(t.language),
        period=texts.period_heading(period, catalogue, t),
    )
    if not current.covered:
        caption = render.year_note(current.today.year, period.year, t) + "\n" + caption
    await context.bot.send_document(
        chat.id,
        InputFile(content, filename=report_filename(report, t.language), attach=True),
        caption=caption,
        reply_markup=periods_keyboard(unit.code, period, offered_periods(period.year, quarter), t),
    )


@require_person
async def export(update: Update, context: Context, caller: Caller) -> None:
    """/export [unit] [period]: the report workbook (the current quarter unless given)."""
    asked = await asked_period(update, context, caller, now(context).quarter)
    if asked is None:
        return
    period, args = asked
    unit = await asked_unit(update, args, caller, catalogue_of(context, period).units)
    if unit is not None:
        await send_report(update, context, caller, unit.code, period)


@require_person
async def export_pressed(update: Update, context: Context, caller: Caller) -> None:
    """A period button under a report: re-authorised, then that period's report is sent."""
    query = update.callback_query
    assert query is not None
    t = caller.t
    parsed = parse_button(query.data)
    if parsed is None or parsed[1].year not in context.services.catalogues.by_year:
        await query.answer(stale(t), show_alert=True)
        return
    unit, period = parsed
    if not may_see(caller, unit, catalogue_of(context, period).units):
        # the same answer whether the unit exists or not: a forged button learns nothing
        await query.answer(stale(t) if caller.is_admin else not_yours(t), show_alert=True)
        return
    await query.answer(t._("Preparing the report…"))
    await send_report(update, context, caller, unit, period)


def handlers() -> list[BaseHandler[Any, Context, Any]]:
    """The commands of this module, in the order they are tried."""
    return [
        CommandHandler("export", export),
        CallbackQueryHandler(export_pressed, pattern=f"^{PREFIX}:"),
    ]


__all__ = ["button_data", "handlers", "offered_periods", "parse_button"]

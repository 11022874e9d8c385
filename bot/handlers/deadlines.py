"""/deadlines [unit]: the unit's reports of the year (Q1, 6 months, 9 months, the year), each with
the period it counts to, the day it is due, the days left (or overdue) and whether it is made.

Members see their own unit (and may name one below it); administrators the province, or the
unit they name. Each report not yet made gets a button that opens /submit for its period (for
those who may report for the unit), as a reminder's does.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CommandHandler

from bot.access import Caller, require_person
from bot.context import Context
from bot.handlers.status import asked_unit, now, say
from bot.notices import report_button
from i18n import formatting
from i18n.formatting import period_name
from i18n.translations import Translator
from kpi.catalogue import Catalogue
from kpi.units import Unit
from services.deadlines import Deadline, deadlines_for


def deadline_line(deadline: Deadline, catalogue: Catalogue, t: Translator) -> str:
    """ "Quý I (đến 14/03/2022): hạn 18/03/2022 — đã báo cáo ✅"."""
    language = t.language
    period = deadline.period
    head = t._(
        "{report} (to {end}): due {due}",
        report=formatting.period_name(period, t, start=True),
        end=formatting.day(period.end(catalogue.calendar.cutoff_day), language),
        due=formatting.day(deadline.due, language),
    )
    if deadline.reported:
        return head + " — " + t._("reported ✅")
    days = deadline.days_left
    if days > 0:
        when = t.n_("{count} day left", "{count} days left", days, count=days)
    elif days == 0:
        when = t._("due today")
    else:
        when = t.n_("{count} day overdue", "{count} days overdue", -days, count=-days)
    lacking = len(deadline.missing)
    if lacking == 1:
        state = t._("not reported (1 data element missing)")
    else:
        state = t._("not reported ({count} data elements missing)", count=lacking)
    return f"{head} — {when} — {state}"


def deadlines_text(
    catalogue: Catalogue, unit: Unit, deadlines: list[Deadline], t: Translator
) -> str:
    name = unit.name.get(t.language)
    if not deadlines:
        return t._("No report of {year} is waiting for {unit}.", year=catalogue.year, unit=name)
    lines = [t._("Report deadlines of {unit}:", unit=name)]
    lines.extend(f"• {deadline_line(d, catalogue, t)}" for d in deadlines)
    lines.extend(("", *sources_text(catalogue, unit, t)))
    if not all(d.reported for d in deadlines):
        lines.extend(("", t._("To report the figures, send /submit.")))
    return "\n".join(lines)


def sources_text(catalogue: Catalogue, unit: Unit, t: Translator) -> list[str]:
    """Where the cut-off day and the unit's deadline day come from (the catalogue's sources)."""
    calendar = catalogue.calendar
    found = []
    if calendar.cutoff_source:
        found.append(
            t._(
                "Figures are cut off on day {day} of the month: {source}.",
                day=calendar.cutoff_day,
                source=calendar.cutoff_source,
            )
        )
    source = calendar.deadline_sources.get(unit.level)
    if source:
        found.append(
            t._(
                "The deadline (day {day}) comes from: {source}.",
                day=calendar.deadlines.get(unit.level, 20),
                source=source,
            )
        )
    return found


@require_person
async def deadlines(update: Update, context: Context, caller: Caller) -> None:
    """/deadlines [unit]: the reports due this year, the next one first."""
    current = now(context)
    catalogue = context.services.catalogues.for_year(current.month.year)
    unit = await asked_unit(update, list(context.args or []), caller, catalogue.units)
    if unit is None:
        return
    async with context.services.database.unit_of_work() as uow:
        due = await deadlines_for(uow, catalogue, unit.code, current.today)
    text = deadlines_text(catalogue, unit, due, caller.t)
    markup = report_buttons(caller, catalogue, unit, due)
    if markup is None or update.effective_message is None:
        await say(update, text)
        return
    await update.effective_message.reply_text(text, reply_markup=markup)


def report_buttons(
    caller: Caller, catalogue: Catalogue, unit: Unit, deadlines: list[Deadline]
) -> InlineKeyboardMarkup | None:
    """A "Report …" button for each report not yet made, if the caller may report for it."""
    person = caller.person
    if not (
        caller.is_admin or (person is not None and person.can_submit(unit.code, catalogue.units))
    ):
        return None
    t = caller.t
    rows = [
        [
            InlineKeyboardButton(
                t._("Report {period}", period=period_name(d.period, t)),
                callback_data=report_button(unit.code, d.period),
            )
        ]
        for d in deadlines
        if not d.reported
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def handlers() -> list[BaseHandler[Any, Context, Any]]:
    """The commands of this module, in the order they are tried."""
    return [CommandHandler("deadlines", deadlines)]

"""/units (administrators): the unit tree, browsed with buttons from the province down, each
unit with the number of people bound to it and a button to its status."""

from __future__ import annotations

from collections import Counter
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import render
from bot.access import Caller, require_admin
from bot.callbacks import Prefix, UnitsView
from bot.context import Context
from bot.handlers.status import asked_unit, catalogue_of, now, pressed, show, visible_parent
from i18n import texts


async def show_units(
    update: Update, context: Context, caller: Caller, unit_code: str, page: int
) -> None:
    t = caller.t
    catalogue = catalogue_of(context, None)
    units = catalogue.units
    unit = units.get(unit_code)
    children, page, pages = texts.paginate(units.children(unit.code), page, render.UNITS_PER_PAGE)
    codes = [unit.code, *(child.code for child in children)]
    async with context.services.database.unit_of_work() as uow:
        people = await uow.people.members_of(codes)
    counted = Counter(m.unit for person in people for m in person.memberships if m.unit in codes)
    text = render.units_text(catalogue, unit, children, counted, page, pages, t)
    keyboard = render.units_keyboard(
        unit, children, now(context).report, page, pages, t, visible_parent(caller, unit, units)
    )
    await show(update, text, keyboard)


@require_admin
async def units(update: Update, context: Context, caller: Caller) -> None:
    """/units [unit]: the unit (the province by default) and the units below it."""
    tree = catalogue_of(context, None).units
    unit = await asked_unit(update, list(context.args or []), caller, tree, default=tree.root)
    if unit is not None:
        await show_units(update, context, caller, unit.code, 0)


@require_admin
async def units_pressed(update: Update, context: Context, caller: Caller) -> None:
    """A button of the unit tree: re-authorised, then the message is edited."""
    view = await pressed(update, context, caller)
    if isinstance(view, UnitsView):
        await show_units(update, context, caller, view.unit, view.page)


def handlers() -> list[BaseHandler[Any, Context, Any]]:
    """The commands of this module, in the order they are tried."""
    return [
        CommandHandler("units", units),
        CallbackQueryHandler(units_pressed, pattern=f"^{Prefix.UNITS}:"),
    ]

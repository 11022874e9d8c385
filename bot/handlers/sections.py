"""/sections: a unit's sections and officials, and the targets handed down to them (Art. 2.1).

    /sections                              the head: sections and shares, worst first, a
                                           button per section; an official: their own targets
    /sections add NAME                     a new section of the head's unit
    /sections rename ID NAME · retire ID
    /sections assign ID V.1 | ELEMENT…      what the section reports (the unit's own figure is
                                           then the sum of its sections')
    /sections member ID NAME|TELEGRAM_ID    one of the unit's people joins the section
    /sections split ELEMENT PERIOD TOTAL even|last|N;N;… [officials]
    /sections rate NAME|#ID INDICATOR [PERCENT]   a rate target handed down (or raised)
    /sections submit PERIOD ELEMENT=VALUE…  a section's people file its figures
    /sections mine ELEMENT PERIOD VALUE     an official's own count

Buttons carry the section's id (`sx:s:12`); whether the presser may see it is checked again
by the service on every press, and a forged id gets the same answer as another unit's.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.access import Caller, require_person
from bot.context import Context
from bot.handlers.status import home_unit, not_yours, now, say, show, stale
from bot.sections_text import overview_text, section_text
from i18n import formatting
from i18n.formatting import period_name
from i18n.translations import N_, Translator
from kpi.catalogue import Catalogue
from kpi.errors import CountError, DomainError, PeriodError
from kpi.numbers import parse_count
from kpi.periods import Period
from kpi.revisions import Source
from kpi.sections import Section, ShareError, SplitMethod, person_key, section_key
from services import sections as service
from services.sections import Actor, NotAllowedError

PREFIX: Final = "sx"  # "sc" is the status view's children (bot.callbacks)
_PRESS = re.compile(rf"^{PREFIX}:(?P<action>[sr]):(?P<id>[0-9]{{1,12}})$")
_PAIR = re.compile(r"^(?P<code>[a-z0-9_]+)=(?P<value>.+)$")


SHARE_PROBLEMS: Final = {
    "name": N_("A section's name has 1 to 80 characters."),
    "exists": N_("The unit already has a section of that name."),
    "unknown": N_("That is neither an element code nor an indicator code (e.g. V.1)."),
    "not_asked": N_("The unit is not asked for that element, so no section can report it."),
    "retired": N_("A retired section reports nothing."),
    "not_member": N_("Only a person bound to the unit can join one of its sections."),
    "not_assigned": N_("Your section does not report that element: ask the head to assign it."),
    "nobody": N_("There is nobody to hand the target down to yet."),
    "rows": N_("Type one share for each section or official, separated by “;”."),
    "sum": N_("The shares must add up exactly to the unit's target."),
    "negative": N_("A target or a share cannot be negative."),
    "lowered": N_("A rate target is handed down as it is or raised, never lowered."),
    "above_100": N_("A rate target is at most 100%."),
    "no_target": N_("That indicator has no target for the unit."),
}


def actor_of(caller: Caller) -> Actor:
    return Actor(caller.telegram_id, caller.name, caller.is_admin)


def catalogue_now(context: Context) -> tuple[Catalogue, Period]:
    current = now(context)
    return context.services.catalogues.for_year(current.quarter.year), current.quarter


def keyboard(view: service.Overview) -> InlineKeyboardMarkup | None:
    buttons = [
        [InlineKeyboardButton(f"🏢 {s.name}", callback_data=f"{PREFIX}:s:{s.id}")]
        for s in view.sections
    ]
    return InlineKeyboardMarkup(buttons) if buttons else None


def section_keyboard(section: Section, t: Translator, head: bool) -> InlineKeyboardMarkup | None:
    if not head:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t._("Retire this section"), callback_data=f"{PREFIX}:r:{section.id}"
                )
            ]
        ]
    )


def usage(t: Translator) -> str:
    return t._(
        "Sections of your unit: /sections add NAME · rename ID NAME · retire ID · assign ID"
        " V.1 · member ID NAME · split ELEMENT PERIOD TOTAL even|last|N;N;… · submit PERIOD"
        " ELEMENT=VALUE … · mine ELEMENT PERIOD VALUE"
    )


def section_id(word: str) -> int | None:
    word = word.removeprefix("#")
    return int(word) if word.isdigit() and len(word) <= 12 else None


async def show_overview(update: Update, context: Context, caller: Caller, unit: str) -> None:
    t = caller.t
    catalogue, period = catalogue_now(context)
    view = await service.overview(
        context.services.database.unit_of_work, catalogue, actor_of(caller), unit, period
    )
    await show(update, overview_text(catalogue, view, t), keyboard(view))


@require_person
async def sections(update: Update, context: Context, caller: Caller) -> None:
    """/sections [subcommand …]: see the module's docstring."""
    t = caller.t
    catalogue, _ = catalogue_now(context)
    unit = home_unit(caller, catalogue.units)
    if unit is None:
        await say(update, not_yours(t))
        return
    args = list(context.args or [])
    try:
        if not args:
            await show_overview(update, context, caller, unit.code)
            return
        command, rest = args[0].lower(), args[1:]
        answer = await run(context, caller, catalogue, unit.code, command, rest)
    except NotAllowedError:
        answer = not_yours(t)
    except CountError as error:
        answer = t._("“{text}” is not a count.", text=error.text)
    except PeriodError:
        answer = t._("I do not know that period. Write it like 2022-Q1 or 2022-03.")
    except ShareError as error:
        reason = SHARE_PROBLEMS.get(error.code)
        answer = t._("Not saved: {reason}", reason=t._(reason) if reason else str(error))
    except DomainError as error:
        answer = t._("Not saved: {reason}", reason=str(error))
    await say(update, answer)


async def run(  # noqa: PLR0912 - one branch per subcommand
    context: Context,
    caller: Caller,
    catalogue: Catalogue,
    unit: str,
    command: str,
    rest: list[str],
) -> str:
    t = caller.t
    factory = context.services.database.unit_of_work
    actor = actor_of(caller)
    moment = context.services.clock()
    if command == "add" and rest:
        section = await service.add_section(
            factory, catalogue, actor, unit, " ".join(rest), moment
        )
        return t._("Section {name} added (#{id}).", name=section.name, id=section.id)
    if command == "rename" and len(rest) >= 2 and (sid := section_id(rest[0])) is not None:
        section = await service.rename_section(factory, catalogue, actor, sid, " ".join(rest[1:]))
        return t._("Section #{id} is now {name}.", id=sid, name=section.name)
    if command == "retire" and len(rest) == 1 and (sid := section_id(rest[0])) is not None:
        section = await service.retire_section(factory, catalogue, actor, sid)
        return t._("Section {name} retired; its figures stay.", name=section.name)
    if command == "assign" and len(rest) >= 2 and (sid := section_id(rest[0])) is not None:
        section = await service.assign_elements(factory, catalogue, actor, sid, rest[1:])
        return t._(
            "{name} now reports {elements}; the unit's own figure of each is the sum of its"
            " sections'.",
            name=section.name,
            elements=", ".join(section.elements),
        )
    if command == "member" and len(rest) >= 2 and (sid := section_id(rest[0])) is not None:
        who = await find_person(context, unit, " ".join(rest[1:]))
        if who is None:
            return t._("Nobody of your unit is called that.")
        section = await service.add_member(factory, catalogue, actor, sid, who)
        return t._("Added to {name}.", name=section.name)
    if command == "split" and len(rest) >= 4:
        return await split(context, caller, catalogue, unit, rest)
    if command == "rate" and len(rest) >= 2:
        holder = await find_holder(context, unit, rest[0])
        if holder is None:
            return t._("Nobody of your unit is called that.")
        percent = None
        if len(rest) >= 3:
            try:
                percent = Decimal(rest[2].replace(",", ".").rstrip("%"))
            except InvalidOperation:
                return t._("“{text}” is not a percentage.", text=rest[2])
        share = await service.hand_down_rate(
            factory, catalogue, actor, unit, holder, rest[1], percent, moment
        )
        return t._(
            "{indicator} handed down: target {target}.",
            indicator=share.element,
            target=formatting.percent(Decimal(share.value) / 100, 2, t.language),
        )
    if command == "submit" and len(rest) >= 2:
        return await submit(context, caller, catalogue, rest)
    if command == "mine" and len(rest) == 3:
        value = parse_count(rest[2])
        await service.submit_own_count(
            factory, catalogue, actor, unit, rest[0], Period.parse(rest[1]), value, moment
        )
        return t._(
            "Saved: your {element}, {value}.",
            element=rest[0],
            value=formatting.count(value, t.language),
        )
    return usage(t)


async def find_person(context: Context, unit: str, text: str) -> int | None:
    if text.isdigit():
        return int(text)
    async with context.services.database.autocommit() as uow:
        people = await uow.people.members_of([unit])
    wanted = text.casefold()
    found = [p.telegram_id for p in people if p.name.casefold() == wanted]
    return found[0] if len(found) == 1 else None


async def find_holder(context: Context, unit: str, text: str) -> str | None:
    """A section by "#ID" or name, else one of the unit's people by name."""
    if text.startswith("#") and (sid := section_id(text)) is not None:
        return section_key(sid)
    listed = await service.list_sections(context.services.database.unit_of_work, unit)
    named = [s for s in listed if s.name.casefold() == text.casefold()]
    if len(named) == 1:
        return named[0].key
    who = await find_person(context, unit, text)
    return None if who is None else person_key(who)


async def split(
    context: Context, caller: Caller, catalogue: Catalogue, unit: str, rest: list[str]
) -> str:
    t = caller.t
    element, period, total_text, how = rest[0], Period.parse(rest[1]), rest[2], rest[3]
    over = "officials" if len(rest) > 4 and rest[4].lower() == "officials" else "sections"
    total = parse_count(total_text)
    typed: list[int] = []
    if how.lower() == "even":
        method = SplitMethod.EVEN
    elif how.lower() == "last":
        method = SplitMethod.LAST_YEAR
    else:
        method = SplitMethod.TYPED
        typed = [parse_count(part) for part in how.split(";") if part.strip()]
    targets = await service.split_target(
        context.services.database.unit_of_work,
        catalogue,
        actor_of(caller),
        unit,
        element,
        period,
        total,
        method,
        over=over,
        typed=typed,
        now=context.services.clock(),
    )
    view = await service.overview(
        context.services.database.unit_of_work, catalogue, actor_of(caller), unit, period
    )
    names = {line.holder: line.name for line in view.lines}
    rows = "\n".join(
        f"• {names.get(s.holder, s.holder)}: {formatting.count(s.value, t.language)}"
        for s in targets
    )
    return (
        t.n_(
            "{element} {period}: {total} split into {count} share.",
            "{element} {period}: {total} split into {count} shares.",
            len(targets),
            element=element,
            period=period_name(period, t),
            total=formatting.count(total, t.language),
            count=len(targets),
        )
        + "\n"
        + rows
    )


async def submit(context: Context, caller: Caller, catalogue: Catalogue, rest: list[str]) -> str:
    t = caller.t
    period = Period.parse(rest[0])
    values: dict[str, int] = {}
    for word in rest[1:]:
        match = _PAIR.match(word)
        if match is None:
            return usage(t)
        values[match["code"]] = parse_count(match["value"])
    async with context.services.database.autocommit() as uow:
        mine = await uow.sections.of_person(caller.telegram_id)
    if not mine:
        return t._("You are in no section: the head adds you with /sections member.")
    section = mine[0]
    saved = await service.submit_section_figures(
        context.services.database.unit_of_work,
        catalogue,
        actor_of(caller),
        section.id,
        period,
        values,
        Source.CHAT,
        context.services.clock(),
    )
    pooled = ", ".join(
        f"{code} {formatting.count(value, t.language)}" for code, value in saved.pooled.items()
    )
    context.services.outbox_ready()
    return t._(
        "Saved for {section}. The unit's figures, summed over its sections: {pooled}.",
        section=section.name,
        pooled=pooled,
    )


@require_person
async def pressed(update: Update, context: Context, caller: Caller) -> None:
    """A section's button: its shares (sc:s:ID), or retiring it (sc:r:ID, heads)."""
    query = update.callback_query
    assert query is not None
    t = caller.t
    match = _PRESS.match(query.data or "")
    if match is None:
        await query.answer(stale(t), show_alert=True)
        return
    catalogue, period = catalogue_now(context)
    factory = context.services.database.unit_of_work
    sid = int(match["id"])
    try:
        if match["action"] == "r":
            section = await service.retire_section(factory, catalogue, actor_of(caller), sid)
            await say(update, t._("Section {name} retired; its figures stay.", name=section.name))
            return
        section, lines = await service.section_detail(
            factory, catalogue, actor_of(caller), sid, period
        )
    except NotAllowedError:
        await query.answer(not_yours(t), show_alert=True)
        return
    head = caller.is_admin or any(
        m.unit == section.unit and m.role.value == "head"
        for m in (caller.person.memberships if caller.person else ())
    )
    await show(
        update,
        section_text(catalogue, section, period, lines, t),
        section_keyboard(section, t, head),
    )


def handlers() -> list[BaseHandler[Any, Context, Any]]:
    return [
        CommandHandler("sections", sections),
        CallbackQueryHandler(pressed, pattern=f"^{PREFIX}:"),
    ]


# --- what /submit says of elements the sections file ----------------------------------------

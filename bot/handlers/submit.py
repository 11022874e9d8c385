"""/submit: the unit's figures for a period, one question at a time, checked, then saved.

    /submit [unit] → PERIOD → QUESTION (× elements of the unit's level) → SUMMARY
                   → (a correction: REASON) → saved

The form lives in `context.user_data["submit"]` as plain JSON (bot.submit_form.Form) and the
conversation is persistent, so it resumes after a restart. The conversation is kept per chat and
per person and only starts in a private chat: nothing typed in a group, or by someone else,
reaches a form. Buttons carry the form's token and the prompt's step: a press on anything but
the latest prompt of the running form is answered "no longer valid" and changes nothing.
Nothing is saved before Confirm (and the reason, for a correction).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)
from telegram.ext import filters as f
from telegram.warnings import PTBUserWarning

from bot import render
from bot import submit_form as sf
from bot.access import Caller, actor_of, identify_caller, require_person, role_name
from bot.buttons import retire
from bot.context import Context
from bot.handlers.basics import cancelled
from bot.notices import REPORT_PATTERN, parse_report_button
from bot.sections_text import pooled_codes, pooled_note
from bot.submit_form import Action, Form, Press
from i18n.formatting import period_name
from i18n.translations import translator
from kpi.catalogue import Catalogue
from kpi.elements import DataElement, ElementKind
from kpi.errors import AmbiguousUnitError, CountError, UnknownUnitError
from kpi.evaluation import Line
from kpi.periods import Period
from kpi.revisions import Author, Revision, Source
from kpi.units import Unit, UnitTree
from services.access import NotAllowedError, authorise, may_submit_for
from services.entry import clashing_periods, free_periods
from services.figures import (
    Plan,
    RejectedSubmissionError,
    apply_plan,
    plan_for_saving,
    plan_submission,
    preview_plan,
)
from services.ports import UnitOfWork
from services.status import unit_status


class State(StrEnum):
    PERIOD = "period"  # choosing the period (buttons, or a typed period)
    QUESTION = "question"  # answering one data element
    SUMMARY = "summary"  # reviewing: confirm, edit an answer, or cancel
    REASON = "reason"  # a correction: why the saved figures change


Next = State | int | None  # a state, ConversationHandler.END, or None: stay where you are

PRIVATE = f.ChatType.PRIVATE
TYPED = PRIVATE & f.TEXT & ~f.COMMAND & ~f.UpdateType.EDITED  # an edit is not a new answer


# --- the form in user_data --------------------------------------------------------------------


def load_form(context: Context) -> Form | None:
    data = context.user_data.get(sf.FORM_KEY) if context.user_data is not None else None
    return Form.from_json(data)


def save_form(context: Context, form: Form) -> None:
    assert context.user_data is not None
    context.user_data[sf.FORM_KEY] = form.to_json()


def drop_form(context: Context) -> None:
    if context.user_data is not None:
        context.user_data.pop(sf.FORM_KEY, None)


def may_submit(caller: Caller, unit: str, tree: UnitTree) -> bool:
    if caller.is_admin:
        return True
    return caller.person is not None and caller.person.can_submit(unit, tree)


def submit_units(caller: Caller, tree: UnitTree) -> list[str]:
    """The units the caller reports for without naming one (their memberships that submit)."""
    if caller.person is None:
        return []
    codes = [m.unit for m in caller.person.memberships if m.role.may_submit and m.unit in tree]
    return list(dict.fromkeys(codes))


def today(context: Context) -> date:
    services = context.services
    return services.clock().astimezone(services.settings.tzinfo).date()


def unit_label(context: Context, code: str, language: str) -> str:
    tree = context.services.catalogues.newest.units
    return tree.describe(code, language) if code in tree else code


def form_catalogue(context: Context, form: Form) -> tuple[Catalogue, Period]:
    assert form.period is not None
    period = Period.parse(form.period)
    return context.services.catalogues.for_year(period.year), period


def questions_of(catalogue: Catalogue, unit: str) -> list[DataElement]:
    return catalogue.elements_for(catalogue.units.get(unit))


def author_of(caller: Caller) -> Author:
    return Author(f"tg:{caller.telegram_id}", caller.name)


# --- sending ------------------------------------------------------------------------------


async def say(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """A new message in the chat of the update (not a reply to the pressed message)."""
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(text, reply_markup=markup)


async def show(update: Update, context: Context, form: Form, text: str, rows: sf.Keyboard) -> None:
    """A new prompt: from now on only its buttons count."""
    form.next_step()
    save_form(context, form)
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=form.button_data(b)) for b in row]
            for row in rows
        ]
    )
    await say(update, text, markup)


def unit_buttons(units: Sequence[Unit], language: str, tree: UnitTree) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tree.describe(u.code, language), callback_data=sf.unit_button(u.code)
                )
            ]
            for u in units
        ]
    )


# --- starting -----------------------------------------------------------------------------


@require_person
async def start(update: Update, context: Context, caller: Caller) -> Next:
    """/submit [unit]: find the unit (or ask which one), then ask for the period."""
    t = caller.t
    tree = context.services.catalogues.newest.units
    text = " ".join(context.args or []).strip()
    if text:
        try:
            unit = tree.find(text)
        except AmbiguousUnitError as ambiguous:
            mine = [u for u in ambiguous.candidates if may_submit(caller, u.code, tree)]
            if not mine:
                await say(update, not_yours_text(caller, text))
                return None
            await say(
                update,
                t._("Several units are named “{text}”: which one?", text=text[:60]),
                unit_buttons(mine, caller.language, tree),
            )
            return None
        except UnknownUnitError:
            await say(
                update,
                t._(
                    "I know no unit named “{text}”. Check the spelling, or give the unit's code.",
                    text=text[:60],
                ),
            )
            return None
        if not may_submit(caller, unit.code, tree):
            await say(update, not_yours_text(caller, tree.describe(unit.code, caller.language)))
            return None
        return await begin(update, context, caller, unit.code)
    units = submit_units(caller, tree)
    if not units:
        await say(update, no_unit_text(caller))
        return None
    if len(units) == 1:
        return await begin(update, context, caller, units[0])
    await say(
        update,
        t._("Which unit are you reporting for?"),
        unit_buttons([tree.get(u) for u in units], caller.language, tree),
    )
    return None


@require_person
async def unit_chosen(update: Update, context: Context, caller: Caller) -> Next:
    """A unit button: start the form for that unit, if the caller may report for it."""
    query = update.callback_query
    assert query is not None
    tree = context.services.catalogues.newest.units
    code = sf.parse_unit_button(query.data)
    if code is None or code not in tree:
        await stale_button(update, context)
        return None
    if not may_submit(caller, code, tree):
        await query.answer()
        await say(update, not_yours_text(caller, tree.describe(code, caller.language)))
        return None
    await query.answer()
    return await begin(update, context, caller, code)


@require_person
async def report_pressed(update: Update, context: Context, caller: Caller) -> Next:
    """A reminder's (or /deadlines') button: the form for its unit and period."""
    query = update.callback_query
    assert query is not None
    pressed = parse_report_button(query.data)
    tree = context.services.catalogues.newest.units
    if pressed is None or pressed.unit not in tree:
        await stale_button(update, context)
        return None
    await query.answer()
    if not may_submit(caller, pressed.unit, tree):
        await say(update, not_yours_text(caller, tree.describe(pressed.unit, caller.language)))
        return None
    form = Form.new(pressed.unit)
    save_form(context, form)
    return await set_period(update, context, caller, form, pressed.period.key)


def not_yours_text(caller: Caller, unit: str) -> str:
    return caller.t._(
        "You cannot report figures for {unit}: only its officials and the administrators can.",
        unit=unit,
    )


def no_unit_text(caller: Caller) -> str:
    t = caller.t
    if caller.is_admin:
        return t._(
            "Tell me which unit: /submit followed by its code or name, for example"
            " /submit so-tu-phap."
        )
    roles = ", ".join(
        dict.fromkeys(
            role_name(m.role, t) for m in (caller.person.memberships if caller.person else ())
        )
    )
    return t._(
        "Your role ({role}) lets you see your unit's figures, not report them. Ask the head of"
        " your unit if you should report.",
        role=roles,
    )


async def begin(update: Update, context: Context, caller: Caller, unit: str) -> State:
    """A new form for the unit: ask for the period."""
    return await ask_period(update, context, caller, Form.new(unit))


async def ask_period(update: Update, context: Context, caller: Caller, form: Form) -> State:
    """The period question: this month (the default), the previous one, the quarter, another."""
    catalogues = context.services.catalogues
    now = today(context)
    current = catalogues.current_month(now)
    note = None
    if current != catalogues.newest.calendar.month_of(now):
        note = caller.t._(
            "The newest targets loaded are for {year}: its periods are offered.",
            year=current.year,
        )
    pooled = pooled_note(
        catalogues.newest, await pooled_codes(context, form.unit), caller.t
    )  # Article 2.1: elements the unit's sections file
    if pooled is not None:
        note = pooled if note is None else f"{note}\n{pooled}"
    choices = [
        (p, which) for p, which in sf.period_choices(current) if p.year in catalogues.by_year
    ]
    # a period that clashes with figures already filed (the quarter once months are) is not
    # offered: it could only be refused
    asked = {
        q.code for p, _ in choices for q in questions_of(catalogues.for_year(p.year), form.unit)
    }
    async with context.services.database.autocommit() as uow:
        free = await free_periods(uow, form.unit, sorted(asked), [p for p, _ in choices])
    choices = [(p, which) for p, which in choices if p in free]
    text, rows = sf.period_prompt(
        unit_label(context, form.unit, caller.language), choices, note, caller.t
    )
    await show(update, context, form, text, rows)
    return State.PERIOD


# --- the period ---------------------------------------------------------------------------


async def set_period(
    update: Update, context: Context, caller: Caller, form: Form, text: str
) -> State:
    """Take the period if figures may be given for it; then the first question."""
    t = caller.t
    catalogues = context.services.catalogues
    years = sorted(catalogues.by_year)
    cutoff = catalogues.newest.calendar.cutoff_day
    chosen = sf.choose_period(
        text, years, today(context), cutoff, catalogues.current_month(today(context))
    )
    if isinstance(chosen, sf.PeriodRefusal):
        await say(update, sf.period_refusal_text(chosen, text, years, t))
        return State.PERIOD
    catalogue = catalogues.for_year(chosen.year)
    if form.unit not in catalogue.units or not questions_of(catalogue, form.unit):
        await say(
            update,
            t._(
                "{unit} has no figures to report for {period}.",
                unit=unit_label(context, form.unit, caller.language),
                period=period_name(chosen, t),
            ),
        )
        return State.PERIOD
    questions = questions_of(catalogue, form.unit)
    async with context.services.database.autocommit() as uow:
        clashes = await clashing_periods(uow, form.unit, [q.code for q in questions], chosen)
    if clashes:
        await say(update, clash_text(context, caller, form.unit, chosen, clashes))
        return State.PERIOD
    if form.period != chosen.key:
        async with context.services.database.unit_of_work() as uow:
            current = await uow.figures.current_of(form.unit, chosen)
        stored = {q.code: current.get(q.code) for q in questions}
        form.period, form.answers, form.current = chosen.key, {}, sf.current_values(stored)
        form.previous, form.flagged = await previous_values(context, form.unit, chosen), {}
    form.index, form.reviewing = 0, False
    return await ask_question(update, context, caller, form)


def clash_text(
    context: Context, caller: Caller, unit: str, chosen: Period, clashes: Sequence[Period]
) -> str:
    """Why a period cannot be reported: the periods already filed that overlap it."""
    t = caller.t
    return t._(
        "{unit} already has figures for {filed}, which overlap {period}: choose {filed} (to"
        " correct them) or another period.",
        unit=unit_label(context, unit, caller.language),
        filed=", ".join(period_name(p, t) for p in clashes),
        period=period_name(chosen, t),
    )


async def previous_values(context: Context, unit: str, period: Period) -> dict[str, int]:
    """The unit's figures of the period before (shown with each question, and the typo guard)."""
    before = sf.previous_period(period)
    if before is None:
        return {}
    async with context.services.database.autocommit() as uow:
        return await uow.figures.current_of(unit, before)


async def period_typed(update: Update, context: Context) -> Next:
    """A period typed in answer to "which period?"."""
    caller, form = await typed_context(update, context)
    if caller is None or form is None:
        return ConversationHandler.END
    assert update.effective_message is not None
    return await set_period(update, context, caller, form, update.effective_message.text or "")


async def period_pressed(
    update: Update, context: Context, caller: Caller, form: Form, press: Press
) -> Next:
    """A period button."""
    return await set_period(update, context, caller, form, press.argument or "")


async def other_period(
    update: Update, context: Context, caller: Caller, form: Form, press: Press
) -> Next:
    """ "Another period…": explain how to type one."""
    del context, form, press
    await say(update, sf.other_period_text(caller.t))
    return State.PERIOD


# --- the questions ------------------------------------------------------------------------


async def ask_question(
    update: Update, context: Context, caller: Caller, form: Form, error: str | None = None
) -> State:
    """The current question (after the reason the last answer was refused, if any)."""
    catalogue, period = form_catalogue(context, form)
    questions = questions_of(catalogue, form.unit)
    heading = sf.heading(unit_label(context, form.unit, caller.language), period, caller.t)
    text, rows = sf.question_prompt(form, questions, heading, caller.t)
    if error:
        text = error + "\n\n" + text
    await show(update, context, form, text, rows)
    return State.QUESTION


async def after_answer(
    update: Update, context: Context, caller: Caller, form: Form, more: bool
) -> State:
    if more:
        return await ask_question(update, context, caller, form)
    return await show_summary(update, context, caller, form)


async def answer_typed(update: Update, context: Context) -> Next:
    """A typed answer: parse it the Vietnamese way; refuse it with the reason, or go on."""
    caller, form = await typed_context(update, context)
    if caller is None or form is None:
        return ConversationHandler.END
    assert update.effective_message is not None
    catalogue, _period = form_catalogue(context, form)
    questions = questions_of(catalogue, form.unit)
    element = form.question(questions)
    try:
        value = sf.read_answer(element, update.effective_message.text or "")
    except CountError as error:
        return await ask_question(
            update, context, caller, form, sf.count_problem_text(error, caller.t)
        )
    except sf.FlagAnswerError:
        return await ask_question(update, context, caller, form, sf.flag_problem_text(caller.t))
    before = sf.far_from_previous(element, value, form)
    if before is not None:  # asked once: the same value sent again is taken
        form.flagged[element.code] = value
        period = Period.parse(form.period or "")
        return await ask_question(
            update, context, caller, form, sf.far_text(value, before, period, caller.t)
        )
    too_large = sf.part_too_large(element, value, form, questions)
    if too_large is not None:
        return await ask_question(
            update, context, caller, form, sf.part_too_large_text(too_large, caller.t)
        )
    more = form.answer(questions, value)
    return await after_answer(update, context, caller, form, more)


async def flag_pressed(
    update: Update, context: Context, caller: Caller, form: Form, press: Press
) -> Next:
    """Yes or No on a yes/no question."""
    catalogue, _period = form_catalogue(context, form)
    questions = questions_of(catalogue, form.unit)
    if form.question(questions).kind is not ElementKind.FLAG:
        await stale_button(update, context)
        return None
    more = form.answer(questions, 1 if press.action is Action.YES else 0)
    return await after_answer(update, context, caller, form, more)


async def skip_pressed(
    update: Update, context: Context, caller: Caller, form: Form, press: Press
) -> Next:
    """Skip: leave this figure as it is and go on."""
    del press
    catalogue, _period = form_catalogue(context, form)
    more = form.skip(questions_of(catalogue, form.unit))
    return await after_answer(update, context, caller, form, more)


async def back_pressed(
    update: Update, context: Context, caller: Caller, form: Form, press: Press
) -> Next:
    """Back: the previous question (the period before the first; the summary when editing)."""
    del press
    if form.reviewing:
        return await show_summary(update, context, caller, form)
    if form.back():
        return await ask_question(update, context, caller, form)
    return await ask_period(update, context, caller, form)


# --- the summary --------------------------------------------------------------------------


async def preview(context: Context, form: Form) -> sf.Preview:
    """What confirming would save and the rates it would give: the totals moved in memory,
    nothing written (reads only, no transaction needed around them)."""
    catalogue, period = form_catalogue(context, form)
    async with context.services.database.autocommit() as uow:
        try:
            plan = await plan_submission(uow, catalogue, form.unit, period, form.answers)
        except RejectedSubmissionError as rejected:
            return sf.Preview(None, rejected.problems)
        lines = await unit_status(
            await preview_plan(uow, catalogue, plan), catalogue, form.unit, period
        )
    return sf.Preview(plan, (), lines)


async def show_summary(update: Update, context: Context, caller: Caller, form: Form) -> State:
    """Every answer (old → new), the resulting rates and any broken rule."""
    form.reviewing = True
    catalogue, period = form_catalogue(context, form)
    questions = questions_of(catalogue, form.unit)
    heading = sf.heading(unit_label(context, form.unit, caller.language), period, caller.t)
    result = await preview(context, form)
    rates = [
        render.line_text(line, catalogue, caller.t)
        for line in sf.touched_lines(result.lines, set(form.answers))
    ]
    text, rows = sf.summary_prompt(
        form, questions, result, rates, heading, catalogue, period, caller.t
    )
    await show(update, context, form, text, rows)
    return State.SUMMARY


async def summary_pressed(
    update: Update, context: Context, caller: Caller, form: Form, press: Press
) -> Next:
    """ "Back to the summary"."""
    del press
    return await show_summary(update, context, caller, form)


async def edit_list(
    update: Update, context: Context, caller: Caller, form: Form, press: Press
) -> Next:
    """Edit: every question as a button."""
    del press
    catalogue, _period = form_catalogue(context, form)
    text, rows = sf.edit_list_prompt(form, questions_of(catalogue, form.unit), caller.t)
    await show(update, context, form, text, rows)
    return State.SUMMARY


async def edit_pressed(
    update: Update, context: Context, caller: Caller, form: Form, press: Press
) -> Next:
    """One question to answer again; the summary follows."""
    catalogue, _period = form_catalogue(context, form)
    questions = questions_of(catalogue, form.unit)
    argument = press.argument or ""
    if not argument.isdigit() or not form.edit(questions, int(argument)):
        await stale_button(update, context)
        return None
    return await ask_question(update, context, caller, form)


async def confirm_pressed(
    update: Update, context: Context, caller: Caller, form: Form, press: Press
) -> Next:
    """Confirm: save, or first ask why when a saved figure is corrected."""
    del press
    t = caller.t
    catalogue, period = form_catalogue(context, form)
    if not may_submit(caller, form.unit, catalogue.units):
        drop_form(context)
        await say(update, not_yours_text(caller, unit_label(context, form.unit, caller.language)))
        return ConversationHandler.END
    saved: Saved | None = None
    async with context.services.database.unit_of_work() as uow:
        # planned once, the unit's figures locked first (another person confirming waits for
        # this commit, then sees these figures): a new submission (no correction, so no
        # reason) is saved right here
        try:
            plan = await plan_for_saving(uow, catalogue, form.unit, period, form.answers)
        except RejectedSubmissionError:
            plan = None
        if plan is not None and plan.changes and not plan.is_correction:
            try:
                saved = await commit_plan(uow, context, caller, form, plan, None)
            except NotAllowedError:
                return await no_longer_allowed(update, context, caller, form)
    if plan is None:
        return await show_summary(update, context, caller, form)
    if saved is not None:
        return await announce(update, context, caller, form, saved)
    if not plan.changes:
        drop_form(context)
        await say(update, t._("Nothing to save: every figure is as already saved."))
        return ConversationHandler.END
    text, rows = sf.reason_prompt(questions_of(catalogue, form.unit), plan, t)
    await show(update, context, form, text, rows)
    return State.REASON


async def reason_typed(update: Update, context: Context) -> Next:
    """The reason for a correction: required, at most 500 characters; then save."""
    caller, form = await typed_context(update, context)
    if caller is None or form is None:
        return ConversationHandler.END
    assert update.effective_message is not None
    text = update.effective_message.text or ""
    problem = sf.reason_problem(text, caller.t)
    if problem is not None:
        await say(update, problem)
        return State.REASON
    return await save(update, context, caller, form, text.strip())


@dataclass(frozen=True, slots=True)
class Saved:
    """A submission saved: its plan, its revisions and the unit's standing after it."""

    plan: Plan
    revisions: list[Revision]
    lines: list[Line]


async def commit_plan(
    uow: UnitOfWork, context: Context, caller: Caller, form: Form, plan: Plan, reason: str | None
) -> Saved:
    """Save the plan (checked in this unit of work) all at once, then read the unit's new
    standing. Raises NotAllowedError when the caller may no longer submit for the unit (their
    role changed since the form began), read in this same unit of work."""
    services = context.services
    catalogue, period = form_catalogue(context, form)
    await authorise(uow, actor_of(caller, context), may_submit_for(form.unit, catalogue.units))
    revisions = await apply_plan(
        uow,
        catalogue,
        plan,
        author_of(caller),
        Source.CHAT,
        reason,
        services.clock(),
        alerts=services.alerts,
    )
    await uow.commit()
    services.outbox_ready()
    lines = await unit_status(uow, catalogue, form.unit, period)
    return Saved(plan, revisions, lines)


async def save(
    update: Update, context: Context, caller: Caller, form: Form, reason: str | None
) -> State | int:
    """Save every answer at once (or nothing, showing why), then the unit's new standing."""
    catalogue, period = form_catalogue(context, form)
    saved: Saved | None = None
    nothing_left = False
    pooled = await pooled_codes(context, form.unit)  # filed by the sections (Article 2.1)
    answers = {code: value for code, value in form.answers.items() if code not in pooled}
    async with context.services.database.unit_of_work() as uow:
        try:
            plan = await plan_for_saving(uow, catalogue, form.unit, period, answers)
        except RejectedSubmissionError:
            pass
        else:
            # someone may have saved these very figures since the reason was asked for
            nothing_left = not plan.changes
            if not nothing_left:
                try:
                    saved = await commit_plan(uow, context, caller, form, plan, reason)
                except NotAllowedError:
                    return await no_longer_allowed(update, context, caller, form)
    if nothing_left:
        drop_form(context)
        await say(update, caller.t._("Nothing to save: every figure is as already saved."))
        return ConversationHandler.END
    if saved is None:
        return await show_summary(update, context, caller, form)
    return await announce(update, context, caller, form, saved)


async def no_longer_allowed(update: Update, context: Context, caller: Caller, form: Form) -> int:
    """The caller's right to submit for the form's unit is gone: nothing saved, form dropped."""
    drop_form(context)
    await say(update, not_yours_text(caller, unit_label(context, form.unit, caller.language)))
    return ConversationHandler.END


async def announce(
    update: Update, context: Context, caller: Caller, form: Form, saved: Saved
) -> State | int:
    """Say what was saved and the rates it touched, with "Correct a figure"; the form is
    done."""
    from bot.handlers.quick import fix_button  # quick builds on this module

    catalogue, period = form_catalogue(context, form)
    touched = [
        render.line_text(line, catalogue, caller.t)
        for line in sf.touched_lines(saved.lines, {c.element for c in saved.plan.changes})
    ]
    drop_form(context)
    await say(
        update,
        sf.saved_text(
            len(saved.revisions),
            unit_label(context, form.unit, caller.language),
            period,
            touched,
            caller.t,
        ),
        InlineKeyboardMarkup([[fix_button(form.unit, period, caller.t)]]),
    )
    return ConversationHandler.END


# --- leaving, and what does not fit -------------------------------------------------------


async def cancel_pressed(
    update: Update, context: Context, caller: Caller, form: Form, press: Press
) -> Next:
    """Cancel: forget the form; nothing was saved."""
    del form, press
    drop_form(context)
    await say(update, caller.t._("Cancelled. Nothing was changed."))
    return ConversationHandler.END


async def cancel_command(update: Update, context: Context) -> int:
    """/cancel during the form: forget it; nothing was saved."""
    drop_form(context)
    return await cancelled(update, context)


async def already_filling(update: Update, context: Context) -> None:
    """/submit during the form: say where they are."""
    caller = await identify_caller(update, context)
    if caller is None:
        return
    await say(
        update,
        caller.t._(
            "You are already filling in a form: answer the last question above, or send /cancel"
            " to stop and start again."
        ),
    )


async def unexpected(update: Update, context: Context) -> None:
    """Anything the current step does not take: say what it expects; the form stays."""
    caller = await identify_caller(update, context)
    if caller is None:
        return
    await say(
        update,
        caller.t._(
            "I did not expect that here: answer the last question above with text or its"
            " buttons, or send /cancel to stop."
        ),
    )


async def edited(update: Update, context: Context) -> None:
    """An answer edited after it was sent: it was already taken as sent; say how to change it."""
    caller = await identify_caller(update, context)
    if caller is None:
        return
    await say(
        update,
        caller.t._(
            "Editing a message does not change the answer already taken: press Back, or Edit"
            " an answer at the summary."
        ),
    )


async def stale_button(update: Update, context: Context) -> None:
    """A button of a finished, cancelled or older prompt, or a forged one: change nothing."""
    query = update.callback_query
    if query is None:
        return
    caller = await identify_caller(update, context)
    t = caller.t if caller is not None else translator(context.services.settings.default_language)
    await query.answer(
        t._("This button is no longer valid: use the latest message, or send /submit again.")
    )


async def in_a_group(update: Update, context: Context) -> None:
    """/submit in a group: figures are reported in a private chat."""
    caller = await identify_caller(update, context)
    if caller is None or caller.is_stranger:
        return
    await say(
        update,
        caller.t._(
            "Figures are reported in a private chat with me: open it and send /submit there."
        ),
    )


async def typed_context(update: Update, context: Context) -> tuple[Caller | None, Form | None]:
    """The caller and their form for a typed answer; says so when the form is gone."""
    caller = await identify_caller(update, context)
    form = load_form(context)
    if caller is not None and form is None:
        await say(
            update, caller.t._("This form is no longer available: send /submit to start again.")
        )
    return caller, form


FormCallback = Callable[[Update, Context, Caller, Form, Press], Coroutine[Any, Any, Next]]


def form_button(callback: FormCallback) -> Callable[[Update, Context], Coroutine[Any, Any, Next]]:
    """Run the callback for a press on the running form's latest prompt; anything else is
    stale."""

    @functools.wraps(callback)
    async def checked(update: Update, context: Context) -> Next:
        query = update.callback_query
        caller = await identify_caller(update, context)
        form = load_form(context)
        press = sf.parse_press(query.data if query is not None else None)
        if query is None or caller is None:
            return None
        if form is None or press is None or not form.accepts(press):
            await stale_button(update, context)
            return None
        if form.period is None and press.action not in {
            Action.PERIOD,
            Action.OTHER_PERIOD,
            Action.CANCEL,
        }:
            await stale_button(update, context)
            return None
        await query.answer()
        await retire(query)  # its prompt is answered: its buttons go
        return await callback(update, context, caller, form, press)

    return checked


def button(callback: FormCallback, *actions: Action) -> BaseHandler[Update, Context, object]:
    """The handler of presses of these actions on the form's latest prompt."""
    return CallbackQueryHandler[Context, object](
        form_button(callback), pattern=sf.action_pattern(*actions)
    )


def conversation() -> ConversationHandler[Context]:
    cancel = button(cancel_pressed, Action.CANCEL)
    with warnings.catch_warnings():
        # Buttons are tracked per chat and person, not per message, on purpose: every press is
        # checked against the form's token and latest step instead.
        warnings.filterwarnings("ignore", "If 'per_message=False'", PTBUserWarning)
        return ConversationHandler(
            entry_points=[
                CommandHandler("submit", start, filters=PRIVATE),
                CallbackQueryHandler(unit_chosen, pattern=sf.UNIT_PATTERN),
                CallbackQueryHandler(report_pressed, pattern=REPORT_PATTERN),
            ],
            states={
                State.PERIOD: [
                    button(period_pressed, Action.PERIOD),
                    button(other_period, Action.OTHER_PERIOD),
                    MessageHandler(TYPED, period_typed),
                ],
                State.QUESTION: [
                    MessageHandler(TYPED, answer_typed),
                    button(skip_pressed, Action.SKIP),
                    button(back_pressed, Action.BACK),
                    button(flag_pressed, Action.YES, Action.NO),
                ],
                State.SUMMARY: [
                    button(confirm_pressed, Action.CONFIRM),
                    button(edit_list, Action.EDIT_LIST),
                    button(edit_pressed, Action.EDIT),
                    button(summary_pressed, Action.SUMMARY),
                ],
                State.REASON: [
                    MessageHandler(TYPED, reason_typed),
                    button(summary_pressed, Action.SUMMARY),
                ],
            },
            fallbacks=[
                cancel,
                CommandHandler("cancel", cancel_command),
                CommandHandler("submit", already_filling),
                CallbackQueryHandler(stale_button, pattern=sf.PATTERN),
                MessageHandler(PRIVATE & f.UpdateType.EDITED_MESSAGE, edited),
                MessageHandler(PRIVATE & ~f.COMMAND, unexpected),
            ],
            name="submit",
            persistent=True,
        )


def handlers() -> list[BaseHandler[Any, Context, Any]]:
    """The /submit conversation, then what answers /submit in a group and stale buttons."""
    return [
        conversation(),
        CommandHandler("submit", in_a_group, filters=~PRIVATE),
        CallbackQueryHandler(stale_button, pattern=sf.PATTERN),
    ]

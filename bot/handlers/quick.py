"""Figures entered fast: written in one message, or one figure corrected from a button.

    a private message with figures → (an ambiguous label: PICK) → SUMMARY → (a correction:
                                     REASON) → saved
    "Correct a figure" (qk:fix:<unit>:<period>) → CHOOSE → VALUE (typed) → (a stored figure:
                                     REASON) → SUMMARY → saved

A message such as "Tháng 11: tiếp nhận 1.200, trực tuyến 300, giải quyết 1.150 (trước hạn
600, đúng hạn 500, trễ 50)" is read by kpi.free_text against the elements the unit is asked;
the summary says what was understood, what could not be placed and what is still missing, and
only an ambiguous label is asked about. Nothing is saved before Confirm, and what is saved goes
through the same plan and checks as /submit (services.figures). A Confirm made on a summary
whose stored figures have since moved (another person saved) shows the new summary instead.

The draft lives in `context.user_data["quick"]` as plain JSON; buttons carry its token and the
prompt's step (`qk:<token>:<step>:<action>[:<argument>]`), so only the latest prompt counts.
"""

from __future__ import annotations

import functools
import re
import secrets
import tempfile
import warnings
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

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
from bot.access import Caller, identify_caller
from bot.context import Context
from bot.handlers import submit
from bot.handlers.basics import anything_else, cancelled
from i18n.formatting import count, period_name
from i18n.problems import row_error_text
from i18n.translations import N_, Translator
from kpi.catalogue import Catalogue
from kpi.elements import DataElement
from kpi.errors import CountError, DomainError, PeriodError
from kpi.free_text import element_words, read_figures
from kpi.numbers import parse_count, parse_flag
from kpi.periods import Period
from services.entry import (
    FILE_SUFFIXES,
    MAX_FILE_BYTES,
    FileGroup,
    NotYourUnitsError,
    check_file,
    clashing_periods,
    correctable_periods,
    figures_moved,
    replan,
    save_file,
)
from services.figures import Change, Plan, RejectedSubmissionError, plan_for_saving
from services.importing import ImportRejectedError

DRAFT_KEY: Final = "quick"  # context.user_data[DRAFT_KEY]
PREFIX: Final = "qk"
FIX_PREFIX: Final = f"{PREFIX}:fix:"
MAX_BYTES: Final = 64
_TOKEN = re.compile(r"^[a-z0-9]{6}$")
_PRESS = re.compile(
    rf"^{PREFIX}:(?P<token>[a-z0-9]{{6}}):(?P<step>[0-9]{{1,6}}):(?P<action>[a-z]{{1,3}})"
    r"(?::(?P<argument>[a-z0-9-]{1,20}))?$"
)
_FIX = re.compile(
    rf"^{FIX_PREFIX}(?P<unit>[a-z0-9]+(?:-[a-z0-9]+)*):(?P<period>[0-9A-Z-]{{4,7}})$"
)
PRIVATE = f.ChatType.PRIVATE
TYPED = PRIVATE & f.TEXT & ~f.COMMAND & ~f.UpdateType.EDITED
FIGURES = TYPED & f.Regex(r"\d")  # a message without a digit gives no figure


class State(StrEnum):
    PICK = "pick"  # an ambiguous label: which figure is it?
    FILE = "file"  # a file's changes: confirm or cancel
    CHOOSE = "choose"  # a correction: which figure?
    VALUE = "value"  # a correction: its new value, typed
    REASON = "reason"  # a stored figure changes: why?
    SUMMARY = "summary"  # what would be saved: confirm or cancel


class Action(StrEnum):
    PICK = "pk"  # argument: the candidate's index, or "n" for none
    PERIOD = "p"  # argument: a period key, lowercase
    ELEMENT = "el"  # argument: the question's index
    REASON = "r"  # argument: a reason's key
    CONFIRM = "ok"
    FILE_CONFIRM = "fok"
    CANCEL = "x"


Next = State | int | None

REASONS: Final = {
    "typo": N_("A typing error"),
    "update": N_("The figures were updated"),
}


@dataclass(slots=True)
class Draft:
    """Figures on their way to being saved, as JSON through to_json/from_json."""

    unit: str
    period: str
    token: str = field(
        default_factory=lambda: "".join(
            secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(6)
        )
    )
    step: int = 0
    answers: dict[str, int] = field(default_factory=dict)
    current: dict[str, int] = field(default_factory=dict)  # stored values the person was shown
    pending: list[tuple[str, int, list[str]]] = field(default_factory=list)  # to place
    unplaced: list[str] = field(default_factory=list)  # fragments no element fits
    refused: list[tuple[str, str]] = field(default_factory=list)  # fragment, reason shown
    element: str | None = None  # a correction: the figure corrected
    reason: str | None = None
    confirmed: bool = False  # Confirm was pressed; a reason is all that is missing
    file: dict[str, Any] | None = None  # a file's checked groups: {"name", "groups"}

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "period": self.period,
            "token": self.token,
            "step": self.step,
            "answers": dict(self.answers),
            "current": dict(self.current),
            "pending": [[a, v, list(c)] for a, v, c in self.pending],
            "unplaced": list(self.unplaced),
            "refused": [list(r) for r in self.refused],
            "element": self.element,
            "reason": self.reason,
            "confirmed": self.confirmed,
            "file": self.file,
        }

    @classmethod
    def from_json(cls, data: object) -> Draft | None:
        if not isinstance(data, dict):
            return None
        try:
            draft = cls(
                unit=str(data["unit"]),
                period=str(data["period"]),
                token=str(data["token"]),
                step=int(data["step"]),
                answers={str(k): int(v) for k, v in data["answers"].items()},
                current={str(k): int(v) for k, v in data["current"].items()},
                pending=[(str(a), int(v), [str(x) for x in c]) for a, v, c in data["pending"]],
                unplaced=[str(u) for u in data["unplaced"]],
                refused=[(str(a), str(b)) for a, b in data["refused"]],
                element=None if data["element"] is None else str(data["element"]),
                reason=None if data["reason"] is None else str(data["reason"]),
                confirmed=bool(data["confirmed"]),
                file=data.get("file") if isinstance(data.get("file"), dict) else None,
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        return draft if _TOKEN.match(draft.token) else None

    def form(self) -> sf.Form:
        """The /submit form these answers make, for its summary and its checks."""
        return sf.Form(
            unit=self.unit,
            token=self.token,
            step=self.step,
            period=self.period,
            answers=dict(self.answers),
            current=dict(self.current),
            reviewing=True,
        )

    def data(self, action: Action, argument: str | None = None) -> str:
        text = f"{PREFIX}:{self.token}:{self.step}:{action.value}"
        if argument is not None:
            text += f":{argument}"
        if len(text.encode()) > MAX_BYTES:
            raise ValueError(f"{text!r} is longer than Telegram's {MAX_BYTES} bytes")
        return text


@dataclass(frozen=True, slots=True)
class Press:
    token: str
    step: int
    action: Action
    argument: str | None


def parse_press(data: str | None) -> Press | None:
    match = _PRESS.match(data or "")
    if match is None:
        return None
    try:
        action = Action(match["action"])
    except ValueError:
        return None
    return Press(match["token"], int(match["step"]), action, match["argument"])


def fix_button(unit: str, period: Period, t: Translator) -> InlineKeyboardButton:
    """The "Correct a figure" button for the unit's figures of `period`."""
    return InlineKeyboardButton(
        t._("Correct a figure"), callback_data=f"{FIX_PREFIX}{unit}:{period.key}"
    )


# --- the draft in user_data -------------------------------------------------------------------


def load(context: Context) -> Draft | None:
    data = context.user_data.get(DRAFT_KEY) if context.user_data is not None else None
    return Draft.from_json(data)


def keep(context: Context, draft: Draft) -> None:
    assert context.user_data is not None
    context.user_data[DRAFT_KEY] = draft.to_json()


def drop(context: Context) -> None:
    if context.user_data is not None:
        context.user_data.pop(DRAFT_KEY, None)


def catalogue_of(context: Context, draft: Draft) -> tuple[Catalogue, Period, list[DataElement]]:
    period = Period.parse(draft.period)
    catalogue = context.services.catalogues.for_year(period.year)
    return catalogue, period, submit.questions_of(catalogue, draft.unit)


async def prompt(
    update: Update,
    context: Context,
    draft: Draft,
    text: str,
    rows: Sequence[Sequence[tuple[str, Action, str | None]]],
) -> None:
    """A new prompt: from now on only its buttons count."""
    draft.step += 1
    keep(context, draft)
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label, callback_data=draft.data(a, arg))
                for label, a, arg in row
            ]
            for row in rows
        ]
    )
    await submit.say(update, text, markup)


# --- free text --------------------------------------------------------------------------------


async def figures_typed(update: Update, context: Context) -> Next:
    """A private message outside any form: figures, if it holds any for the caller's unit."""
    caller = await identify_caller(update, context)
    message = update.effective_message
    if caller is None or message is None:
        return ConversationHandler.END
    tree = context.services.catalogues.newest.units
    units = submit.submit_units(caller, tree) if not caller.is_stranger else []
    if len(units) != 1:
        await anything_else(update, context)
        return ConversationHandler.END
    return await read_message(update, context, caller, units[0], message.text or "")


async def read_message(
    update: Update, context: Context, caller: Caller, unit: str, text: str
) -> Next:
    """Read the figures of `text`; the summary, or the first ambiguous label to place."""
    t = caller.t
    services = context.services
    catalogues = services.catalogues
    today = submit.today(context)
    current = catalogues.current_month(today)
    catalogue = catalogues.for_year(current.year)
    reading = read_figures(
        text,
        element_words(submit.questions_of(catalogue, unit)),
        parse_count,
        parse_flag,
        current.year,
        current,
    )
    if not reading.understood_anything and not reading.problems:
        await anything_else(update, context)
        return ConversationHandler.END
    period = reading.period or current
    years = sorted(catalogues.by_year)
    chosen = sf.choose_period(
        period.key, years, today, catalogues.newest.calendar.cutoff_day, current
    )
    if isinstance(chosen, sf.PeriodRefusal):
        await submit.say(update, sf.period_refusal_text(chosen, period.key, years, t))
        return ConversationHandler.END
    if chosen.year != catalogue.year:
        catalogue = catalogues.for_year(chosen.year)
        reading = read_figures(
            text,
            element_words(submit.questions_of(catalogue, unit)),
            parse_count,
            parse_flag,
            chosen.year,
            current,
        )
    questions = submit.questions_of(catalogue, unit)
    async with services.database.autocommit() as uow:
        clashes = await clashing_periods(uow, unit, [q.code for q in questions], chosen)
    if clashes:
        await submit.say(update, submit.clash_text(context, caller, unit, chosen, clashes))
        return ConversationHandler.END
    draft = Draft(
        unit=unit,
        period=chosen.key,
        answers=dict(reading.values),
        pending=[(a.fragment, a.value, list(a.candidates)) for a in reading.ambiguous],
        unplaced=list(reading.unplaced),
        refused=[(fragment, sf.count_problem_text(e, t)) for fragment, e in reading.problems],
    )
    return await next_question(update, context, caller, draft)


async def next_question(update: Update, context: Context, caller: Caller, draft: Draft) -> State:
    """The next ambiguous label to place, else the summary."""
    if not draft.pending:
        return await show_summary(update, context, caller, draft)
    t = caller.t
    catalogue, _period, _questions = catalogue_of(context, draft)
    fragment, value, candidates = draft.pending[0]
    text = t._(
        "In “{fragment}”, which figure is {value}?",
        fragment=fragment,
        value=count(value, t.language),
    )
    rows: list[list[tuple[str, Action, str | None]]] = [
        [(catalogue.element(code).short.get(t.language), Action.PICK, str(i))]
        for i, code in enumerate(candidates)
    ]
    rows.append([(t._("None of these: leave it out"), Action.PICK, "n")])
    rows.append([(t._("Cancel"), Action.CANCEL, None)])
    await prompt(update, context, draft, text, rows)
    return State.PICK


async def pick_pressed(
    update: Update, context: Context, caller: Caller, draft: Draft, press: Press
) -> Next:
    """The figure an ambiguous label names (or none): placed, then the next question."""
    if not draft.pending:
        return await show_summary(update, context, caller, draft)
    fragment, value, candidates = draft.pending.pop(0)
    argument = press.argument or ""
    if argument.isdigit() and int(argument) < len(candidates):
        draft.answers[candidates[int(argument)]] = value
    else:
        draft.unplaced.append(fragment)
    return await next_question(update, context, caller, draft)


# --- one figure corrected ---------------------------------------------------------------------


async def fix_pressed(update: Update, context: Context) -> Next:
    """ "Correct a figure" under a unit's figures: which period (if several), which figure?"""
    query = update.callback_query
    caller = await identify_caller(update, context)
    if query is None or caller is None:
        return None
    match = _FIX.match(query.data or "")
    catalogues = context.services.catalogues
    try:
        period = Period.parse(match["period"]) if match else None
    except PeriodError:
        period = None
    if match is None or period is None or period.year not in catalogues.by_year:
        await submit.stale_button(update, context)
        return None
    unit = match["unit"]
    tree = catalogues.for_year(period.year).units
    if unit not in tree:
        await submit.stale_button(update, context)
        return None
    await query.answer()
    if not submit.may_submit(caller, unit, tree):
        await submit.say(
            update, submit.not_yours_text(caller, tree.describe(unit, caller.language))
        )
        return ConversationHandler.END
    draft = Draft(unit=unit, period=period.key)
    _catalogue, period, questions = catalogue_of(context, draft)
    async with context.services.database.autocommit() as uow:
        periods = await correctable_periods(uow, unit, [q.code for q in questions], period)
    if len(periods) == 1:
        return await choose_figure(update, context, caller, draft, periods[0])
    t = caller.t
    rows: list[list[tuple[str, Action, str | None]]] = [
        [(period_name(p, t), Action.PERIOD, p.key.lower())] for p in periods
    ]
    rows.append([(t._("Cancel"), Action.CANCEL, None)])
    text = t._(
        "{unit} reported {period} period by period: which one do you want to correct?",
        unit=submit.unit_label(context, unit, caller.language),
        period=period_name(period, t),
    )
    await prompt(update, context, draft, text, rows)
    return State.CHOOSE


async def period_pressed(
    update: Update, context: Context, caller: Caller, draft: Draft, press: Press
) -> Next:
    """The period whose figures to correct."""
    try:
        period = Period.parse((press.argument or "").upper())
    except PeriodError:
        await submit.stale_button(update, context)
        return None
    return await choose_figure(update, context, caller, draft, period)


async def choose_figure(
    update: Update, context: Context, caller: Caller, draft: Draft, period: Period
) -> State:
    """Every figure of the unit for `period`, with its value, as a button."""
    draft.period = period.key
    _catalogue, period, questions = catalogue_of(context, draft)
    async with context.services.database.autocommit() as uow:
        stored = await uow.figures.current_of(draft.unit, period)
    draft.current = {q.code: stored[q.code] for q in questions if q.code in stored}
    t = caller.t
    text = t._(
        "{heading}\nWhich figure do you want to correct?",
        heading=sf.heading(submit.unit_label(context, draft.unit, caller.language), period, t),
    )
    rows: list[list[tuple[str, Action, str | None]]] = [
        [
            (
                f"{q.short.get(t.language)}: {sf.shown(q, draft.current.get(q.code), t)}",
                Action.ELEMENT,
                str(i),
            )
        ]
        for i, q in enumerate(questions)
    ]
    rows.append([(t._("Cancel"), Action.CANCEL, None)])
    await prompt(update, context, draft, text, rows)
    return State.CHOOSE


def with_fix_button(
    markup: InlineKeyboardMarkup | None,
    context: Context,
    caller: Caller,
    unit: str,
    period: Period,
) -> InlineKeyboardMarkup | None:
    """`markup` with a "Correct a figure" row, when the caller may report for the unit."""
    tree = context.services.catalogues.for_year(period.year).units
    if unit not in tree or not submit.may_submit(caller, unit, tree):
        return markup
    rows = list(markup.inline_keyboard) if markup is not None else []
    return InlineKeyboardMarkup([*rows, [fix_button(unit, period, caller.t)]])


async def element_pressed(
    update: Update, context: Context, caller: Caller, draft: Draft, press: Press
) -> Next:
    """The figure to correct: ask its new value."""
    _catalogue, _period, questions = catalogue_of(context, draft)
    argument = press.argument or ""
    if not argument.isdigit() or int(argument) >= len(questions):
        await submit.stale_button(update, context)
        return None
    draft.element = questions[int(argument)].code
    return await ask_value(update, context, caller, draft)


async def ask_value(
    update: Update, context: Context, caller: Caller, draft: Draft, error: str | None = None
) -> State:
    t = caller.t
    catalogue, period, _questions = catalogue_of(context, draft)
    assert draft.element is not None
    element = catalogue.element(draft.element)
    lines = [
        sf.heading(submit.unit_label(context, draft.unit, caller.language), period, t),
        t._("New value of {name}?", name=element.name.get(t.language)),
        t._(
            "Current value: {value}.", value=sf.shown(element, draft.current.get(element.code), t)
        ),
    ]
    before = (await submit.previous_values(context, draft.unit, period)).get(element.code)
    if before is not None:
        lines.append("(" + sf.previous_label(period, sf.shown(element, before, t), t) + ")")
    if error:
        lines.insert(0, error)
    await prompt(
        update, context, draft, "\n".join(lines), [[(t._("Cancel"), Action.CANCEL, None)]]
    )
    return State.VALUE


async def value_typed(update: Update, context: Context) -> Next:
    """The corrected figure's new value: checked as /submit checks an answer."""
    caller, draft = await typed(update, context)
    if caller is None or draft is None or draft.element is None:
        return ConversationHandler.END
    assert update.effective_message is not None
    catalogue, _period, _questions = catalogue_of(context, draft)
    element = catalogue.element(draft.element)
    text = update.effective_message.text or ""
    try:
        value = sf.read_answer(element, text)
    except CountError as error:
        return await ask_value(
            update,
            context,
            caller,
            draft,
            quoted(text, sf.count_problem_text(error, caller.t), caller.t),
        )
    except sf.FlagAnswerError:
        return await ask_value(
            update, context, caller, draft, quoted(text, sf.flag_problem_text(caller.t), caller.t)
        )
    draft.answers = {element.code: value}
    if element.code in draft.current and draft.current[element.code] != value:
        return await ask_reason(update, context, caller, draft)
    return await show_summary(update, context, caller, draft)


def quoted(text: str, problem: str, t: Translator) -> str:
    """A refusal that quotes what was typed (once: a count's refusal may already)."""
    if problem.startswith("“"):
        return problem
    shown = text.strip()
    if len(shown) > 40:
        shown = shown[:39] + "…"
    return t._("“{text}”: {problem}", text=shown, problem=problem)


# --- the summary, the reason, saving ----------------------------------------------------------


async def show_summary(
    update: Update, context: Context, caller: Caller, draft: Draft, note: str | None = None
) -> State:
    """What would be saved (old → new), what could not be placed, what is still missing."""
    t = caller.t
    catalogue, period, questions = catalogue_of(context, draft)
    async with context.services.database.autocommit() as uow:
        stored = await uow.figures.current_of(draft.unit, period)
    draft.current = {q.code: stored[q.code] for q in questions if q.code in stored}
    form = draft.form()
    result = await submit.preview(context, form)
    parts = [sf.heading(submit.unit_label(context, draft.unit, caller.language), period, t)]
    if note:
        parts.insert(0, note)
    lines = sf.change_lines(form, questions, result.plan, t)
    parts.append(
        t._("This is what I understood:")
        + "\n"
        + ("\n".join(lines) if lines else t._("No figure yet."))
    )
    left_out = [f"• “{u}”" for u in draft.unplaced] + [
        f"• “{a}”: {why}" for a, why in draft.refused
    ]
    if left_out:
        parts.append(
            t._("I could not place these, so they are left out:") + "\n" + "\n".join(left_out)
        )
    if draft.element is None:
        missing = [
            q.short.get(t.language)
            for q in questions
            if q.code not in draft.answers and q.code not in draft.current
        ]
        if missing:
            parts.append(t._("Still missing for this period: {names}.", names=", ".join(missing)))
    if draft.reason:
        parts.append(t._("Reason: {reason}", reason=draft.reason))
    rows: list[list[tuple[str, Action, str | None]]] = []
    if result.problems:
        parts.append(
            t._("These figures break a rule, so they cannot be saved yet:")
            + "\n"
            + "\n".join(sf.problem_text(p, catalogue, period, t) for p in result.problems)
        )
        parts.append(t._("Send the figures again, corrected, or cancel."))
    else:
        rates = [
            render.line_text(line, catalogue, t)
            for line in sf.touched_lines(result.lines, set(draft.answers))
        ]
        if rates:
            parts.append(t._("Rates once saved:") + "\n" + "\n".join(rates))
        if draft.answers:
            parts.append(t._("Nothing is saved until you press Confirm."))
            rows.append([(t._("Confirm"), Action.CONFIRM, None)])
    rows.append([(t._("Cancel"), Action.CANCEL, None)])
    await prompt(update, context, draft, "\n\n".join(parts), rows)
    return State.SUMMARY


async def ask_reason(
    update: Update, context: Context, caller: Caller, draft: Draft, plan: Plan | None = None
) -> State:
    """Why saved figures change: a button, or a reason typed."""
    t = caller.t
    _catalogue, _period, questions = catalogue_of(context, draft)
    if plan is None:
        plan = Plan(draft.unit, Period.parse(draft.period))
        plan.changes.extend(
            Change(code, draft.current.get(code), value) for code, value in draft.answers.items()
        )
    text, _rows = sf.reason_prompt(questions, plan, t)
    rows: list[list[tuple[str, Action, str | None]]] = [
        [(t._(label), Action.REASON, key)] for key, label in REASONS.items()
    ]
    rows.append([(t._("Cancel"), Action.CANCEL, None)])
    await prompt(update, context, draft, text, rows)
    return State.REASON


async def reason_pressed(
    update: Update, context: Context, caller: Caller, draft: Draft, press: Press
) -> Next:
    label = REASONS.get(press.argument or "")
    if label is None:
        await submit.stale_button(update, context)
        return None
    return await reason_given(update, context, caller, draft, caller.t._(label))


async def reason_typed(update: Update, context: Context) -> Next:
    caller, draft = await typed(update, context)
    if caller is None or draft is None:
        return ConversationHandler.END
    assert update.effective_message is not None
    text = update.effective_message.text or ""
    problem = sf.reason_problem(text, caller.t)
    if problem is not None:
        await submit.say(update, problem)
        return State.REASON
    return await reason_given(update, context, caller, draft, text.strip())


async def reason_given(
    update: Update, context: Context, caller: Caller, draft: Draft, reason: str
) -> Next:
    draft.reason = reason
    if draft.confirmed:
        return await save(update, context, caller, draft)
    return await show_summary(update, context, caller, draft)


async def confirm_pressed(
    update: Update, context: Context, caller: Caller, draft: Draft, press: Press
) -> Next:
    """Confirm: save (asking first why, when a saved figure changes)."""
    del press
    draft.confirmed = True
    return await save(update, context, caller, draft)


async def save(update: Update, context: Context, caller: Caller, draft: Draft) -> Next:
    """Save through /submit's plan, unless the figures moved since the summary was shown."""
    t = caller.t
    catalogue, period, _questions = catalogue_of(context, draft)
    if not submit.may_submit(caller, draft.unit, catalogue.units):
        drop(context)
        await submit.say(
            update,
            submit.not_yours_text(caller, submit.unit_label(context, draft.unit, caller.language)),
        )
        return ConversationHandler.END
    form = draft.form()
    saved: submit.Saved | None = None
    moved: list[str] = []
    async with context.services.database.unit_of_work() as uow:
        try:
            plan: Plan | None = await plan_for_saving(
                uow, catalogue, draft.unit, period, draft.answers
            )
        except RejectedSubmissionError:
            plan = None
        if plan is not None:
            moved = figures_moved(plan, draft.answers, draft.current)
            if not moved and plan.changes and (not plan.is_correction or draft.reason):
                saved = await submit.commit_plan(
                    uow, context, caller, form, plan, draft.reason if plan.is_correction else None
                )
    if plan is None:
        draft.confirmed = False
        return await show_summary(update, context, caller, draft)
    if moved:
        draft.confirmed = False
        names = ", ".join(catalogue.element(code).short.get(t.language) for code in moved)
        return await show_summary(
            update,
            context,
            caller,
            draft,
            t._(
                "Someone saved these figures after this summary was made ({names}): here is the"
                " summary again, with the figures now saved. Check it and confirm again.",
                names=names,
            ),
        )
    if saved is not None:
        return await announce(update, context, caller, draft, saved)
    if not plan.changes:
        drop(context)
        await submit.say(update, t._("Nothing to save: every figure is as already saved."))
        return ConversationHandler.END
    return await ask_reason(update, context, caller, draft, plan)


async def announce(
    update: Update, context: Context, caller: Caller, draft: Draft, saved: submit.Saved
) -> int:
    catalogue, period, _questions = catalogue_of(context, draft)
    touched = [
        render.line_text(line, catalogue, caller.t)
        for line in sf.touched_lines(saved.lines, {c.element for c in saved.plan.changes})
    ]
    drop(context)
    text = sf.saved_text(
        len(saved.revisions),
        submit.unit_label(context, draft.unit, caller.language),
        period,
        touched,
        caller.t,
    )
    markup = InlineKeyboardMarkup([[fix_button(draft.unit, period, caller.t)]])
    await submit.say(update, text, markup)
    return ConversationHandler.END


# --- figures sent as a file -------------------------------------------------------------------


def file_groups(data: dict[str, Any]) -> list[FileGroup]:
    return [
        FileGroup(unit, Period.parse(period), dict(values), dict(notes), dict(old))
        for unit, period, values, notes, old in data["groups"]
    ]


def groups_json(groups: Sequence[FileGroup]) -> list[list[Any]]:
    return [[g.unit, g.period.key, g.values, g.notes, g.old] for g in groups]


async def file_received(update: Update, context: Context) -> Next:
    """A .xlsx or .csv of figures: checked as the import checks it, then what would change."""
    caller = await identify_caller(update, context)
    message = update.effective_message
    if caller is None or message is None or message.document is None:
        return ConversationHandler.END
    t = caller.t
    catalogues = context.services.catalogues
    tree = catalogues.newest.units
    if caller.is_stranger:
        await anything_else(update, context)
        return ConversationHandler.END
    if not caller.is_admin and not submit.submit_units(caller, tree):
        await submit.say(update, submit.no_unit_text(caller))
        return ConversationHandler.END
    document = message.document
    name = (document.file_name or "").strip() or "file"
    suffix = Path(name).suffix.lower()
    if suffix not in FILE_SUFFIXES:
        await submit.say(update, wrong_kind_text(name, t))
        return ConversationHandler.END
    if (document.file_size or 0) > MAX_FILE_BYTES:
        await submit.say(update, too_large_text(name, t))
        return ConversationHandler.END
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / (re.sub(r"[^\w.-]", "_", Path(name).stem)[:60] + suffix)
        await (await document.get_file()).download_to_drive(path)
        if path.stat().st_size > MAX_FILE_BYTES:
            await submit.say(update, too_large_text(name, t))
            return ConversationHandler.END
        try:
            async with context.services.database.autocommit() as uow:
                groups = await check_file(
                    uow,
                    catalogues,
                    path,
                    Path(folder),
                    lambda unit: unit in tree and submit.may_submit(caller, unit, tree),
                )
        except ImportRejectedError as rejected:
            await submit.say(update, rejected_text(name, rejected, t, catalogues.newest))
            return ConversationHandler.END
        except NotYourUnitsError as foreign:
            units = ", ".join(
                submit.unit_label(context, u, caller.language) for u in foreign.units
            )
            await submit.say(
                update,
                t._(
                    "“{name}” changes the figures of {units}, which you do not report for:"
                    " nothing was changed.",
                    name=name,
                    units=units,
                ),
            )
            return ConversationHandler.END
        except DomainError as error:
            await submit.say(
                update, t._("“{name}” cannot be read: {reason}", name=name, reason=str(error))
            )
            return ConversationHandler.END
    if not any(g.old for g in groups):
        await submit.say(
            update,
            t._("“{name}”: every figure in it is as already saved; nothing to change.", name=name),
        )
        return ConversationHandler.END
    first = groups[0]
    draft = Draft(
        unit=first.unit,
        period=first.period.key,
        file={"name": name, "groups": groups_json(groups)},
    )
    return await show_file(update, context, caller, draft, groups)


def wrong_kind_text(name: str, t: Translator) -> str:
    return t._(
        "“{name}” is not a file I can read: send the workbook /export makes (.xlsx), filled in"
        " or edited, or a .csv with the columns unit, element, period, value.",
        name=name,
    )


def too_large_text(name: str, t: Translator) -> str:
    return t._(
        "“{name}” is larger than {limit} MB: send the figures of fewer units or periods.",
        name=name,
        limit=MAX_FILE_BYTES // 1_000_000,
    )


def rejected_text(
    name: str, rejected: ImportRejectedError, t: Translator, catalogue: Catalogue | None = None
) -> str:
    shown = rejected.errors[:10]
    lines = [
        t._("Row {row}: {reason}", row=e.row, reason=row_error_text(e, t, catalogue))
        for e in shown
    ]
    if len(rejected.errors) > len(shown):
        lines.append(t._("… and {count} more.", count=len(rejected.errors) - len(shown)))
    return (
        t._("“{name}” has figures that cannot be saved, so nothing was changed:", name=name)
        + "\n"
        + "\n".join(lines)
    )


async def show_file(
    update: Update,
    context: Context,
    caller: Caller,
    draft: Draft,
    groups: Sequence[FileGroup],
    note: str | None = None,
) -> State:
    """Old → new of every figure the file changes, by unit and period; Confirm or Cancel."""
    t = caller.t
    assert draft.file is not None
    parts = [note] if note else []
    parts.append(t._("“{name}”: what would change:", name=draft.file["name"]))
    unchanged = 0
    for group in groups:
        catalogue = context.services.catalogues.for_year(group.period.year)
        lines = [
            sf.heading(submit.unit_label(context, group.unit, caller.language), group.period, t)
        ]
        for code, new in group.changed.items():
            element = catalogue.element(code)
            old = group.old[code]
            lines.append(
                f"• {element.short.get(t.language)}: "
                + (f"{sf.shown(element, old, t)} → " if old is not None else "")
                + sf.shown(element, new, t)
            )
        unchanged += len(group.values) - len(group.changed)
        if len(lines) > 1:
            parts.append("\n".join(lines))
    if unchanged:
        parts.append(t._("Figures unchanged: {count}.", count=unchanged))
    parts.append(t._("Nothing is saved until you press Confirm."))
    rows = [
        [(t._("Confirm"), Action.FILE_CONFIRM, None)],
        [(t._("Cancel"), Action.CANCEL, None)],
    ]
    await prompt(update, context, draft, render.fit("\n\n".join(parts)), rows)
    return State.FILE


async def file_confirm_pressed(
    update: Update, context: Context, caller: Caller, draft: Draft, press: Press
) -> Next:
    """Confirm a file: saved through /submit's plan, unless figures moved since the check."""
    del press
    t = caller.t
    if draft.file is None:
        await submit.stale_button(update, context)
        return None
    services = context.services
    catalogues = services.catalogues
    groups = file_groups(draft.file)
    tree = catalogues.newest.units
    if not all(
        g.unit in tree and submit.may_submit(caller, g.unit, tree) for g in groups if g.old
    ):
        drop(context)
        await submit.say(update, t._("Cancelled. Nothing was changed."))
        return ConversationHandler.END
    name = str(draft.file["name"])
    try:
        async with services.database.unit_of_work() as uow:
            saved = await save_file(
                uow,
                catalogues,
                groups,
                submit.author_of(caller),
                name,
                services.clock(),
                services.alerts,
            )
            if not saved.moved:
                await uow.commit()
    except RejectedSubmissionError as rejected:
        drop(context)
        await submit.say(
            update,
            t._("“{name}” has figures that cannot be saved, so nothing was changed:", name=name)
            + "\n"
            + "\n".join(p.message for p in rejected.problems),
        )
        return ConversationHandler.END
    if saved.moved:
        async with services.database.autocommit() as uow:
            fresh = await replan(uow, catalogues, groups)
        draft.file["groups"] = groups_json(fresh)
        return await show_file(
            update,
            context,
            caller,
            draft,
            fresh,
            t._(
                "Someone saved some of these figures after this summary was made: here it is"
                " again, with the figures now saved. Check it and confirm again."
            ),
        )
    services.outbox_ready()
    drop(context)
    await submit.say(
        update,
        t._(
            "Saved from “{name}”: figures changed: {count}.", name=name, count=len(saved.revisions)
        ),
    )
    return ConversationHandler.END


# --- leaving, and what does not fit -----------------------------------------------------------


async def cancel_pressed(
    update: Update, context: Context, caller: Caller, draft: Draft, press: Press
) -> Next:
    del draft, press
    drop(context)
    await submit.say(update, caller.t._("Cancelled. Nothing was changed."))
    return ConversationHandler.END


async def cancel_command(update: Update, context: Context) -> int:
    drop(context)
    return await cancelled(update, context)


async def new_message(update: Update, context: Context) -> Next:
    """Figures typed again while a summary waits: they replace it."""
    caller, draft = await typed(update, context)
    if caller is None or draft is None:
        return ConversationHandler.END
    assert update.effective_message is not None
    return await read_message(
        update, context, caller, draft.unit, update.effective_message.text or ""
    )


async def unexpected(update: Update, context: Context) -> None:
    caller = await identify_caller(update, context)
    if caller is None:
        return
    await submit.say(
        update,
        caller.t._(
            "I did not expect that here: use the buttons of the last message above, or send"
            " /cancel to stop."
        ),
    )


async def typed(update: Update, context: Context) -> tuple[Caller | None, Draft | None]:
    caller = await identify_caller(update, context)
    draft = load(context)
    if caller is not None and draft is None:
        await submit.say(
            update, caller.t._("These figures are no longer waiting: send them again.")
        )
    return caller, draft


DraftCallback = Callable[[Update, Context, Caller, Draft, Press], Coroutine[Any, Any, Next]]


def on_press(callback: DraftCallback, *actions: Action) -> BaseHandler[Update, Context, object]:
    """The handler of presses of these actions on the draft's latest prompt."""

    @functools.wraps(callback)
    async def checked(update: Update, context: Context) -> Next:
        query = update.callback_query
        caller = await identify_caller(update, context)
        if query is None or caller is None:
            return None
        draft = load(context)
        press = parse_press(query.data)
        if (
            draft is None
            or press is None
            or press.token != draft.token
            or press.step != draft.step
        ):
            await submit.stale_button(update, context)
            return None
        await query.answer()
        return await callback(update, context, caller, draft, press)

    names = "|".join(a.value for a in actions)
    pattern = rf"^{PREFIX}:[a-z0-9]{{6}}:[0-9]{{1,6}}:(?:{names})(?::[a-z0-9-]{{1,20}})?$"
    return CallbackQueryHandler[Context, object](checked, pattern=pattern)


def conversation() -> ConversationHandler[Context]:
    cancel = on_press(cancel_pressed, Action.CANCEL)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "If 'per_message=False'", PTBUserWarning)
        return ConversationHandler(
            entry_points=[
                MessageHandler(FIGURES, figures_typed),
                MessageHandler(PRIVATE & f.Document.ALL, file_received),
                CallbackQueryHandler(fix_pressed, pattern=rf"^{FIX_PREFIX}"),
            ],
            states={
                State.PICK: [on_press(pick_pressed, Action.PICK)],
                State.CHOOSE: [
                    on_press(element_pressed, Action.ELEMENT),
                    on_press(period_pressed, Action.PERIOD),
                ],
                State.VALUE: [MessageHandler(TYPED, value_typed)],
                State.REASON: [
                    on_press(reason_pressed, Action.REASON),
                    MessageHandler(TYPED, reason_typed),
                ],
                State.FILE: [on_press(file_confirm_pressed, Action.FILE_CONFIRM)],
                State.SUMMARY: [
                    on_press(confirm_pressed, Action.CONFIRM),
                    MessageHandler(FIGURES, new_message),
                ],
            },
            fallbacks=[
                cancel,
                CommandHandler("cancel", cancel_command),
                CallbackQueryHandler(fix_pressed, pattern=rf"^{FIX_PREFIX}"),
                CallbackQueryHandler(submit.stale_button, pattern=rf"^{PREFIX}:"),
                MessageHandler(PRIVATE & ~f.COMMAND, unexpected),
            ],
            name="quick",
            persistent=True,
        )


def handlers() -> list[BaseHandler[Any, Context, Any]]:
    """The conversation, then what answers a stale button of it."""
    return [
        conversation(),
        CallbackQueryHandler(submit.stale_button, pattern=rf"^{PREFIX}:"),
    ]

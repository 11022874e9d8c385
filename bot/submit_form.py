"""The /submit form without Telegram: its state, its questions, its buttons and its texts.

    form = Form.new("so-tu-phap")            # kept in user_data["submit"] as form.to_json()
    form.period = "2022-12"; form.current = {...}
    questions = catalogue.elements_for(unit)
    value = read_answer(questions[form.index], "1.020")   # CountError when it is not a count
    form.answer(questions, value)                        # True: another question follows

Every value here is plain JSON once written (`to_json`), so a form survives a restart of the
bot. Button data is `sb:<form>:<step>:<action>[:<argument>]`: a press counts only when it
carries the form's token and its latest step, so a button of a finished, cancelled or older
prompt changes nothing. Texts are rendered with a Translator; numbers with i18n.formatting.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Final

from i18n.formatting import count, period_name
from i18n.problems import count_problem_text as count_problem_text  # noqa: PLC0414 (sf.count_problem_text, re-exported)
from i18n.translations import N_, Translator
from kpi.catalogue import Catalogue
from kpi.elements import DataElement, ElementKind
from kpi.errors import CountError, PeriodError
from kpi.evaluation import Line
from kpi.numbers import parse_count, parse_flag
from kpi.period_words import read_period
from kpi.periods import Period, PeriodKind
from services.figures import Plan, Problem

FORM_KEY: Final = "submit"  # context.user_data[FORM_KEY]
PREFIX: Final = "sb"
MAX_BYTES: Final = 64  # Telegram's limit on callback_data
MAX_REASON: Final = 500  # characters of a correction's reason
TOKEN_LENGTH: Final = 6
_TOKEN = re.compile(r"^[a-z0-9]{6}$")
_UNIT = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_PRESS = re.compile(
    rf"^{PREFIX}:(?P<token>[a-z0-9]{{6}}):(?P<step>[0-9]{{1,6}}):(?P<action>[a-z]{{1,4}})"
    r"(?::(?P<argument>[A-Za-z0-9-]{1,20}))?$"
)
UNIT_BUTTON: Final = f"{PREFIX}:u:"
UNIT_PATTERN: Final = rf"^{PREFIX}:u:"
PATTERN: Final = rf"^{PREFIX}:"


class Action(StrEnum):
    """What a button of the form does (the fourth field of its data)."""

    PERIOD = "p"  # argument: a period key
    OTHER_PERIOD = "po"
    SKIP = "s"
    BACK = "b"
    YES = "y"
    NO = "n"
    CANCEL = "x"
    CONFIRM = "ok"
    EDIT_LIST = "ed"
    EDIT = "e"  # argument: the question's index
    SUMMARY = "sum"


def action_pattern(*actions: Action) -> str:
    """The CallbackQueryHandler pattern of presses of these actions (token and step unchecked)."""
    names = "|".join(re.escape(a.value) for a in actions)
    return rf"^{PREFIX}:[a-z0-9]{{6}}:[0-9]{{1,6}}:(?:{names})(?::[A-Za-z0-9-]{{1,20}})?$"


@dataclass(frozen=True, slots=True)
class Press:
    """A press of one of the form's buttons, as read back from its data."""

    token: str
    step: int
    action: Action
    argument: str | None = None


def parse_press(data: str | None) -> Press | None:
    """The press behind button data; None for anything malformed or unknown."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    match = _PRESS.match(data)
    if match is None:
        return None
    try:
        action = Action(match["action"])
    except ValueError:
        return None
    return Press(match["token"], int(match["step"]), action, match["argument"])


def unit_button(code: str) -> str:
    """The data of a button that starts a form for a unit (checked again when pressed)."""
    data = f"{UNIT_BUTTON}{code}"
    if len(data.encode()) > MAX_BYTES or not _UNIT.match(code):
        raise ValueError(f"{code!r} cannot be put on a button")
    return data


def parse_unit_button(data: str | None) -> str | None:
    """The unit code of a unit button; None if the data is not one."""
    if not data or not data.startswith(UNIT_BUTTON) or len(data.encode()) > MAX_BYTES:
        return None
    code = data.removeprefix(UNIT_BUTTON)
    return code if _UNIT.match(code) else None


@dataclass(frozen=True, slots=True)
class Button:
    """A button before it is given the form's token and step."""

    label: str
    action: Action
    argument: str | None = None


Keyboard = list[list[Button]]


@dataclass(slots=True)
class Form:
    """One person's /submit in progress; JSON through to_json/from_json."""

    unit: str
    token: str
    step: int = 0  # which prompt's buttons count: incremented with every new prompt
    period: str | None = None  # a period key once chosen
    index: int = 0  # the question asked
    answers: dict[str, int] = field(default_factory=dict)
    current: dict[str, int] = field(default_factory=dict)  # stored values when the form began
    reviewing: bool = False  # the summary was shown: an answer goes back to it
    previous: dict[str, int] = field(default_factory=dict)  # the previous period's values
    flagged: dict[str, int] = field(default_factory=dict)  # far from previous, asked once

    @classmethod
    def new(cls, unit: str) -> Form:
        token = "".join(
            secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(TOKEN_LENGTH)
        )
        return cls(unit=unit, token=token)

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "token": self.token,
            "step": self.step,
            "period": self.period,
            "index": self.index,
            "answers": dict(self.answers),
            "current": dict(self.current),
            "reviewing": self.reviewing,
            "previous": dict(self.previous),
            "flagged": dict(self.flagged),
        }

    @classmethod
    def from_json(cls, data: object) -> Form | None:
        """The form stored in user_data; None if absent or not in this version's shape."""
        if not isinstance(data, dict):
            return None
        unit, token, step = data.get("unit"), data.get("token"), data.get("step")
        period, index = data.get("period"), data.get("index")
        answers, current = data.get("answers"), data.get("current")
        if not (
            isinstance(unit, str)
            and isinstance(token, str)
            and _TOKEN.match(token)
            and isinstance(step, int)
            and (period is None or isinstance(period, str))
            and isinstance(index, int)
            and _counts(answers)
            and _counts(current)
        ):
            return None
        assert isinstance(answers, dict)
        assert isinstance(current, dict)
        return cls(
            unit=unit,
            token=token,
            step=step,
            period=period,
            index=index,
            answers=dict(answers),
            current=dict(current),
            reviewing=bool(data.get("reviewing")),
            previous=_counts_or_empty(data.get("previous")),
            flagged=_counts_or_empty(data.get("flagged")),
        )

    # the buttons of the next prompt

    def next_step(self) -> int:
        """A new prompt is shown: only its buttons count from now on."""
        self.step += 1
        return self.step

    def button_data(self, button: Button) -> str:
        data = f"{PREFIX}:{self.token}:{self.step}:{button.action.value}"
        if button.argument is not None:
            data += f":{button.argument}"
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"{data!r} is longer than Telegram's {MAX_BYTES} bytes")
        return data

    def accepts(self, press: Press | None) -> bool:
        """Whether the press is on this form's latest prompt."""
        return press is not None and press.token == self.token and press.step == self.step

    # moving through the questions

    def question(self, questions: Sequence[DataElement]) -> DataElement:
        return questions[min(max(self.index, 0), len(questions) - 1)]

    def value_of(self, code: str) -> int | None:
        """The value the form would leave: the answer, else the stored one."""
        return self.answers.get(code, self.current.get(code))

    def answer(self, questions: Sequence[DataElement], value: int) -> bool:
        """Keep the answer to the current question; True if another question follows."""
        self.answers[self.question(questions).code] = value
        return self.advance(questions)

    def skip(self, questions: Sequence[DataElement]) -> bool:
        """Leave the current question unanswered (its stored value stays); True if another
        question follows."""
        self.answers.pop(self.question(questions).code, None)
        return self.advance(questions)

    def advance(self, questions: Sequence[DataElement]) -> bool:
        if self.reviewing:
            return False
        self.index += 1
        return self.index < len(questions)

    def back(self) -> bool:
        """Go to the previous question; False when there is none (the period comes before)."""
        if self.index <= 0:
            return False
        self.index -= 1
        return True

    def edit(self, questions: Sequence[DataElement], index: int) -> bool:
        """Ask question `index` again, then come back to the summary."""
        if not 0 <= index < len(questions):
            return False
        self.index = index
        self.reviewing = True
        return True

    def answered(self, questions: Sequence[DataElement]) -> list[DataElement]:
        return [q for q in questions if q.code in self.answers]


def _counts_or_empty(value: object) -> dict[str, int]:
    return dict(value) if _counts(value) and isinstance(value, dict) else {}


def _counts(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
        for k, v in value.items()
    )


# --- answers ----------------------------------------------------------------------------------


class FlagAnswerError(ValueError):
    """A yes/no question answered with something else."""


def read_answer(element: DataElement, text: str) -> int:
    """The value typed for `element`: CountError for a bad count, FlagAnswerError for a bad
    yes/no."""
    if element.kind is ElementKind.FLAG:
        try:
            return parse_flag(text)
        except CountError:
            raise FlagAnswerError(text) from None
    return parse_count(text)


@dataclass(frozen=True, slots=True)
class PartTooLarge:
    """An "of those" answer larger than its whole."""

    part: DataElement
    value: int
    whole: DataElement
    whole_value: int


def part_too_large(
    element: DataElement, value: int, form: Form, questions: Sequence[DataElement]
) -> PartTooLarge | None:
    """Whether `value` for `element` exceeds the value its whole has in this form."""
    if element.part_of is None:
        return None
    whole = next((q for q in questions if q.code == element.part_of), None)
    if whole is None:
        return None
    whole_value = form.value_of(whole.code)
    if whole_value is None or value <= whole_value:
        return None
    return PartTooLarge(element, value, whole, whole_value)


def flag_problem_text(t: Translator) -> str:
    return t._("Answer Yes or No with the buttons, or type có / không.")


def part_too_large_text(problem: PartTooLarge, t: Translator) -> str:
    language = t.language
    return t._(
        "{part} cannot be more than {whole}: you gave {value}, and {whole} is {whole_value}."
        " Type the number again.",
        part=problem.part.short.get(language),
        whole=problem.whole.short.get(language),
        value=count(problem.value, language),
        whole_value=count(problem.whole_value, language),
    )


# --- the previous period and the typo guard ---------------------------------------------------

TYPO_FACTOR: Final = 10  # a value this many times larger or smaller than last period's is asked


def previous_period(period: Period) -> Period | None:
    """The month before a month, the quarter before a quarter; None for longer periods."""
    if period.kind is PeriodKind.MONTH:
        index = period.year * 12 + period.first - 2
        return Period.month(index // 12, index % 12 + 1)
    if period.kind is PeriodKind.QUARTER:
        index = period.year * 4 + period.quarter_number - 2
        return Period.quarter(index // 4, index % 4 + 1)
    return None


def previous_label(period: Period, value: str, t: Translator) -> str:
    if period.kind is PeriodKind.QUARTER:
        return t._("last quarter: {value}", value=value)
    return t._("last month: {value}", value=value)


def far_from_previous(element: DataElement, value: int, form: Form) -> int | None:
    """The previous period's value when `value` is about ten times it or a tenth of it (a
    digit typed twice or dropped) and was not already confirmed once; else None."""
    before = form.previous.get(element.code)
    if (
        element.kind is ElementKind.FLAG
        or before is None
        or form.flagged.get(element.code) == value
    ):
        return None
    if before <= 0 or value <= 0:
        return None
    if value >= before * TYPO_FACTOR or value * TYPO_FACTOR <= before:
        return before
    return None


def far_text(value: int, before: int, period: Period, t: Translator) -> str:
    return t._(
        "“{value}” is far from {previous}: if it is right, send it again; otherwise type the"
        " right number.",
        value=count(value, t.language),
        previous=previous_label(period, count(before, t.language), t),
    )


# --- periods ----------------------------------------------------------------------------------


def period_choices(current: Period) -> list[tuple[Period, str]]:
    """The periods offered as buttons: (period, which), which is current|previous|quarter."""
    choices = [(current, "current")]
    if current.first > 1:
        choices.append((Period.month(current.year, current.first - 1), "previous"))
    choices.append((Period.quarter(current.year, current.quarter_number), "quarter"))
    return choices


class PeriodRefusal(StrEnum):
    MALFORMED = "malformed"
    NO_CATALOGUE = "no_catalogue"
    NOT_BEGUN = "not_begun"


def choose_period(
    text: str, years: Sequence[int], today: date, cutoff_day: int, current: Period | None = None
) -> Period | PeriodRefusal:
    """The period typed or pressed ("tháng 3", "quý I/2022", "2022-Q1"), if figures may be
    given for it; without a year, that of `current` (the reporting month) is assumed."""
    try:
        period = read_period(text, current.year if current else today.year, current)
    except PeriodError:
        return PeriodRefusal.MALFORMED
    if period.year not in years:
        return PeriodRefusal.NO_CATALOGUE
    if period.start(cutoff_day) > today:
        return PeriodRefusal.NOT_BEGUN
    return period


def period_refusal_text(
    refusal: PeriodRefusal, text: str, years: Sequence[int], t: Translator
) -> str:
    if refusal is PeriodRefusal.NO_CATALOGUE:
        return t._(
            "No targets are loaded for that year: choose a period of {years}.",
            years=", ".join(str(y) for y in sorted(years)),
        )
    if refusal is PeriodRefusal.NOT_BEGUN:
        return t._("That period has not begun yet: choose one that has.")
    return t._(
        "“{text}” is not a period: type for example “tháng 3”, “quý 1”, “6 tháng”, “9 tháng”"
        " or “cả năm” (this year is assumed), or “quý 1/2022”, “T3/2022”, 2022-Q1.",
        text=text.strip()[:40],
    )


def period_prompt(
    unit_name: str, choices: Sequence[tuple[Period, str]], note: str | None, t: Translator
) -> tuple[str, Keyboard]:
    """The question "which period?" with a button for each choice."""
    labels = {
        "current": N_("{period} (current)"),
        "previous": N_("{period} (previous)"),
        "quarter": N_("{period} (whole quarter)"),
    }
    text = t._("Report the figures of {unit}. Which period?", unit=unit_name)
    if note:
        text += "\n" + note
    rows: Keyboard = [
        [
            Button(
                t._(labels[which], period=period_name(period, t, start=True)),
                Action.PERIOD,
                period.key,
            )
        ]
        for period, which in choices
    ]
    rows.append([Button(t._("Another period…"), Action.OTHER_PERIOD)])
    rows.append([Button(t._("Cancel"), Action.CANCEL)])
    return text, rows


def other_period_text(t: Translator) -> str:
    return t._(
        "Type the period as you would say it: “tháng 3”, “quý 1”, “6 tháng”, “9 tháng đầu năm”"
        " or “cả năm” (this year is assumed), or with its year: “T3/2022”, “quý 1/2022”."
    )


# --- questions --------------------------------------------------------------------------------

FORM_TITLES: Final = {
    "procedures": N_("Administrative procedures"),
    "services": N_("Public services by field"),
    "dossiers": N_("Dossiers"),
    "certification": N_("Electronic certified copies"),
    "payments": N_("Online payment"),
}


def form_title(form_code: str, t: Translator) -> str:
    title = FORM_TITLES.get(form_code)
    return t._(title) if title else form_code


def shown(element: DataElement, value: int | None, t: Translator) -> str:
    """A value as a person reads it: "1.020", "có", "—"."""
    if value is None:
        return "—"
    if element.kind is ElementKind.FLAG:
        return t._("Yes") if value else t._("No")
    return count(value, t.language)


def question_prompt(
    form: Form, questions: Sequence[DataElement], heading: str, t: Translator
) -> tuple[str, Keyboard]:
    """The current question: its group when it changes, name, measure, values and buttons."""
    language = t.language
    element = form.question(questions)
    index = questions.index(element)
    lines = [heading]
    if index == 0 or questions[index - 1].form != element.form:
        lines.append("▸ " + form_title(element.form, t))
    lines.append(
        t._(
            "Question {number} of {total}: {name}",
            number=index + 1,
            total=len(questions),
            name=element.name.get(language),
        )
    )
    details = [t._("Measure: {measure}.", measure=element.measure.get(language))]
    if element.code in form.current:
        details.append(
            t._("Current value: {value}.", value=shown(element, form.current[element.code], t))
        )
    if element.code in form.answers:
        details.append(
            t._("Your answer: {value}.", value=shown(element, form.answers[element.code], t))
        )
    before = form.previous.get(element.code)
    if before is not None and form.period is not None:
        details.append(
            "(" + previous_label(Period.parse(form.period), shown(element, before, t), t) + ")"
        )
    lines.append(" ".join(details))
    if element.part_of is not None:
        whole = next((q for q in questions if q.code == element.part_of), None)
        if whole is not None and form.value_of(whole.code) is not None:
            lines.append(
                t._(
                    "Of those: {whole} is {value}.",
                    whole=whole.short.get(language),
                    value=shown(whole, form.value_of(whole.code), t),
                )
            )
    rows: Keyboard = []
    if element.kind is ElementKind.FLAG:
        lines.append(t._("Answer Yes or No, or press Skip."))
        rows.append([Button(t._("Yes"), Action.YES), Button(t._("No"), Action.NO)])
    else:
        lines.append(t._("Type a whole number (for example 1020), or press Skip."))
    rows.append([Button(t._("Skip"), Action.SKIP), Button(t._("Back"), Action.BACK)])
    rows.append([Button(t._("Cancel"), Action.CANCEL)])
    return "\n".join(lines), rows


# --- the summary ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Preview:
    """What confirming would do: the plan (None if refused), its problems, the rates after."""

    plan: Plan | None
    problems: Sequence[Problem] = ()
    lines: Sequence[Line] = ()


def touched_lines(lines: Sequence[Line], elements: set[str]) -> list[Line]:
    """The lines of indicators that read any of `elements`."""
    return [line for line in lines if set(line.indicator.elements) & elements]


def problem_text(problem: Problem, catalogue: Catalogue, period: Period, t: Translator) -> str:
    language = t.language
    if problem.code == "rule" and problem.violation is not None:
        violation = problem.violation
        return t._(
            "• {rule} (now {left} against {right}).",
            rule=violation.rule.message.get(language),
            left=count(violation.left, language),
            right=count(violation.right, language),
        )
    if problem.code == "overlaps" and problem.element is not None:
        return t._(
            "• {element}: figures were already given for a period that overlaps {period};"
            " correct that period instead.",
            element=catalogue.element(problem.element).short.get(language),
            period=period_name(period, t),
        )
    return f"• {problem.message}"


def change_lines(
    form: Form, questions: Sequence[DataElement], plan: Plan | None, t: Translator
) -> list[str]:
    """One line per answer: "• name: new", "• name: old → new" or "• name: value (unchanged)"."""
    olds = {c.element: c.old for c in plan.changes} if plan is not None else {}
    unchanged = set(plan.unchanged) if plan is not None else set()
    lines = []
    for element in form.answered(questions):
        name = element.short.get(t.language)
        new = shown(element, form.answers[element.code], t)
        old_value = olds.get(element.code, form.current.get(element.code))
        if element.code in unchanged or old_value == form.answers[element.code]:
            lines.append(t._("• {name}: {value} (unchanged)", name=name, value=new))
        elif old_value is not None:
            lines.append(f"• {name}: {shown(element, old_value, t)} → {new}")
        else:
            lines.append(f"• {name}: {new}")
    return lines


def summary_prompt(
    form: Form,
    questions: Sequence[DataElement],
    preview: Preview,
    rates: Sequence[str],
    heading: str,
    catalogue: Catalogue,
    period: Period,
    t: Translator,
) -> tuple[str, Keyboard]:
    """The answers (old → new), the rates they give, any broken rule, and the buttons."""
    parts = [heading, t._("Summary of your answers:")]
    answers = change_lines(form, questions, preview.plan, t)
    parts.append("\n".join(answers) if answers else t._("You have not given any figure yet."))
    rows: Keyboard = []
    if preview.problems:
        parts.append(
            t._("These figures break a rule, so they cannot be saved yet:")
            + "\n"
            + "\n".join(problem_text(p, catalogue, period, t) for p in preview.problems)
        )
        parts.append(t._("Change an answer to fix it, or cancel."))
        rows.extend(
            [Button(_edit_label(questions, i, form, t), Action.EDIT, str(i))]
            for i in _problem_questions(preview.problems, questions)
        )
        rows.append([Button(t._("Edit another answer"), Action.EDIT_LIST)])
    else:
        if rates:
            parts.append(t._("Rates once saved:") + "\n" + "\n".join(rates))
        if answers:
            parts.append(t._("Press Confirm to save these figures."))
            rows.append([Button(t._("Confirm"), Action.CONFIRM)])
        rows.append([Button(t._("Edit an answer"), Action.EDIT_LIST)])
    rows.append([Button(t._("Cancel"), Action.CANCEL)])
    return "\n\n".join(parts), rows


def _problem_questions(problems: Sequence[Problem], questions: Sequence[DataElement]) -> list[int]:
    codes: list[str] = []
    for problem in problems:
        if problem.violation is not None:
            codes.extend(problem.violation.rule.left + problem.violation.rule.right)
        elif problem.element is not None:
            codes.append(problem.element)
    order = {q.code: i for i, q in enumerate(questions)}
    return sorted({order[c] for c in codes if c in order})


def _edit_label(questions: Sequence[DataElement], index: int, form: Form, t: Translator) -> str:
    element = questions[index]
    return t._(
        "Edit {name} ({value})",
        name=element.short.get(t.language),
        value=shown(element, form.value_of(element.code), t),
    )


def edit_list_prompt(
    form: Form, questions: Sequence[DataElement], t: Translator
) -> tuple[str, Keyboard]:
    """Every question as a button, with the value the form would leave."""
    rows: Keyboard = [
        [
            Button(
                f"{i + 1}. {q.short.get(t.language)}: {shown(q, form.value_of(q.code), t)}",
                Action.EDIT,
                str(i),
            )
        ]
        for i, q in enumerate(questions)
    ]
    rows.append([Button(t._("Back to the summary"), Action.SUMMARY)])
    return t._("Which answer do you want to change?"), rows


# --- the correction's reason and the result -----------------------------------------------


def reason_prompt(
    questions: Sequence[DataElement], plan: Plan, t: Translator
) -> tuple[str, Keyboard]:
    """Old → new of every figure that replaces a stored one, and "why?"."""
    by_code = {q.code: q for q in questions}
    lines = [
        f"• {by_code[c.element].short.get(t.language)}: "
        f"{shown(by_code[c.element], c.old, t)} → {shown(by_code[c.element], c.new, t)}"
        for c in plan.changes
        if c.old is not None and c.element in by_code
    ]
    text = (
        t._("You are correcting figures already saved:")
        + "\n"
        + "\n".join(lines)
        + "\n\n"
        + t._(
            "Why? Type the reason in one message (at most {limit} characters); it is kept with"
            " the history of these figures.",
            limit=MAX_REASON,
        )
    )
    rows: Keyboard = [
        [Button(t._("Back to the summary"), Action.SUMMARY)],
        [Button(t._("Cancel"), Action.CANCEL)],
    ]
    return text, rows


def reason_problem(text: str, t: Translator) -> str | None:
    """Why the reason cannot be kept, or None."""
    stripped = text.strip()
    if not stripped:
        return t._("The reason is empty: type why these figures change.")
    if len(stripped) > MAX_REASON:
        return t._(
            "The reason is {length} characters long: keep it to {limit} or fewer.",
            length=len(stripped),
            limit=MAX_REASON,
        )
    return None


def saved_text(
    count_saved: int, unit_name: str, period: Period, rates: Sequence[str], t: Translator
) -> str:
    text = t._(
        "Saved for {unit}, {period}: figures changed: {count}.",
        count=count_saved,
        unit=unit_name,
        period=period_name(period, t),
    )
    if rates:
        text += "\n\n" + t._("Where the unit stands now:") + "\n" + "\n".join(rates)
    return text


def heading(unit_name: str, period: Period, t: Translator) -> str:
    return t._("{unit}, {period}", unit=unit_name, period=period_name(period, t))


def current_values(values: Mapping[str, int | None]) -> dict[str, int]:
    return {code: value for code, value in values.items() if value is not None}

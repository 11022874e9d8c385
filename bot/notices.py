"""The words of reminders, escalations, the provincial summary and alerts (services.notices'
NoticeWriter), in the recipient's language, with their buttons.

A reminder's button opens /submit for its unit and period: its data is `rs:<unit>:<period>`
(bot/handlers/submit.py starts the form from it; checked again when pressed). An alert's
button opens the unit's status for the period (bot.callbacks.StatusView).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bot import formatting, render
from bot.callbacks import StatusView, encode
from bot.formatting import period_name
from bot.i18n import Translator, translator
from bot.pace_text import pace_text
from kpi.alerts import AlertKind
from kpi.catalogue import Catalogue
from kpi.errors import PeriodError
from kpi.periods import Period
from services.catalogues import Move
from services.notices import AlertNote, EscalationNote, Notice, ReminderNote, SummaryNote

REPORT_PREFIX: Final = "rs"
REPORT_PATTERN: Final = rf"^{REPORT_PREFIX}:"
MAX_BYTES: Final = 64
MAX_LISTED: Final = 150  # units named in one summary; the rest are counted
_UNIT = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

ALERT_HEADS: Final = {
    AlertKind.BELOW_TARGET: "⚠️",
    AlertKind.BELOW_FLOOR: "🔴",
    AlertKind.IMPROVED: "🟡",
    AlertKind.RECOVERED: "✅",
    AlertKind.STILL_BELOW: "⚠️",
}


@dataclass(frozen=True, slots=True)
class ReportButton:
    """A button that opens /submit for a unit and a period."""

    unit: str
    period: Period


def report_button(unit: str, period: Period) -> str:
    data = f"{REPORT_PREFIX}:{unit}:{period.key}"
    if len(data.encode()) > MAX_BYTES or not _UNIT.match(unit):
        raise ValueError(f"{data!r} cannot be put on a button")
    return data


def parse_report_button(data: str | None) -> ReportButton | None:
    """The unit and period of a report button; None if the data is not exactly one."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != REPORT_PREFIX or not _UNIT.match(parts[1]):
        return None
    try:
        period = Period.parse(parts[2])
    except PeriodError:
        return None
    return ReportButton(parts[1], period) if period.key == parts[2] else None


def keyboard(label: str, data: str) -> dict[str, object]:
    """One button, as Bot API JSON."""
    return {"inline_keyboard": [[{"text": label, "callback_data": data}]]}


def report_keyboard(unit: str, period: Period, t: Translator) -> dict[str, object]:
    return keyboard(
        t._("Report {period}", period=period_name(period, t)), report_button(unit, period)
    )


def when_due(offset: int, deadline_text: str, t: Translator) -> str:
    if offset < 0:
        return t.n_(
            "It is due on {deadline}, in {count} day.",
            "It is due on {deadline}, in {count} days.",
            -offset,
            deadline=deadline_text,
            count=-offset,
        )
    if offset == 0:
        return t._("It is due today, {deadline}.", deadline=deadline_text)
    return t.n_(
        "It was due on {deadline}: {count} day overdue.",
        "It was due on {deadline}: {count} days overdue.",
        offset,
        deadline=deadline_text,
        count=offset,
    )


@dataclass(frozen=True, slots=True)
class BotNoticeWriter:
    """services.notices.NoticeWriter with the bot's translations and formatting."""

    default_language: str = "vi"

    def reminder(self, note: ReminderNote, catalogue: Catalogue, language: str) -> Notice:
        t = translator(language)
        text = "\n".join(
            (
                t._(
                    "⏰ Reminder: {unit} has not reported {period} yet.",
                    unit=render.unit_label(catalogue, note.unit.code, language),
                    period=period_name(note.period, t),
                ),
                when_due(note.offset, formatting.day(note.deadline, language), t),
                t._("Press the button below (or send /submit) to report. /mute stops reminders."),
            )
        )
        return Notice(text, report_keyboard(note.unit.code, note.period, t))

    def escalation(self, note: EscalationNote, catalogue: Catalogue, language: str) -> Notice:
        t = translator(language)
        levels = {u.level for u in note.overdue}
        head = t.n_(
            "{count} unit of the {level} under {parent} has not reported {period}"
            " (due {deadline}):",
            "{count} units of the {level} under {parent} have not reported {period}"
            " (due {deadline}):",
            len(note.overdue),
            count=len(note.overdue),
            level=", ".join(render.level_name(lvl, t) for lvl in sorted(levels)),
            parent=render.unit_label(catalogue, note.parent.code, language),
            period=period_name(note.period, t),
            deadline=formatting.day(note.deadline, language),
        )
        lines = [
            head,
            *(f"• {catalogue.units.get(u.code).name.get(language)}" for u in note.overdue),
        ]
        return Notice("\n".join(lines))

    def summary(self, note: SummaryNote, catalogue: Catalogue, language: str) -> Notice:
        t = translator(language)
        overdue = note.overdue
        head = t._(
            "📋 {count} of {total} units have not reported {period} (due by {deadline}):",
            count=len(overdue.units),
            total=overdue.due,
            period=period_name(overdue.period, t),
            deadline=formatting.day(note.deadline, language),
        )
        lines = [head]
        lines.extend(
            f"• {render.unit_label(catalogue, u.code, language)}"
            for u in overdue.units[:MAX_LISTED]
        )
        rest = len(overdue.units) - MAX_LISTED
        if rest > 0:
            lines.append(t._("… and {count} more.", count=rest))
        return Notice("\n".join(lines))

    def alert(self, notes: Sequence[AlertNote], catalogue: Catalogue, language: str) -> Notice:
        t = translator(language)
        parts = [self._alert_part(note, catalogue, t) for note in notes]
        parts.append(t._("Details: /status"))
        first = notes[0]
        quarter = Period.quarter(first.period.year, first.period.quarter_number)
        data = encode(StatusView(first.unit.code, quarter))
        return Notice("\n\n".join(parts), keyboard(t._("Open the status"), data))

    def _alert_part(self, note: AlertNote, catalogue: Catalogue, t: Translator) -> str:
        language = t.language
        unit = render.unit_label(catalogue, note.unit.code, language)
        period = period_name(note.period, t)
        headlines = {
            AlertKind.BELOW_TARGET: t._(
                "{unit} fell below the target in {period}:", unit=unit, period=period
            ),
            AlertKind.BELOW_FLOOR: t._(
                "{unit} fell below the floor in {period}:", unit=unit, period=period
            ),
            AlertKind.IMPROVED: t._(
                "{unit} rose above the floor in {period}, still below the target:",
                unit=unit,
                period=period,
            ),
            AlertKind.RECOVERED: t._(
                "{unit} is back on target in {period}:", unit=unit, period=period
            ),
            AlertKind.STILL_BELOW: t._(
                "{unit} is still below the target in {period}:", unit=unit, period=period
            ),
        }
        figures = [render.figures_text(note.line.attainment, language, t)]
        needed = render.needed_text(note.line, catalogue, t)
        if needed:
            figures.append(needed)
        lines = [
            f"{ALERT_HEADS[note.kind]} {headlines[note.kind]}",
            render.line_title(note.line, t),
            " · ".join(figures),
        ]
        pace = None if note.pace is None else pace_text(note.pace, note.period.year, t)
        if pace:
            lines.append(pace)
        return "\n".join(lines)


def moved_text(move: Move, catalogue: Catalogue, language: str | None) -> str:
    """The one message a person gets when their unit was merged into another (issue 14)."""
    t = translator(language or "vi")
    succession = next(s for s in catalogue.successions if move.old in s.codes)
    old = dict(succession.predecessors)[move.old].get(t.language)
    return t._(
        "{old} was merged into {new} from {day}. From now on you report for {new}; the figures"
        " {old} filed stay as they were and count in {new}. /history shows them.",
        old=old,
        new=render.unit_label(catalogue, move.new, t.language),
        day=formatting.day(succession.since, t.language),
    )

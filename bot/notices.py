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
from fractions import Fraction
from typing import Final

from bot.callbacks import StatusView, encode
from i18n import formatting, pace_text, texts
from i18n.formatting import period_name
from i18n.translations import Translator, translator
from kpi.alerts import AlertKind, Scope
from kpi.catalogue import Catalogue
from kpi.errors import PeriodError
from kpi.periods import Period, PeriodKind
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
                    unit=texts.unit_label(catalogue, note.unit.code, language),
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
            level=", ".join(texts.level_name(lvl, t) for lvl in sorted(levels)),
            parent=texts.unit_label(catalogue, note.parent.code, language),
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
            f"• {texts.unit_label(catalogue, u.code, language)}"
            for u in overdue.units[:MAX_LISTED]
        )
        rest = len(overdue.units) - MAX_LISTED
        if rest > 0:
            lines.append(t._("… and {count} more.", count=rest))
        return Notice("\n".join(lines))

    def alert(self, notes: Sequence[AlertNote], catalogue: Catalogue, language: str) -> Notice:
        """One digest of a unit's changes: the unit and period once, then one line per
        indicator (the year so far where it changed, else the quarter), worst first, as many
        as fit on a phone's screen; the rest are counted, behind the status button."""
        t = translator(language)
        digest = alert_digest(notes)
        unit = digest[0].note.unit
        period = digest[0].note.period
        if any(item.note.scope is Scope.YEAR for item in digest):
            period = Period.whole_year(period.year)
        head = t._(
            "{glyph} {unit} · {period}",
            glyph=ALERT_HEADS[max((i.note.kind for i in digest), key=KIND_ORDER.index)],
            unit=texts.unit_label(catalogue, unit.code, language),
            period=alert_period(period, t),
        )
        counts = [
            count_text(kind, count, t) for kind, count in digest_counts(digest).items() if count
        ]
        lines = [alert_line(item, catalogue, t) for item in digest]
        shown: list[str] = []
        for line in lines:
            if len(shown) >= ALERT_LINES or sum(map(len, shown)) + len(line) > ALERT_BODY:
                break
            shown.append(line)
        rest = len(lines) - len(shown)
        parts = ["\n".join([head, " · ".join(counts)]), "\n".join(shown)]
        foot = []
        if rest:
            foot.append(
                t.n_(
                    "… and {count} more indicator: press the button below.",
                    "… and {count} more indicators: press the button below.",
                    rest,
                    count=rest,
                )
            )
        bases = sorted(
            {
                pace_text.basis_text(i.note.pace, period.year, t)
                for i in digest[: len(shown)]
                if i.note.pace is not None and i.note.pace.projected_rate is not None
            }
        )
        if bases:
            foot.append(t._("Year-end projections: {basis}.", basis="; ".join(bases)))
        if foot:
            parts.append("\n".join(foot))
        label = (
            t.n_(
                "Open all {count} indicator",
                "Open all {count} indicators",
                len(lines),
                count=len(lines),
            )
            if rest
            else t._("Open the status")
        )
        data = encode(StatusView(unit.code, period))
        return Notice("\n\n".join(parts), keyboard(label, data))


KIND_ORDER: Final = (
    AlertKind.RECOVERED,
    AlertKind.IMPROVED,
    AlertKind.STILL_BELOW,
    AlertKind.BELOW_TARGET,
    AlertKind.BELOW_FLOOR,
)  # least to most severe
ALERT_LINES: Final = 6  # indicator lines of an alert: about a phone's screen (390 px)
ALERT_BODY: Final = 1000  # characters of those lines at most (the whole stays under 1,500)


@dataclass(frozen=True, slots=True)
class DigestLine:
    """One indicator line of an alert: the note shown (the year so far's if it changed),
    and the quarter's, when it changed too and says something else."""

    note: AlertNote
    other: AlertNote | None = None


def alert_digest(notes: Sequence[AlertNote]) -> list[DigestLine]:
    """One line per indicator line, worst first: by kind, then by how far below target."""
    by_line: dict[tuple[str, object], list[AlertNote]] = {}
    for note in notes:
        by_line.setdefault((note.line.indicator.code, note.line.level), []).append(note)
    found = []
    for group in by_line.values():
        year = next((n for n in group if n.scope is Scope.YEAR), None)
        main = year or group[0]
        other = next((n for n in group if n is not main and n.kind is not main.kind), None)
        found.append(DigestLine(main, other))

    def badness(item: DigestLine) -> tuple[int, float, str]:
        a = item.note.line.attainment
        share = 1.0
        if a.rate is not None and a.target:
            share = float(a.rate * 100 / Fraction(a.target))
        return (-KIND_ORDER.index(_kind(item.note.kind)), share, item.note.line.indicator.code)

    return sorted(found, key=badness)


def _kind(kind: AlertKind) -> AlertKind:
    """Still below target counts as below target."""
    return AlertKind.BELOW_TARGET if kind is AlertKind.STILL_BELOW else kind


def digest_counts(digest: Sequence[DigestLine]) -> dict[AlertKind, int]:
    """How many lines of each kind, worst kind first."""
    counts = dict.fromkeys(reversed(KIND_ORDER), 0)
    for item in digest:
        counts[_kind(item.note.kind)] += 1
    return counts


def count_text(kind: AlertKind, count: int, t: Translator) -> str:
    """ "10 chỉ tiêu chưa đạt"."""
    if kind is AlertKind.BELOW_FLOOR:
        return t.n_(
            "{count} indicator below the floor",
            "{count} indicators below the floor",
            count,
            count=count,
        )
    if kind is AlertKind.IMPROVED:
        return t.n_(
            "{count} indicator above the floor, still below target",
            "{count} indicators above the floor, still below target",
            count,
            count=count,
        )
    if kind is AlertKind.RECOVERED:
        return t.n_(
            "{count} indicator back on target",
            "{count} indicators back on target",
            count,
            count=count,
        )
    return t.n_(
        "{count} indicator below target", "{count} indicators below target", count, count=count
    )


def alert_period(period: Period, t: Translator) -> str:
    """ "năm 2022 (lũy kế)" for the year so far, else the period's name."""
    name = period_name(period, t)
    if period.kind is PeriodKind.YEAR:
        return t._("{period} so far", period=name)
    return name


def alert_line(item: DigestLine, catalogue: Catalogue, t: Translator) -> str:
    """ "⚠️ IV.4 Thanh toán NVTC đất đai trực tuyến: 17,04 % (chỉ tiêu 30 %) · cần thêm 42
    hồ sơ · chậm tiến độ, dự kiến cuối năm 16,9 %"."""
    note = item.note
    line = note.line
    a = line.attainment
    parts = [texts.figures_text(a, t.language, t)]
    if a.units_judged:
        parts.append(
            t._("{met}/{judged} units meet it", met=a.units_met or 0, judged=a.units_judged)
        )
    if note.kind is not AlertKind.RECOVERED:
        needed = texts.needed_text(line, catalogue, t)
        if needed:
            parts.append(needed)
        brief = None if note.pace is None else pace_text.pace_brief(note.pace, t)
        if brief:
            parts.append(brief)
    if item.other is not None:
        other = item.other
        parts.append(
            t._(
                "{period}: {rate}",
                period=period_name(other.period, t),
                rate=texts.rate_text(other.line.attainment, t.language),
            )
        )
    return f"{ALERT_HEADS[note.kind]} {texts.line_title(line, t)}: " + " · ".join(parts)

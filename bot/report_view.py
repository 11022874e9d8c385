"""The texts and keyboards of /report: completeness and timeliness by level, the units not
reported, and the ranking of a level's units with the scoring preview.

Pure functions, like bot.render: services' results and a Translator in, text and
InlineKeyboardMarkup out. The button data is this module's own (the prefixes `rp` and `rk`),
short and parsed strictly; it names what to show, never what the presser may see: the handler
authorises every press again.

    rp:kon-tum:2022-Q1            the report of the province for Q1
    rk:kon-tum:2022-Q1:x:2        its ranking of communes, third page
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import MAX_BYTES, InvalidCallbackError
from i18n import formatting
from i18n.formatting import period_name
from i18n.texts import fit, level_name, paginate, period_heading, points_text, unit_label
from i18n.translations import Translator
from kpi.attainment import round_percent
from kpi.catalogue import Catalogue
from kpi.errors import PeriodError
from kpi.periods import Period
from kpi.scoring import Ranked
from kpi.timeliness import Timeliness
from kpi.units import Level, Unit, level_key, level_of_key
from services.report import LevelReporting, ReportingSummary, UnitReporting

NOT_REPORTED_SHOWN: Final = 30  # names listed before "and N more"
LATE_SHOWN: Final = 10
RANKED_PER_PAGE: Final = 10

REPORT_PREFIX: Final = "rp"
RANKING_PREFIX: Final = "rk"
MISSING_PREFIX: Final = "rn"  # the units not reported, page by page
PATTERN: Final = f"^(?:{REPORT_PREFIX}|{RANKING_PREFIX}|{MISSING_PREFIX}):"
MISSING_PER_PAGE: Final = 30

_UNIT = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_PAGE = re.compile(r"^(?:0|[1-9][0-9]{0,2})$")


def ranking_title(level: Level, t: Translator) -> str:
    """ "Ranking of the commune level": the level named by its catalogue."""
    return t._("Ranking of the {level}", level=level_name(level, t))


# --- button data ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportView:
    """Completeness and timeliness of a unit's subtree for a report period."""

    unit: str
    period: Period


@dataclass(frozen=True, slots=True)
class RankingView:
    """A page of the ranking of one level's units in a unit's subtree."""

    unit: str
    period: Period
    level: Level
    page: int


@dataclass(frozen=True, slots=True)
class MissingView:
    """A page of the units of a unit's subtree that have not reported a period."""

    unit: str
    period: Period
    page: int


View = ReportView | RankingView | MissingView


def encode(view: View) -> str:
    """The button data of a view; ValueError if it would not fit Telegram's 64 bytes."""
    match view:
        case ReportView(unit, period):
            data = f"{REPORT_PREFIX}:{unit}:{period.key}"
        case RankingView(unit, period, level, page):
            data = f"{RANKING_PREFIX}:{unit}:{period.key}:{level_key(level)}:{page}"
        case MissingView(unit, period, page):
            data = f"{MISSING_PREFIX}:{unit}:{period.key}:{page}"
    if len(data.encode()) > MAX_BYTES or decode(data) != view:
        raise ValueError(f"{view!r} cannot be written as button data")
    return data


def decode(data: str | None) -> View:
    """The view named by button data; InvalidCallbackError unless exactly well formed."""
    if not data or len(data.encode()) > MAX_BYTES:
        raise InvalidCallbackError("empty or longer than 64 bytes")
    match data.split(":"):
        case [prefix, unit, period] if prefix == REPORT_PREFIX:
            return ReportView(_unit(unit), _period(period))
        case [prefix, unit, period, level, page] if prefix == RANKING_PREFIX:
            found = level_of_key(level)
            if found is None or not _PAGE.fullmatch(page):
                raise InvalidCallbackError(f"not a level and page: {level!r}, {page!r}")
            return RankingView(_unit(unit), _period(period), found, int(page))
        case [prefix, unit, period, page] if prefix == MISSING_PREFIX:
            if not _PAGE.fullmatch(page):
                raise InvalidCallbackError(f"not a page: {page!r}")
            return MissingView(_unit(unit), _period(period), int(page))
    raise InvalidCallbackError(f"unknown button data {data!r}")


def _unit(text: str) -> str:
    if not _UNIT.fullmatch(text):
        raise InvalidCallbackError(f"not a unit code: {text!r}")
    return text


def _period(text: str) -> Period:
    try:
        period = Period.parse(text)
    except PeriodError:
        raise InvalidCallbackError(f"not a period: {text!r}") from None
    if period.key != text:
        raise InvalidCallbackError(f"not a canonical period: {text!r}")
    return period


def button(label: str, view: View) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=encode(view))


# --- numbers ----------------------------------------------------------------------------------


def share_text(share: Fraction | None, language: str) -> str:
    return formatting.percent(None if share is None else round_percent(share, 2), 2, language)


# --- the report -------------------------------------------------------------------------------


def report_name(period: Period, t: Translator, *, start: bool = False) -> str:
    """A report's period by its one name (i18n.formatting.period_name): "quý 1/2022"."""
    return period_name(period, t, start=start)


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def level_line(level: LevelReporting, today_passed: bool, t: Translator) -> str:
    """ "• sở, ban ngành (hạn 18/03/2022): đã báo cáo 6/20 (30,00 %) · đúng hạn 6/20 (30,00 %)"."""
    language = t.language
    text = t._(
        "{level} (due {due}): reported {reported}/{expected} ({completeness})"
        " · by the deadline {on_time}/{expected} ({timeliness})",
        level=capitalised(level_name(level.level, t)),
        due=formatting.day(level.deadline, language),
        reported=formatting.count(level.reported, language),
        expected=formatting.count(level.expected, language),
        completeness=share_text(level.completeness, language),
        on_time=formatting.count(level.on_time, language),
        timeliness=share_text(level.timeliness, language),
    )
    if not today_passed:
        text += " · " + t._("not yet due")
    return "• " + text


def _by_level(catalogue: Catalogue, units: Sequence[UnitReporting]) -> list[UnitReporting]:
    order = catalogue.units.level_order
    return sorted(units, key=lambda u: order.index(u.level))  # stable: tree order within


def listed(names: Sequence[str], shown: int, t: Translator) -> list[str]:
    """One "• name" a line, the first `shown`, then "… and N more"."""
    lines = [f"• {name}" for name in names[:shown]]
    if len(names) > shown:
        lines.append(t._("… and {count} more", count=formatting.count(len(names) - shown)))
    return lines


def report_text(catalogue: Catalogue, summary: ReportingSummary, t: Translator) -> str:
    """The report of a period for a subtree: per level, then who has not reported, who was late."""
    language = t.language
    root = catalogue.units.get(summary.root)
    head = [
        t._(
            "📋 Reporting of {unit}: {report}",
            unit=unit_label(catalogue, root.code, language),
            report=report_name(summary.period, t),
        ),
        period_heading(summary.period, catalogue, t),
        t._("As of {day}.", day=formatting.day(summary.today, language)),
    ]
    if not summary.levels:
        return "\n".join(head) + "\n\n" + t._("No unit here reports figures.")
    levels = [
        t._("By level: reported, and reported by the deadline"),
        *(level_line(lv, summary.today > lv.deadline, t) for lv in summary.levels),
    ]
    parts = ["\n".join(head), "\n".join(levels)]
    missing = _by_level(catalogue, summary.not_reported)
    if missing:
        names = [
            unit_label(catalogue, u.unit, language)
            + (" ⏰" if u.timeliness is Timeliness.MISSING else "")
            for u in missing
        ]
        parts.append(
            "\n".join(
                [
                    t._("Not reported ({count}; ⏰ past the deadline):", count=len(missing)),
                    *listed(names, NOT_REPORTED_SHOWN, t),
                ]
            )
        )
    else:
        parts.append(t._("Every unit has reported."))
    late = _by_level(catalogue, summary.late)
    if late:
        names = [
            t._(
                "{unit}, complete on {day}",
                unit=unit_label(catalogue, u.unit, language),
                day=formatting.day(u.completed_on, language),
            )
            for u in late
            if u.completed_on is not None
        ]
        parts.append(
            "\n".join(
                [
                    t._("Reported after the deadline ({count}):", count=len(late)),
                    *listed(names, LATE_SHOWN, t),
                ]
            )
        )
    return fit("\n\n".join(parts))


def report_keyboard(
    catalogue: Catalogue,
    root: Unit,
    period: Period,
    levels: Sequence[Level],
    t: Translator,
    missing: int = 0,
) -> InlineKeyboardMarkup:
    """The report periods of the year (the one shown marked), every unit not reported when the
    report lists only some (`missing`: how many there are), then a ranking per level."""
    periods = [
        button(
            ("• " if due == period else "") + report_name(due, t, start=True),
            ReportView(root.code, due),
        )
        for due in catalogue.calendar.due_periods(period.year)
    ]
    keyboard = [periods]
    if missing > NOT_REPORTED_SHOWN:
        label = t._("Every unit not reported ({count}) ▸", count=missing)
        keyboard.append([button(label, MissingView(root.code, period, 0))])
    keyboard.extend(
        [button("🏆 " + ranking_title(level, t), RankingView(root.code, period, level, 0))]
        for level in levels
    )
    return InlineKeyboardMarkup(keyboard)


def missing_names(catalogue: Catalogue, summary: ReportingSummary, t: Translator) -> list[str]:
    """The units not reported, by level, "⏰" past their deadline."""
    return [
        unit_label(catalogue, u.unit, t.language)
        + (" ⏰" if u.timeliness is Timeliness.MISSING else "")
        for u in _by_level(catalogue, summary.not_reported)
    ]


def missing_text(catalogue: Catalogue, summary: ReportingSummary, page: int, t: Translator) -> str:
    """A page of the units not reported."""
    names = missing_names(catalogue, summary, t)
    shown, page, pages = paginate(names, page, MISSING_PER_PAGE)
    head = t._(
        "Not reported, {unit}, {report} (page {page}/{pages}; ⏰ past the deadline):",
        unit=unit_label(catalogue, summary.root, t.language),
        report=report_name(summary.period, t),
        page=page + 1,
        pages=pages,
    )
    if not names:
        return head + "\n\n" + t._("Every unit has reported.")
    return fit(head + "\n\n" + "\n".join(f"• {name}" for name in shown))


def missing_keyboard(
    root: Unit, period: Period, total: int, page: int, t: Translator
) -> InlineKeyboardMarkup:
    _shown, page, pages = paginate(range(total), page, MISSING_PER_PAGE)
    navigation = []
    if page > 0:
        navigation.append(button(t._("◀ Previous page"), MissingView(root.code, period, page - 1)))
    if page + 1 < pages:
        navigation.append(button(t._("Next page ▶"), MissingView(root.code, period, page + 1)))
    keyboard = [navigation] if navigation else []
    keyboard.append([button(t._("◀ Back to the report"), ReportView(root.code, period))])
    return InlineKeyboardMarkup(keyboard)


# --- the ranking ------------------------------------------------------------------------------


def ranked_line(entry: Ranked, t: Translator) -> str:
    """ "1. Sở Y tế: đạt 8 · dưới chỉ tiêu 1 · dưới ngưỡng sàn 0 · điểm dự kiến 8,75/9"."""
    score = entry.score
    place = "–" if entry.rank is None else str(entry.rank)
    if not score.judged:
        return f"{place}. {entry.name}: " + t._("no data yet")
    text = f"{place}. {entry.name}: " + t._(
        "met {met} · below target {below} · below floor {floor} · score {points}/{possible}",
        met=score.met,
        below=score.below_target,
        floor=score.below_floor,
        points=points_text(score.points, t.language),
        possible=score.judged,
    )
    if score.zeroed:
        codes = ", ".join(
            c.indicator + (f" ({level_name(c.level, t)})" if c.level is not None else "")
            for c in score.zeroed
        )
        text += "\n   🔴 " + t._("zero points on {indicators}", indicators=codes)
    return text


def ranking_text(
    catalogue: Catalogue,
    root: Unit,
    period: Period,
    level: Level,
    ranked: Sequence[Ranked],
    page: int,
    t: Translator,
) -> str:
    shown, page, pages = paginate(ranked, page, RANKED_PER_PAGE)
    head = [
        t._(
            "🏆 {title}: {unit}, {report} (page {page}/{pages})",
            title=ranking_title(level, t),
            unit=unit_label(catalogue, root.code, t.language),
            report=report_name(period, t),
            page=page + 1,
            pages=pages,
        ),
        period_heading(period, catalogue, t),
    ]
    rule = t._(
        "Ordered by score; equal scores share a place. Score preview: one point an indicator"
        " met, part of it between the floor and the target, and zero below the floor: a unit"
        " below the floor scores no points on that criterion."
    )
    if not shown:
        return "\n".join(head) + "\n\n" + t._("No unit of this level here.")
    body = "\n".join(ranked_line(entry, t) for entry in shown)
    return fit("\n".join(head) + "\n\n" + body + "\n\n" + rule)


def ranking_keyboard(
    root: Unit, period: Period, level: Level, total: int, page: int, t: Translator
) -> InlineKeyboardMarkup:
    _shown, page, pages = paginate(range(total), page, RANKED_PER_PAGE)
    navigation = []
    if page > 0:
        navigation.append(
            button(t._("◀ Previous page"), RankingView(root.code, period, level, page - 1))
        )
    if page + 1 < pages:
        navigation.append(
            button(t._("Next page ▶"), RankingView(root.code, period, level, page + 1))
        )
    keyboard = [navigation] if navigation else []
    keyboard.append([button(t._("◀ Back to the report"), ReportView(root.code, period))])
    return InlineKeyboardMarkup(keyboard)

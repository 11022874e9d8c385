"""The texts and keyboards of the read-only views: a unit's status, an indicator in full, child
units, the history of figures and the unit tree.

Pure functions: kpi and services objects and a Translator in, text and InlineKeyboardMarkup out;
the handlers fetch, authorise and send. Plain text (no parse mode): unit names carry apostrophes
and a person's reason may carry anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import (
    ChildrenView,
    DetailView,
    HistoryUnitsView,
    HistoryView,
    StatusView,
    TrendChartView,
    UnitsView,
    View,
    encode,
)
from i18n import formatting
from i18n.formatting import period_name
from i18n.pace_text import basis_text, pace_text
from i18n.texts import (
    Summary,
    figures_text,
    fit,
    glyph,
    level_name,
    line_text,
    needed_text,
    period_heading,
    summarise,
    summary_text,
    unit_label,
)
from i18n.translations import N_, Translator
from kpi.attainment import Status, round_percent
from kpi.catalogue import Catalogue
from kpi.elements import ElementKind
from kpi.evaluation import Line
from kpi.indicators import Indicator, IndicatorKind
from kpi.pace import Pace, PaceStatus, line_key
from kpi.periods import Period
from kpi.revisions import Revision, Source
from kpi.units import Level, Unit

T = TypeVar("T")

UNITS_PER_PAGE = 8
REVISIONS_PER_PAGE = 10
BUTTONS_PER_ROW = 4

SOURCE_NAMES: Mapping[Source, str] = {
    Source.CHAT: N_("in the chat"),
    Source.IMPORT: N_("by file import"),
    Source.SANDBOX: N_("in the sandbox"),
    Source.CLI: N_("from the command line"),
}


# --- small pieces -----------------------------------------------------------------------------


def button(label: str, view: View) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=encode(view))


def rows(
    buttons: Sequence[InlineKeyboardButton], per_row: int
) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def pager(
    page: int, pages: int, view: Callable[[int], View], t: Translator
) -> list[InlineKeyboardButton]:
    """ "◀ Trang trước" and "Trang sau ▶" where there is such a page."""
    found = []
    if page > 0:
        found.append(button(t._("◀ Previous page"), view(page - 1)))
    if page + 1 < pages:
        found.append(button(t._("Next page ▶"), view(page + 1)))
    return found


# --- status -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PeriodChoice:
    """A period offered as a button, with what it is to the person ("this quarter")."""

    period: Period
    label: str  # an English phrase marked with N_, with a {period} placeholder


def status_text(
    catalogue: Catalogue,
    unit: Unit,
    period: Period,
    lines: Sequence[Line],
    t: Translator,
    note: str | None = None,
    paces: Mapping[str, Pace] | None = None,
) -> str:
    """A unit's status for a period: heading, summary, one line per indicator, the legend;
    with `paces` (the year so far, by line key), each line's pace under it."""
    head = [
        f"📊 {unit_label(catalogue, unit.code, t.language)}",
        period_heading(period, catalogue, t),
    ]
    if note:
        head.append(note)
    if not lines:
        return "\n".join(head) + "\n\n" + t._("No indicator applies to this unit.")
    head.append(summary_text(summarise(lines), t))
    body = "\n".join(with_pace(line, catalogue, t, paces, period.year) for line in lines)
    legend = t._(
        "✅ met · ⚠️ below target · 🔴 below floor · ⚪ no data · 🔘 nothing arose"
        " · ➖ tracked only. A button shows an indicator in full."
    )
    bases = projection_bases(lines, paces, period.year, t)
    if bases:
        legend = t._("Year-end projections: {basis}.", basis="; ".join(bases)) + "\n" + legend
    return "\n".join(head) + "\n\n" + body + "\n\n" + legend


def projection_bases(
    lines: Sequence[Line], paces: Mapping[str, Pace] | None, year: int, t: Translator
) -> list[str]:
    """What the projections shown extrapolate, each said once ("theo nhịp quý 1/2022")."""
    if paces is None:
        return []
    found = [paces.get(line_key(line.indicator.code, line.level)) for line in lines]
    return sorted(
        {
            basis_text(p, year, t)
            for p in found
            if p is not None
            and p.status is not PaceStatus.NO_DATA
            and p.projected_rate is not None
        }
    )


def with_pace(
    line: Line, catalogue: Catalogue, t: Translator, paces: Mapping[str, Pace] | None, year: int
) -> str:
    """The status line, and its pace line when there is one."""
    text = line_text(line, catalogue, t)
    found = None if paces is None else paces.get(line_key(line.indicator.code, line.level))
    pace = None if found is None else pace_text(found, year, t, basis=False)
    return text if pace is None else f"{text}\n    {pace}"


def status_keyboard(
    catalogue: Catalogue,
    unit: Unit,
    period: Period,
    lines: Sequence[Line],
    choices: Sequence[PeriodChoice],
    t: Translator,
    parent: Unit | None,
) -> InlineKeyboardMarkup:
    """Indicators (in full), periods, child units, the parent, history, refresh.

    `parent` is the parent unit when the person may see it, else None.
    """
    worst: dict[str, Status] = {}
    for line in lines:
        code, status = line.indicator.code, line.attainment.status
        if code not in worst or status.severity > worst[code].severity:
            worst[code] = status
    keyboard = rows(
        [
            button(f"{glyph(status)} {code}", DetailView(unit.code, period, code))
            for code, status in worst.items()
        ],
        BUTTONS_PER_ROW,
    )
    keyboard += rows(
        [
            button(
                formatting.capitalised(t._(choice.label, period=period_name(choice.period, t))),
                StatusView(unit.code, choice.period),
            )
            for choice in choices
            if choice.period != period
        ],
        2,
    )
    children = catalogue.units.children(unit.code)
    if children:
        keyboard.append(
            [
                button(
                    t._("Units below ({count}) ▸", count=len(children)),
                    ChildrenView(unit.code, period, 0),
                )
            ]
        )
    last = []
    if parent is not None:
        last.append(
            button(
                "◀ " + parent.name.get(t.language),
                StatusView(parent.code, period),
            )
        )
    last.append(button(t._("History"), HistoryView(unit.code, 0)))
    last.append(button(t._("🔄 Refresh"), StatusView(unit.code, period)))
    keyboard.append(last)
    return InlineKeyboardMarkup(keyboard)


# --- an indicator in full ---------------------------------------------------------------------


def element_names(codes: Sequence[str], catalogue: Catalogue, language: str) -> str:
    return " + ".join(
        catalogue.elements[c].short.get(language) if c in catalogue.elements else c for c in codes
    )


def baseline_text(indicator: Indicator, level: Level | None, t: Translator) -> str | None:
    """The 2021 baseline: the rate from its counts, else as printed, else its note."""
    baseline = indicator.baseline
    if level is not None:
        variant = next((v for v in indicator.variants if v.level == level), None)
        if variant is not None and variant.baseline is not None:
            baseline = variant.baseline
    if baseline is None:
        return None
    language = t.language
    if baseline.rate is not None:
        assert baseline.numerator is not None
        assert baseline.denominator is not None
        rate = baseline.rate
        value = formatting.percent(round_percent(rate, 2), 2, language)
        text = t._(
            "Baseline {year}: {rate} ({numerator}/{denominator})",
            year=baseline.year,
            rate=value,
            numerator=formatting.count(baseline.numerator, language),
            denominator=formatting.count(baseline.denominator, language),
        )
        if baseline.scope is None:
            return text
        return t._("{baseline}. Scope: {scope}", baseline=text, scope=baseline.scope.get(language))
    if baseline.note is not None:
        return t._("Baseline {year}: {note}", year=baseline.year, note=baseline.note.get(language))
    if baseline.printed:
        return t._("Baseline {year}: {note}", year=baseline.year, note=baseline.printed)
    return None


def detail_text(
    catalogue: Catalogue,
    unit: Unit,
    period: Period,
    indicator: Indicator,
    lines: Sequence[Line],
    t: Translator,
) -> str:
    """One indicator in full: its name, each line's raw counts and standing, target, floor,
    legal basis, lead and coordinating units, the 2021 baseline."""
    language = t.language
    parts = [
        f"{indicator.code}. {indicator.name.get(language)}",
        f"{unit_label(catalogue, unit.code, language)} · {period_heading(period, catalogue, t)}",
    ]
    if indicator.kind is IndicatorKind.COVERAGE:
        numerator_name = t._("units that do")
        denominator_name = t._("units that reported")
    else:
        numerator_name = element_names(indicator.numerator, catalogue, language)
        denominator_name = element_names(indicator.denominator, catalogue, language)
    for line in lines:
        a = line.attainment
        block = [f"{glyph(a.status)} " + figures_text(a, language, t)]
        if line.level is not None:
            block[0] = f"{glyph(a.status)} {level_name(line.level, t)}: " + figures_text(
                a, language, t
            )
        block.append(
            t._(
                "Numerator ({name}): {value}",
                name=numerator_name,
                value=formatting.count(a.numerator, language),
            )
        )
        block.append(
            t._(
                "Denominator ({name}): {value}",
                name=denominator_name,
                value=formatting.count(a.denominator, language),
            )
        )
        if a.units_judged:
            block.append(
                t._("{met}/{judged} units meet it", met=a.units_met or 0, judged=a.units_judged)
            )
        needed = needed_text(line, catalogue, t)
        if needed:
            block.append(needed[:1].upper() + needed[1:])
        baseline = baseline_text(indicator, line.level, t)
        if baseline:
            block.append(baseline)
        parts.append("\n".join(block))
    if not lines:
        parts.append(t._("This indicator does not apply to this unit."))
    about = [t._("Legal basis: {text}", text=indicator.legal_basis.get(language))]
    about.append(t._("Lead unit: {text}", text=indicator.lead.get(language)))
    if indicator.coordinating is not None:
        about.append(t._("Coordinating units: {text}", text=indicator.coordinating.get(language)))
    parts.append("\n".join(about))
    return "\n\n".join(parts)


def detail_keyboard(
    unit: Unit, period: Period, t: Translator, indicator: str | None = None
) -> InlineKeyboardMarkup:
    """Back to the status; with `indicator`, also its chart (a picture of the year)."""
    back = button(t._("◀ Back to the status"), StatusView(unit.code, period))
    if indicator is None:
        return InlineKeyboardMarkup([[back]])
    chart = button(
        t._("📈 Chart"), TrendChartView(unit.code, Period.whole_year(period.year), indicator)
    )
    return InlineKeyboardMarkup([[chart, back]])


# --- child units ------------------------------------------------------------------------------


def children_text(
    catalogue: Catalogue,
    unit: Unit,
    period: Period,
    summaries: Sequence[tuple[Unit, Summary]],
    page: int,
    pages: int,
    t: Translator,
) -> str:
    head = t._(
        "Units below {unit}, {period} (page {page}/{pages}):",
        unit=unit_label(catalogue, unit.code, t.language),
        period=period_name(period, t),
        page=page + 1,
        pages=pages,
    )
    body = "\n".join(
        f"{glyph(s.worst)} {child.name.get(t.language)}: {summary_text(s, t)}"
        for child, s in summaries
    )
    return head + "\n\n" + body


def children_keyboard(
    unit: Unit,
    period: Period,
    summaries: Sequence[tuple[Unit, Summary]],
    page: int,
    pages: int,
    t: Translator,
) -> InlineKeyboardMarkup:
    keyboard = rows(
        [
            button(
                f"{glyph(s.worst)} {child.name.get(t.language)}", StatusView(child.code, period)
            )
            for child, s in summaries
        ],
        2,
    )
    navigation = pager(page, pages, lambda p: ChildrenView(unit.code, period, p), t)
    if navigation:
        keyboard.append(navigation)
    keyboard.append([button("◀ " + unit.name.get(t.language), StatusView(unit.code, period))])
    return InlineKeyboardMarkup(keyboard)


# --- history ----------------------------------------------------------------------------------


def value_text(catalogue: Catalogue, element: str, value: int | None, t: Translator) -> str:
    known = catalogue.elements.get(element)
    if value is not None and known is not None and known.kind is ElementKind.FLAG:
        return t._("yes") if value else t._("no")
    return formatting.count(value, t.language)


def revision_text(revision: Revision, catalogue: Catalogue, t: Translator, show_unit: bool) -> str:
    language = t.language
    element = catalogue.elements.get(revision.element)
    name = element.short.get(language) if element is not None else revision.element
    first = f"• {formatting.moment(revision.at, language)}"
    merged = catalogue.predecessor(revision.unit)
    if merged is not None:  # a unit merged away: its figures, with their origin
        succession, old = merged
        first += " · " + t._(
            "{old} (merged into {new} from {day})",
            old=old.get(language),
            new=unit_label(catalogue, succession.unit, language),
            day=formatting.day(succession.since, language),
        )
    elif show_unit:
        first += f" · {unit_label(catalogue, revision.unit, language)}"
    second = t._(
        "{element}, {period}: {old} → {new}",
        element=name,
        period=period_name(revision.period, t),
        old=value_text(catalogue, revision.element, revision.previous, t),
        new=value_text(catalogue, revision.element, revision.value, t),
    )
    third = f"{revision.author.name} · {t._(SOURCE_NAMES[revision.source])}"
    if revision.reason:
        third += " · " + t._("reason: {reason}", reason=revision.reason)
    return f"{first}\n  {second}\n  {third}"


def history_text(
    catalogue: Catalogue,
    unit: Unit,
    revisions: Sequence[Revision],
    page: int,
    pages: int,
    t: Translator,
) -> str:
    show_unit = bool(catalogue.units.children(unit.code))
    head = t._(
        "Latest changes to the figures of {unit} (page {page}/{pages}), newest first:",
        unit=unit_label(catalogue, unit.code, t.language),
        page=page + 1,
        pages=pages,
    )
    if not revisions:
        return t._(
            "No figures have been reported for {unit} yet.",
            unit=unit_label(catalogue, unit.code, t.language),
        )
    body = "\n".join(revision_text(r, catalogue, t, show_unit) for r in revisions)
    return head + "\n\n" + body


def history_keyboard(
    catalogue: Catalogue,
    unit: Unit,
    period: Period,
    page: int,
    pages: int,
    t: Translator,
    parent: Unit | None,
) -> InlineKeyboardMarkup:
    """Pages, a filter by child unit, the parent's history, and the unit's status."""
    keyboard = []
    navigation = pager(page, pages, lambda p: HistoryView(unit.code, p), t)
    if navigation:
        keyboard.append(navigation)
    if catalogue.units.children(unit.code):
        keyboard.append([button(t._("By unit below ▸"), HistoryUnitsView(unit.code, 0))])
    last = []
    if parent is not None:
        last.append(button("◀ " + parent.name.get(t.language), HistoryView(parent.code, 0)))
    last.append(button(t._("📊 Status"), StatusView(unit.code, period)))
    keyboard.append(last)
    return InlineKeyboardMarkup(keyboard)


def history_units_text(
    catalogue: Catalogue, unit: Unit, page: int, pages: int, t: Translator
) -> str:
    return t._(
        "Whose figures? The units below {unit} (page {page}/{pages}):",
        unit=unit_label(catalogue, unit.code, t.language),
        page=page + 1,
        pages=pages,
    )


def history_units_keyboard(
    unit: Unit, children: Sequence[Unit], page: int, pages: int, t: Translator
) -> InlineKeyboardMarkup:
    keyboard = rows(
        [button(child.name.get(t.language), HistoryView(child.code, 0)) for child in children], 2
    )
    navigation = pager(page, pages, lambda p: HistoryUnitsView(unit.code, p), t)
    if navigation:
        keyboard.append(navigation)
    keyboard.append([button("◀ " + unit.name.get(t.language), HistoryView(unit.code, 0))])
    return InlineKeyboardMarkup(keyboard)


# --- the unit tree ----------------------------------------------------------------------------


def units_text(
    catalogue: Catalogue,
    unit: Unit,
    children: Sequence[Unit],
    people: Mapping[str, int],
    page: int,
    pages: int,
    t: Translator,
) -> str:
    """The unit with the people bound to it, then a page of its children with theirs."""
    language = t.language
    head = t._(
        "People bound to {unit}: {count}.",
        unit=unit_label(catalogue, unit.code, language),
        count=people.get(unit.code, 0),
    )
    if not catalogue.units.children(unit.code):
        return head
    lines = []
    for child in children:
        below = len(catalogue.units.children(child.code))
        line = f"• {child.name.get(language)}: 👤 {people.get(child.code, 0)}"
        if below:
            line += " · " + t.n_("{count} unit below", "{count} units below", below, count=below)
        lines.append(line)
    listing = t._("Units below (page {page}/{pages}):", page=page + 1, pages=pages)
    legend = t._("👤 people bound to the unit")
    return head + "\n\n" + listing + "\n" + "\n".join(lines) + "\n\n" + legend


def units_keyboard(
    unit: Unit,
    children: Sequence[Unit],
    period: Period,
    page: int,
    pages: int,
    t: Translator,
    parent: Unit | None,
) -> InlineKeyboardMarkup:
    """Per child: open it in the tree, or its status; then pages, the parent, this unit's
    status."""
    language = t.language
    keyboard = [
        [
            button(child.name.get(language), UnitsView(child.code, 0)),
            button("📊", StatusView(child.code, period)),
        ]
        for child in children
    ]
    navigation = pager(page, pages, lambda p: UnitsView(unit.code, p), t)
    if navigation:
        keyboard.append(navigation)
    last = []
    if parent is not None:
        last.append(button("◀ " + parent.name.get(language), UnitsView(parent.code, 0)))
    last.append(
        button(
            t._("📊 Status of {unit}", unit=unit.name.get(language)), StatusView(unit.code, period)
        )
    )
    keyboard.append(last)
    return InlineKeyboardMarkup(keyboard)


def year_note(today_year: int, shown_year: int, t: Translator) -> str:
    """Which year is shown when no loaded catalogue covers today."""
    return t._(
        "No targets are loaded for {today}: showing {year}, the latest year with targets.",
        today=today_year,
        year=shown_year,
    )


__all__ = [  # fit and line_text: i18n.texts', re-exported for handlers/submit.py and quick.py
    "REVISIONS_PER_PAGE",
    "UNITS_PER_PAGE",
    "PeriodChoice",
    "children_keyboard",
    "children_text",
    "detail_keyboard",
    "detail_text",
    "fit",
    "history_keyboard",
    "history_text",
    "history_units_keyboard",
    "history_units_text",
    "line_text",
    "status_keyboard",
    "status_text",
    "units_keyboard",
    "units_text",
    "year_note",
]

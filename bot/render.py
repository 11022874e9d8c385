"""The texts and keyboards of the read-only views: a unit's status, an indicator in full, child
units, the history of figures and the unit tree.

Pure functions: kpi and services objects and a Translator in, text and InlineKeyboardMarkup out;
the handlers fetch, authorise and send. Plain text (no parse mode): unit names carry apostrophes
and a person's reason may carry anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import formatting
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
from bot.formatting import period_name
from bot.i18n import N_, Translator
from bot.pace_text import basis_text, pace_text
from kpi.attainment import Attainment, Status, round_percent
from kpi.catalogue import Catalogue
from kpi.elements import ElementKind
from kpi.evaluation import Line
from kpi.indicators import Indicator, IndicatorKind
from kpi.pace import Pace, PaceStatus, line_key
from kpi.periods import Period
from kpi.revisions import Revision, Source
from kpi.units import Level, Unit

T = TypeVar("T")

MESSAGE_LIMIT = 4096  # Telegram's limit on a message's text, in characters
UNITS_PER_PAGE = 8
REVISIONS_PER_PAGE = 10
BUTTONS_PER_ROW = 4

GLYPHS: Mapping[Status, str] = {
    Status.MET: "✅",
    Status.BELOW_TARGET: "⚠️",
    Status.BELOW_FLOOR: "🔴",
    Status.NO_DATA: "⚪",
    Status.NOTHING_AROSE: "🔘",
    Status.NO_TARGET: "➖",
}
STATUS_WORDS: Mapping[Status, str] = {
    Status.MET: N_("met"),
    Status.BELOW_TARGET: N_("below target"),
    Status.BELOW_FLOOR: N_("below floor"),
    Status.NO_DATA: N_("no data yet"),
    Status.NO_TARGET: N_("tracked only"),
}  # the words of the status legend, for the command line's tables
LEVEL_NAMES: Mapping[Level, str] = {
    Level.PROVINCE: N_("province level"),
    Level.DEPARTMENT: N_("provincial departments"),
    Level.DISTRICT: N_("district level"),
    Level.COMMUNE: N_("commune level"),
}
SOURCE_NAMES: Mapping[Source, str] = {
    Source.CHAT: N_("in the chat"),
    Source.IMPORT: N_("by file import"),
    Source.SANDBOX: N_("in the sandbox"),
    Source.CLI: N_("from the command line"),
}


# --- small pieces -----------------------------------------------------------------------------


def glyph(status: Status) -> str:
    return GLYPHS[status]


def status_word(status: Status, t: Translator) -> str:
    """ "⚠️ chưa đạt": the glyph and the word of the status legend."""
    word = STATUS_WORDS.get(status)
    return f"{GLYPHS.get(status, '')} {t._(word) if word else status.value}".strip()


def period_heading(period: Period, catalogue: Catalogue, t: Translator) -> str:
    """The period's name and the days it counts: "Quý 1/2022 (15/12/2021 – 14/03/2022)"."""
    cutoff = catalogue.calendar.cutoff_day
    return t._(
        "{period} ({start} – {end})",
        period=period_name(period, t, start=True),
        start=formatting.day(period.start(cutoff), t.language),
        end=formatting.day(period.end(cutoff), t.language),
    )


def limit_text(value: Decimal, language: str) -> str:
    """A target or floor as set: 25 → "25 %", 97.5 → "97,5 %"."""
    exponent = value.normalize().as_tuple().exponent
    decimals = max(0, -exponent) if isinstance(exponent, int) else 0
    return formatting.percent(value, decimals, language)


def rate_text(attainment: Attainment, language: str) -> str:
    """The rate with two decimals, or more where fewer would make it read equal to its target."""
    decimals = attainment.display_decimals()
    return formatting.percent(attainment.rate_percent(decimals), decimals, language)


def level_name(level: Level, t: Translator) -> str:
    return t._(LEVEL_NAMES[level])


def unit_label(catalogue: Catalogue, code: str, language: str) -> str:
    """The unit's name (with its district's for a commune); its code if the tree lost it."""
    units = catalogue.units
    return units.describe(code, language) if code in units else code


def measure(catalogue: Catalogue, indicator: Indicator, t: Translator) -> str:
    """What "needed" counts: units for a coverage, else the numerator's measure word."""
    if indicator.kind is IndicatorKind.COVERAGE or not indicator.numerator:
        return t._("units")
    code = indicator.numerator[0]
    if code not in catalogue.elements:
        return ""
    return catalogue.elements[code].measure.get(t.language)


def needed_text(line: Line, catalogue: Catalogue, t: Translator) -> str | None:
    """ "cần thêm 47.076 hồ sơ", "không còn đạt được trong kỳ này", or None when nothing is."""
    a = line.attainment
    if a.status not in (Status.BELOW_TARGET, Status.BELOW_FLOOR):
        return None
    if not a.reachable:
        return t._("no longer reachable in this period")
    if not a.needed:
        return None
    word = measure(catalogue, line.indicator, t)
    if a.needed == 1 and t.language == "en":
        word = word.removesuffix("s")  # the catalogue's English measures are plurals
    return t._(
        "{count} more {measure} needed",
        count=formatting.count(a.needed, t.language),
        measure=word,
    ).strip()


def figures_text(a: Attainment, language: str, t: Translator) -> str:
    """ "12,27 % (mục tiêu 25 %)", "chưa có số liệu (mục tiêu 25 %)", with the floor if any."""
    if a.status is Status.NO_TARGET:
        if a.rate is None:
            return t._("no data yet (tracked, no target)")
        return t._("{rate} (tracked, no target)", rate=rate_text(a, language))
    if a.status is Status.NOTHING_AROSE:
        rate = t._("nothing arose (0 of 0)")
    else:
        rate = t._("no data yet") if a.rate is None else rate_text(a, language)
    assert a.target is not None
    if a.floor is None:
        return t._("{rate} (target {target})", rate=rate, target=limit_text(a.target, language))
    return t._(
        "{rate} (target {target}, floor {floor})",
        rate=rate,
        target=limit_text(a.target, language),
        floor=limit_text(a.floor, language),
    )


def line_title(line: Line, t: Translator) -> str:
    """ "III.2 Hồ sơ trực tuyến trên tổng số hồ sơ", with the level's name on a by-level line."""
    title = f"{line.indicator.code} {line.indicator.short.get(t.language)}"
    if line.level is not None:
        title += f" ({level_name(line.level, t)})"
    return title


def line_text(line: Line, catalogue: Catalogue, t: Translator) -> str:
    """One indicator line of a status: glyph, name, rate, target, units meeting it, needed."""
    a = line.attainment
    parts = [figures_text(a, t.language, t)]
    if a.units_judged:
        parts.append(
            t._("{met}/{judged} units meet it", met=a.units_met or 0, judged=a.units_judged)
        )
    if a.not_answered:
        parts.append(
            t.n_(
                "not yet reported: {count} unit",
                "not yet reported: {count} units",
                a.not_answered,
                count=formatting.count(a.not_answered, t.language),
            )
        )
    needed = needed_text(line, catalogue, t)
    if needed:
        parts.append(needed)
    return f"{glyph(a.status)} {line_title(line, t)}: " + " · ".join(parts)


@dataclass(frozen=True, slots=True)
class Summary:
    """How a unit stands overall: lines met of the lines with a target, the worst status, and
    how many lines are below target, below the floor, without data, or had nothing arise."""

    met: int
    judged: int  # lines with a target: none is left out of the headline
    worst: Status
    below_target: int = 0
    below_floor: int = 0
    no_data: int = 0
    nothing_arose: int = 0


def summarise(lines: Sequence[Line]) -> Summary:
    statuses = [
        line.attainment.status for line in lines if line.attainment.status is not Status.NO_TARGET
    ]
    if not statuses:
        return Summary(0, 0, Status.NO_DATA)

    def count(status: Status) -> int:
        return sum(1 for s in statuses if s is status)

    judged = [s for s in statuses if s not in (Status.NO_DATA, Status.NOTHING_AROSE)]
    return Summary(
        count(Status.MET),
        len(statuses),
        max(judged, key=lambda s: s.severity) if judged else Status.NO_DATA,
        count(Status.BELOW_TARGET),
        count(Status.BELOW_FLOOR),
        count(Status.NO_DATA),
        count(Status.NOTHING_AROSE),
    )


def summary_text(summary: Summary, t: Translator) -> str:
    """ "Đạt 9/12 chỉ tiêu · 1 chưa đạt · 1 chưa có số liệu · 1 không phát sinh"."""
    if summary.judged == summary.no_data:
        return t._("no data yet")
    parts = [t._("{met}/{judged} targets met", met=summary.met, judged=summary.judged)]
    for number, text in (
        (summary.below_target, N_("{count} below target")),
        (summary.below_floor, N_("{count} below the floor")),
        (summary.no_data, N_("{count} without data")),
        (summary.nothing_arose, N_("{count} where nothing arose")),
    ):
        if number:
            parts.append(t._(text, count=number))
    return " · ".join(parts)


def paginate(items: Sequence[T], page: int, size: int) -> tuple[list[T], int, int]:
    """The items of `page` (clamped to the pages there are), the page and the number of pages."""
    pages = max(1, -(-len(items) // size))
    page = min(max(page, 0), pages - 1)
    return list(items[page * size : (page + 1) * size]), page, pages


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The text in messages of at most `limit` characters, cut between paragraphs, else between
    lines, else (a single line longer than a message) anywhere."""
    chunks: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        current = ""
        for line in paragraph.split("\n"):
            candidate = f"{current}\n{line}" if current else line
            if len(candidate) <= limit:
                current = candidate
                continue
            if current:
                chunks.append(current)
            while len(line) > limit:
                chunks.append(line[:limit])
                line = line[limit:]  # noqa: PLW2901 (the rest of the line goes on)
            current = line
    if current or not chunks:
        chunks.append(current)
    return chunks


def fit(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """The text cut to one message (for an edit, which cannot become two), marked with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return cut[: cut.rfind("\n")] + "\n…" if "\n" in cut else cut + "…"


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
        variant = next((v for v in indicator.variants if v.level is level), None)
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
    if show_unit:
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


__all__ = [
    "GLYPHS",
    "MESSAGE_LIMIT",
    "REVISIONS_PER_PAGE",
    "UNITS_PER_PAGE",
    "PeriodChoice",
    "Summary",
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
    "paginate",
    "period_name",
    "split_message",
    "status_keyboard",
    "status_text",
    "summarise",
    "units_keyboard",
    "units_text",
    "year_note",
]

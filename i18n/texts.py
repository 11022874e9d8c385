"""The texts all adapters share: a status and its lines, limits and rates, levels and units,
scores, a broadcast's sender and a merger's notice.

Pure functions: kpi and services objects and a Translator in, plain text out (no Telegram, no
parse mode). bot/render.py builds the chat's messages and keyboards on them; the command line,
the charts and the workbook use them as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TypeVar

from i18n import formatting
from i18n.formatting import period_name
from i18n.translations import N_, Translator, translator
from kpi.attainment import Attainment, Status, round_percent
from kpi.catalogue import Catalogue
from kpi.evaluation import Line
from kpi.indicators import Indicator, IndicatorKind
from kpi.periods import Period
from kpi.units import Level, known_level
from services.catalogues import Move

T = TypeVar("T")

MESSAGE_LIMIT = 4096  # Telegram's limit on a message's text, in characters

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


# --- statuses, limits, levels and units ----------------------------------------------------------


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
    """The level as its catalogue names it ("cấp xã" / "commune level")."""
    info = known_level(level)
    return level if info is None else info.name.get(t.language)


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


# --- elements, scores, broadcasts and mergers ---------------------------------------------------


def element_name(catalogue: Catalogue, code: str, language: str) -> str:
    try:
        return catalogue.element(code).short.get(language)
    except ValueError:
        return code


def points(value: Fraction) -> Decimal:
    """A score rounded half-up to two decimals."""
    return round_percent(value / 100, 2)


def points_text(value: Fraction, language: str) -> str:
    """ "8,75" (vi), "8.75" (en), "9" for a whole score."""
    return formatting.decimal(points(value), 2, language)


def sender_line(catalogue: Catalogue, language: str) -> str:
    """ "📢 Văn phòng UBND tỉnh Kon Tum": who a broadcast comes from (the provincial office of
    the catalogue's province), written above the text every recipient gets."""
    t = translator(language)
    province = catalogue.province.get(t.language)
    if t.language == "vi":
        province = province[:1].lower() + province[1:]  # "tỉnh Kon Tum", inside the name
    return "📢 " + t._("Office of the People's Committee of {province}", province=province)


def moved_text(move: Move, catalogue: Catalogue, language: str | None) -> str:
    """The one message a person gets when their unit was merged into another (issue 14)."""
    t = translator(language or "vi")
    succession = next(s for s in catalogue.successions if move.old in s.codes)
    old = dict(succession.predecessors)[move.old].get(t.language)
    return t._(
        "{old} was merged into {new} from {day}. From now on you report for {new}; the figures"
        " {old} filed stay as they were and count in {new}. /history shows them.",
        old=old,
        new=unit_label(catalogue, move.new, t.language),
        day=formatting.day(succession.since, t.language),
    )

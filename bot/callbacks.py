"""The data behind the read-only views' inline buttons: short, explicit, parsed strictly.

    encode(StatusView("dak-glei", Period.parse("2022-Q1")))   # "st:dak-glei:2022-Q1"
    decode("sd:so-y-te:2022:III.2")                            # DetailView(...)

Telegram keeps 1 to 64 bytes of UTF-8 per button; the data names what to show, never what the
presser may see: every press is authorised again on the unit it names. Anything that does not
parse exactly (an old layout, a forged or truncated button) raises InvalidCallbackError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from kpi.errors import PeriodError
from kpi.periods import Period, PeriodKind
from kpi.units import Level, level_key, level_of_key

MAX_BYTES: Final = 64  # Telegram's limit on callback_data, in bytes of UTF-8
SEPARATOR: Final = ":"
MAX_PAGE: Final = 999  # pages are numbered 0..999

_UNIT = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_INDICATOR = re.compile(r"^[A-Z]+(?:\.[0-9a-z]+)*$")
_PAGE = re.compile(r"^(?:0|[1-9][0-9]{0,2})$")


class InvalidCallbackError(ValueError):
    """Button data this version of the bot does not understand (stale, forged or malformed)."""


@dataclass(frozen=True, slots=True)
class StatusView:
    """A unit's lines for a period."""

    unit: str
    period: Period


@dataclass(frozen=True, slots=True)
class DetailView:
    """One indicator of a unit for a period, in full."""

    unit: str
    period: Period
    indicator: str


@dataclass(frozen=True, slots=True)
class ChildrenView:
    """A page of a unit's child units, each a button to its status."""

    unit: str
    period: Period
    page: int


@dataclass(frozen=True, slots=True)
class HistoryView:
    """A page of the latest revisions of a unit's (and its subtree's) figures."""

    unit: str
    page: int


@dataclass(frozen=True, slots=True)
class HistoryUnitsView:
    """A page of a unit's child units, each a button to its history."""

    unit: str
    page: int


@dataclass(frozen=True, slots=True)
class UnitsView:
    """A unit of the tree with its children and the people bound to them (administrators)."""

    unit: str
    page: int


@dataclass(frozen=True, slots=True)
class ChartMenuView:
    """The indicators of a unit to chart: as trends, or (`ranking`) as its children ranked."""

    unit: str
    period: Period  # what a ranking is for; a trend shows the period's year
    ranking: bool


@dataclass(frozen=True, slots=True)
class TrendChartView:
    """A picture of one line of a unit over a year, month by month."""

    unit: str
    period: Period  # the whole year
    indicator: str
    level: Level | None = None  # the line of one level, where targets differ by level


@dataclass(frozen=True, slots=True)
class RankingChartView:
    """A picture of a unit's children ranked on one indicator for a period."""

    unit: str
    period: Period
    indicator: str


View = (
    StatusView
    | DetailView
    | ChildrenView
    | HistoryView
    | HistoryUnitsView
    | UnitsView
    | ChartMenuView
    | TrendChartView
    | RankingChartView
)

# A line's level in a chart button is its catalogue key (levels[].key): short, since unit codes
# are long.
_CHART_MODES: Final = {"t": False, "r": True}


class Prefix(StrEnum):
    """The first field of the data: which view."""

    STATUS = "st"
    DETAIL = "sd"
    CHILDREN = "sc"
    HISTORY = "hi"
    HISTORY_UNITS = "hu"
    UNITS = "un"
    CHART_MENU = "cm"
    TREND_CHART = "ct"
    RANKING_CHART = "cr"


# What a CallbackQueryHandler matches to route a press to these views.
PATTERN: Final = "^(?:" + "|".join(Prefix) + ")" + SEPARATOR


def encode(view: View) -> str:  # noqa: PLR0912 (one case per view)
    """The button data of a view; ValueError if it would not fit Telegram's 64 bytes."""
    match view:
        case StatusView(unit, period):
            fields = [Prefix.STATUS, unit, period.key]
        case DetailView(unit, period, indicator):
            fields = [Prefix.DETAIL, unit, period.key, indicator]
        case ChildrenView(unit, period, page):
            fields = [Prefix.CHILDREN, unit, period.key, str(page)]
        case HistoryView(unit, page):
            fields = [Prefix.HISTORY, unit, str(page)]
        case HistoryUnitsView(unit, page):
            fields = [Prefix.HISTORY_UNITS, unit, str(page)]
        case UnitsView(unit, page):
            fields = [Prefix.UNITS, unit, str(page)]
        case ChartMenuView(unit, period, ranking):
            fields = [Prefix.CHART_MENU, unit, period.key, "r" if ranking else "t"]
        case TrendChartView(unit, period, indicator, level):
            fields = [Prefix.TREND_CHART, unit, period.key, indicator]
            if level is not None:
                fields.append(level_key(level))
        case RankingChartView(unit, period, indicator):
            fields = [Prefix.RANKING_CHART, unit, period.key, indicator]
    data = SEPARATOR.join(fields)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"{data!r} is longer than Telegram's {MAX_BYTES} bytes")
    # a view that would not read back is a bug of its caller, not a person's mistake
    try:
        if decode(data) == view:
            return data
    except InvalidCallbackError:
        pass
    raise ValueError(f"{view!r} cannot be written as button data")


def decode(data: str | None) -> View:
    """The view named by button data; InvalidCallbackError unless it is exactly well formed."""
    if not data or len(data.encode()) > MAX_BYTES:
        raise InvalidCallbackError("empty or longer than 64 bytes")
    prefix, *fields = data.split(SEPARATOR)
    match prefix, fields:
        case (Prefix.STATUS, [unit, period]):
            return StatusView(_unit(unit), _period(period))
        case (Prefix.DETAIL, [unit, period, indicator]):
            return DetailView(_unit(unit), _period(period), _indicator(indicator))
        case (Prefix.CHILDREN, [unit, period, page]):
            return ChildrenView(_unit(unit), _period(period), _page(page))
        case (Prefix.HISTORY, [unit, page]):
            return HistoryView(_unit(unit), _page(page))
        case (Prefix.HISTORY_UNITS, [unit, page]):
            return HistoryUnitsView(_unit(unit), _page(page))
        case (Prefix.UNITS, [unit, page]):
            return UnitsView(_unit(unit), _page(page))
        case (Prefix.CHART_MENU, [unit, period, mode]) if mode in _CHART_MODES:
            return ChartMenuView(_unit(unit), _period(period), _CHART_MODES[mode])
        case (Prefix.TREND_CHART, [unit, year, indicator, *level]) if len(level) <= 1:
            return TrendChartView(
                _unit(unit),
                _year(year),
                _indicator(indicator),
                _level(level[0]) if level else None,
            )
        case (Prefix.RANKING_CHART, [unit, period, indicator]):
            return RankingChartView(_unit(unit), _period(period), _indicator(indicator))
    raise InvalidCallbackError(f"unknown button data {data!r}")


def _unit(text: str) -> str:
    if not _UNIT.fullmatch(text):
        raise InvalidCallbackError(f"not a unit code: {text!r}")
    return text


def _indicator(text: str) -> str:
    if not _INDICATOR.fullmatch(text):
        raise InvalidCallbackError(f"not an indicator code: {text!r}")
    return text


def _period(text: str) -> Period:
    try:
        period = Period.parse(text)
    except PeriodError:
        raise InvalidCallbackError(f"not a period: {text!r}") from None
    if period.key != text:  # only the canonical spelling: "2022-Q1", never "2022 q1"
        raise InvalidCallbackError(f"not a canonical period: {text!r}")
    return period


def _year(text: str) -> Period:
    period = _period(text)
    if period.kind is not PeriodKind.YEAR:
        raise InvalidCallbackError(f"not a year: {text!r}")
    return period


def _level(text: str) -> Level:
    level = level_of_key(text)
    if level is None:
        raise InvalidCallbackError(f"not a level: {text!r}")
    return level


def _page(text: str) -> int:
    if not _PAGE.fullmatch(text):
        raise InvalidCallbackError(f"not a page number: {text!r}")
    return int(text)


__all__ = [
    "MAX_BYTES",
    "MAX_PAGE",
    "PATTERN",
    "ChartMenuView",
    "ChildrenView",
    "DetailView",
    "HistoryUnitsView",
    "HistoryView",
    "InvalidCallbackError",
    "Prefix",
    "RankingChartView",
    "StatusView",
    "TrendChartView",
    "UnitsView",
    "View",
    "decode",
    "encode",
]

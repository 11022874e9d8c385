"""A catalogue: one decision's indicators, elements, rules, calendar and units."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time

from kpi.elements import DataElement
from kpi.errors import UnknownElementError, UnknownIndicatorError
from kpi.indicators import IncreaseReading, Indicator
from kpi.periods import DEFAULT_CUTOFF_DAY, Period, cumulative_period
from kpi.rules import ValidationRule
from kpi.scope import FORM_ORDER, UnitProperty, asked_of, indicators_seen
from kpi.text import LocalText
from kpi.units import Level, Succession, Unit, UnitTree

__all__ = [
    "FORM_ORDER",
    "Catalogue",
    "Group",
    "ReminderSettings",
    "ReportingCalendar",
    "Section",
    "Settings",
]


@dataclass(frozen=True, slots=True)
class ReminderSettings:
    days_before: tuple[int, ...] = (7, 3, 1)
    on_day_at: time = time(8, 0)
    days_after: tuple[int, ...] = (1, 3)
    quiet_start: time = time(21, 0)
    quiet_end: time = time(7, 0)


@dataclass(frozen=True, slots=True)
class ReportingCalendar:
    cutoff_day: int = DEFAULT_CUTOFF_DAY
    reports: tuple[str, ...] = ("Q1", "H1", "9M", "Y")
    deadlines: Mapping[Level, int] = field(default_factory=dict)
    reminders: ReminderSettings = field(default_factory=ReminderSettings)
    cutoff_source: str | None = None  # where the cut-off day comes from (a decree's article)
    deadline_sources: Mapping[Level, str] = field(default_factory=dict)  # by level

    def due_periods(self, year: int) -> tuple[Period, ...]:
        """The reports due in `year`, in order (Q1, H1, 9M and the year by default)."""
        numbers = {"Q1": 1, "H1": 2, "9M": 3, "Y": 4}
        return tuple(cumulative_period(year, numbers[r]) for r in self.reports)

    def deadline(self, period: Period, level: Level) -> date:
        """When units of `level` must have reported `period`."""
        day = self.deadlines.get(level, 20)
        return date(period.year, period.last, day)

    def month_of(self, day: date) -> Period:
        return Period.month_of(day, self.cutoff_day)


@dataclass(frozen=True, slots=True)
class Section:
    code: str
    name: LocalText


@dataclass(frozen=True, slots=True)
class Group:
    code: str
    section: str
    name: LocalText
    lead: LocalText
    coordinating: LocalText | None
    legal_basis: LocalText


@dataclass(frozen=True, slots=True)
class Settings:
    increase_reading: IncreaseReading = IncreaseReading.POINTS
    alert_repeat_days: int = 7


@dataclass(frozen=True, slots=True)
class Catalogue:
    code: str
    year: int
    province: LocalText
    title: LocalText
    decision: Mapping[str, str]
    settings: Settings
    calendar: ReportingCalendar
    sections: tuple[Section, ...]
    groups: tuple[Group, ...]
    elements: Mapping[str, DataElement]
    rules: tuple[ValidationRule, ...]
    indicators: Mapping[str, Indicator]
    units: UnitTree
    properties: Mapping[str, UnitProperty] = field(default_factory=dict)
    successions: tuple[Succession, ...] = ()  # units merged into others (catalogue `succeeds`)

    @property
    def successors(self) -> dict[str, str]:
        """The unit each merged-away unit's figures now count under."""
        return {old: s.unit for s in self.successions for old in s.codes}

    def with_predecessors(self, codes: Sequence[str]) -> list[str]:
        """The units `codes` and the units merged into them (whose figures count in theirs)."""
        wanted = set(codes)
        return [*codes, *(old for old, new in self.successors.items() if new in wanted)]

    def predecessor(self, code: str) -> tuple[Succession, LocalText] | None:
        """The succession that merged unit `code` away, and its name; None for a unit in use."""
        for succession in self.successions:
            for old, name in succession.predecessors:
                if old == code:
                    return succession, name
        return None

    def element(self, code: str) -> DataElement:
        try:
            return self.elements[code]
        except KeyError:
            raise UnknownElementError(code) from None

    def indicator(self, code: str) -> Indicator:
        try:
            return self.indicators[code]
        except KeyError:
            raise UnknownIndicatorError(code) from None

    def elements_for(self, unit: Unit) -> list[DataElement]:
        """The elements `unit` is asked for (those of the indicators that judge it, kpi.scope),
        in the order a form asks them."""
        return asked_of(self, unit)

    def indicators_for(self, unit: Unit) -> list[Indicator]:
        """Indicators that judge `unit` or a unit of its subtree (kpi.scope)."""
        return indicators_seen(self, unit)

    def rules_for(self, elements: set[str]) -> tuple[ValidationRule, ...]:
        return tuple(r for r in self.rules if r.elements <= elements)

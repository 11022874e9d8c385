"""The data behind the charts: a line's year month by month, and a unit's children ranked.

Computed with the functions /status uses (kpi.evaluation on the stored totals), so a point of
a chart and the line of a status for the same unit and period are the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from kpi.attainment import Attainment, Status
from kpi.catalogue import Catalogue
from kpi.errors import PeriodError
from kpi.evaluation import Line, LinePlan, evaluate_plan, evaluate_unit, plans_for
from kpi.indicators import Indicator
from kpi.pace import Pace, RunRate, line_pace
from kpi.periods import Period
from kpi.trend import MONTHS_IN_YEAR, totals_to_date
from kpi.units import Level, Unit
from services.ports import UnitOfWork, UnitTotals
from services.roadmaps import is_province

RECENT_MONTHS = 3  # the run-rate of the projection: the last reported months, up to three


class NoSuchLineError(LookupError):
    """The unit has no line of that indicator (at that level)."""


@dataclass(frozen=True, slots=True)
class TrendMonth:
    """One month of a line: the month alone, and the year up to and including it."""

    month: int  # 1..12, the reporting month
    monthly: Attainment
    to_date: Attainment


@dataclass(frozen=True, slots=True)
class Trend:
    """One indicator line of a unit over a year, up to its last reported month."""

    unit: Unit
    indicator: Indicator
    level: Level | None
    year: int
    target: Decimal | None
    floor: Decimal | None
    months: tuple[TrendMonth, ...]  # 1..the last month with data (empty: no data at all)
    pace: Pace | None  # kpi.pace on the latest year-to-date figures: None without a target

    @property
    def latest(self) -> TrendMonth | None:
        return self.months[-1] if self.months else None

    @property
    def projection(self) -> Fraction | None:
        """The year-end rate at the current pace (kpi.pace), if there is one to draw."""
        if self.pace is None or not self.months:
            return None
        return self.pace.projected_rate


@dataclass(frozen=True, slots=True)
class Rank:
    """A child unit's line on the ranked indicator."""

    unit: Unit
    line: Line

    @property
    def attainment(self) -> Attainment:
        return self.line.attainment


@dataclass(frozen=True, slots=True)
class Ranking:
    """A unit's children on one indicator for a period: with data best first, then the rest."""

    unit: Unit
    indicator: Indicator
    period: Period
    ranks: tuple[Rank, ...]
    without_data: tuple[Unit, ...]

    @property
    def targets(self) -> set[Decimal | None]:
        return {r.attainment.target for r in self.ranks}


def chart_lines(catalogue: Catalogue, unit: Unit) -> list[tuple[Indicator, Level | None]]:
    """The lines a unit can chart: those of its status, in catalogue order."""
    return [(plan.indicator, plan.level) for plan in plans_for(catalogue, unit)]


def find_plan(catalogue: Catalogue, unit: Unit, indicator: str, level: Level | None) -> LinePlan:
    for plan in plans_for(catalogue, unit):
        if plan.indicator.code == indicator and plan.level == level:
            return plan
    raise NoSuchLineError(f"{unit.code} has no line {indicator} at {level}")


def _has_data(attainment: Attainment) -> bool:
    return attainment.numerator is not None and bool(attainment.denominator)


def _to_date_period(year: int, month: int) -> Period | None:
    """January..`month` when that is a canonical period (month 1, Q1, H1, 9M, the year)."""
    try:
        return Period(year, 1, month)
    except PeriodError:
        return None


async def indicator_trend(
    uow: UnitOfWork,
    catalogue: Catalogue,
    unit_code: str,
    indicator: str,
    level: Level | None,
    year: int,
    elapsed: int | None = None,
) -> Trend:
    """The line's months of `year`: each month's rate and the year-to-date rate, its target
    and floor, and its pace with the year-end projection (kpi.pace, the recent run-rate being
    the last three reported months) after `elapsed` months (by default: the last reported).
    NoSuchLineError if the unit has no such line."""
    unit = catalogue.units.get(unit_code)
    plan = find_plan(catalogue, unit, indicator, level)
    figures = uow.figures
    monthly_totals: list[UnitTotals] = [
        await figures.totals(unit.code, Period.month(year, m))
        for m in range(1, MONTHS_IN_YEAR + 1)
    ]
    monthly = [evaluate_plan(catalogue, unit, plan, t).attainment for t in monthly_totals]
    reported = [m for m, a in enumerate(monthly, start=1) if _has_data(a)]
    last = reported[-1] if reported else 0

    def latest_wins(code: str) -> bool:
        element = catalogue.elements.get(code)
        return element is not None and element.latest_wins

    months: list[TrendMonth] = []
    for month in range(1, last + 1):
        period = _to_date_period(year, month)
        if period is None and month == last:
            period = Period.whole_year(year)  # nothing after `last`: the year so far
        if period is not None:
            totals: UnitTotals = await figures.totals(unit.code, period)
        else:
            totals = totals_to_date(monthly_totals[:month], latest_wins)
        to_date = evaluate_plan(catalogue, unit, plan, totals).attainment
        months.append(TrendMonth(month, monthly[month - 1], to_date))

    progress = None
    if months:
        recent = [m.monthly for m in months[-RECENT_MONTHS:] if _has_data(m.monthly)]
        run_rate = RunRate(
            sum(a.numerator or 0 for a in recent),
            sum(a.denominator or 0 for a in recent),
            len(recent),
        )
        progress = line_pace(
            plan.indicator,
            level,
            months[-1].to_date,
            last if elapsed is None else max(elapsed, last),
            recent=run_rate,
            baseline=is_province(catalogue, unit.code),
        )
    target = plan.target
    if unit.code in plan.indicator.target.unit_targets and months:
        target = months[-1].to_date.target
    return Trend(
        unit=unit,
        indicator=plan.indicator,
        level=level,
        year=year,
        target=target,
        floor=plan.indicator.floor if target is not None else None,
        months=tuple(months),
        pace=progress,
    )


def own_line(lines: list[Line], unit: Unit, indicator: str) -> Line | None:
    """The child's line of `indicator` that judges the child itself: at its own level, else
    the line for all levels, else the first."""
    found = [line for line in lines if line.indicator.code == indicator]
    for wanted in (unit.level, None):
        for line in found:
            if line.level == wanted:
                return line
    return found[0] if found else None


async def children_ranking(
    uow: UnitOfWork, catalogue: Catalogue, unit_code: str, indicator: str, period: Period
) -> Ranking:
    """The unit's children that have a line of `indicator`, ranked by rate for `period`, with
    the lines /status shows for each child (one read of all their totals)."""
    unit = catalogue.units.get(unit_code)
    children = catalogue.units.children(unit.code)
    everything = await uow.figures.totals_of_units([c.code for c in children], period)
    ranks: list[Rank] = []
    without: list[Unit] = []
    for child in children:
        line = own_line(
            evaluate_unit(catalogue, child, everything.get(child.code, {})), child, indicator
        )
        if line is None:
            continue
        a = line.attainment
        if a.status is Status.NO_DATA or a.rate is None:
            without.append(child)
        else:
            ranks.append(Rank(child, line))
    ranks.sort(key=lambda r: (-(r.attainment.rate or 0), r.unit.code))
    return Ranking(unit, catalogue.indicators[indicator], period, tuple(ranks), tuple(without))


__all__ = [
    "NoSuchLineError",
    "Rank",
    "Ranking",
    "Trend",
    "TrendMonth",
    "chart_lines",
    "children_ranking",
    "find_plan",
    "indicator_trend",
    "own_line",
]

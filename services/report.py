"""The provincial office's report of a period: who reported (completeness), who reported by the
deadline (timeliness), by level, the units not reported, and the ranking of the units of a level
by indicators met with a preview of the scoring (kpi.scoring).

Completeness: the units expected to report are those of the subtree asked for data elements
(the indicators that judge them, kpi.scope); a unit has reported when nothing is missing
(kpi.reporting.missing). Timeliness: a report is on time when it became complete
(kpi.timeliness, from when its figures were first submitted) by the end of its level's deadline
day (the catalogue's calendar) in the province's time zone. Both come from two reads of the
whole year (current figures, first submissions); the ranking from one read of every unit's
totals (a sweep), however many units there are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from fractions import Fraction

from kpi.catalogue import Catalogue
from kpi.errors import DomainError
from kpi.evaluation import Line, evaluate_unit
from kpi.periods import Period
from kpi.reporting import Series, missing
from kpi.scoring import Ranked, rank_units, score_unit
from kpi.timeliness import Stamps, Timeliness, completed_at, judge_timeliness
from kpi.units import Level, Unit
from services.ports import UnitOfWork
from services.status import sweep


class NotAReportPeriodError(DomainError):
    """A period for which no report is due (a month, a second quarter alone...)."""

    def __init__(self, period: Period, due: Sequence[Period]) -> None:
        keys = ", ".join(p.key for p in due)
        super().__init__(f"no report is due for {period.key}: the reports due are {keys}")
        self.period = period


def check_report_period(catalogue: Catalogue, period: Period) -> Period:
    """`period` if a report is due for it in the catalogue's calendar, else the error."""
    due = catalogue.calendar.due_periods(period.year)
    if period not in due:
        raise NotAReportPeriodError(period, due)
    return period


def default_report_period(by_year: Mapping[int, Catalogue], today: date) -> Period:
    """The report the office is collecting or last collected: the latest report period of the
    current year whose cut-off has passed (its deadlines are near or past), else the previous
    year's last report if its catalogue is loaded, else the year's first report."""
    newest = by_year[max(by_year)]
    year = newest.calendar.month_of(today).year
    if year not in by_year:
        year = max(y for y in by_year if y <= year) if min(by_year) <= year else min(by_year)
    calendar = by_year[year].calendar
    due = calendar.due_periods(year)
    ended = [p for p in due if p.end(calendar.cutoff_day) < today]
    if ended:
        return ended[-1]
    if year - 1 in by_year:
        return by_year[year - 1].calendar.due_periods(year - 1)[-1]
    return due[0]


def reporting_levels(catalogue: Catalogue, root: Unit) -> list[Level]:
    """The levels of the subtree with a unit asked for data elements (kpi.scope), top down."""
    asking = {u.level for u in catalogue.units.subtree(root.code) if catalogue.elements_for(u)}
    return [level for level in catalogue.units.levels_in_subtree(root.code) if level in asking]


def ranking_levels(catalogue: Catalogue, root: Unit) -> list[Level]:
    """The levels ranked in a report on `root`: those below it (the root is alone at its own)."""
    return [level for level in catalogue.units.levels_in_subtree(root.code) if level != root.level]


@dataclass(frozen=True, slots=True)
class UnitReporting:
    """One unit expected to report: when its report became complete and what it still lacks."""

    unit: str
    level: Level
    deadline: date
    completed_at: datetime | None  # UTC; None while not reported
    completed_on: date | None  # the same moment's day in the province
    timeliness: Timeliness
    missing: tuple[str, ...]  # element codes, in the order of its form

    @property
    def reported(self) -> bool:
        return not self.missing


def _share(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


@dataclass(frozen=True, slots=True)
class LevelReporting:
    """Completeness and timeliness of one level of units."""

    level: Level
    deadline: date
    expected: int
    reported: int
    on_time: int

    @property
    def late(self) -> int:
        return self.reported - self.on_time

    @property
    def not_reported(self) -> int:
        return self.expected - self.reported

    @property
    def completeness(self) -> Fraction | None:
        """Units that reported over units expected (None when none is expected)."""
        return _share(self.reported, self.expected)

    @property
    def timeliness(self) -> Fraction | None:
        """Units that reported by the deadline over units expected."""
        return _share(self.on_time, self.expected)


@dataclass(frozen=True, slots=True)
class ReportingSummary:
    root: str
    period: Period
    today: date
    levels: tuple[LevelReporting, ...]
    units: tuple[UnitReporting, ...]  # every unit expected to report, in the tree's order

    @property
    def not_reported(self) -> list[UnitReporting]:
        return [u for u in self.units if not u.reported]

    @property
    def late(self) -> list[UnitReporting]:
        return [u for u in self.units if u.timeliness is Timeliness.LATE]


async def reporting_summary(
    uow: UnitOfWork,
    catalogue: Catalogue,
    root_code: str,
    period: Period,
    today: date,
    zone: tzinfo,
) -> ReportingSummary:
    """Completeness and timeliness of `period`'s report in `root_code`'s subtree (see the
    module); `today` and `zone` (the province's) decide what is overdue and what is on time."""
    check_report_period(catalogue, period)
    tree = catalogue.units
    root = tree.get(root_code)
    levels = reporting_levels(catalogue, root)
    expected = [
        u for u in tree.subtree(root.code) if u.level in levels and catalogue.elements_for(u)
    ]
    codes = {u.code for u in expected}
    figures: dict[str, dict[str, list[tuple[Period, int]]]] = defaultdict(dict)
    for figure in await uow.figures.current_figures(period.year):
        if figure.unit in codes:
            figures[figure.unit].setdefault(figure.element, []).append(
                (figure.period, figure.value)
            )
    stamps: dict[str, dict[str, list[tuple[Period, datetime]]]] = defaultdict(dict)
    for (code, element, figure_period), at in (
        await uow.figures.first_submitted(period.year)
    ).items():
        if code in codes:
            stamps[code].setdefault(element, []).append((figure_period, at))
    calendar = catalogue.calendar
    deadlines = {level: calendar.deadline(period, level) for level in levels}
    units: list[UnitReporting] = []
    for unit in expected:
        elements = catalogue.elements_for(unit)  # what /submit asks of it (kpi.scope)
        required = [e.code for e in elements]
        latest = {e.code for e in elements if e.latest_wins}
        series: dict[str, Series] = dict(figures.get(unit.code, {}))
        lacking = tuple(missing(required, series, period, latest=latest))
        unit_stamps: dict[str, Stamps] = dict(stamps.get(unit.code, {}))
        done = None if lacking else completed_at(required, unit_stamps, period, latest=latest)
        deadline = deadlines[unit.level]
        units.append(
            UnitReporting(
                unit.code,
                unit.level,
                deadline,
                done,
                None if done is None else done.astimezone(zone).date(),
                judge_timeliness(done, deadline, today, zone),
                lacking,
            )
        )
    tallies = [
        LevelReporting(
            level,
            deadlines[level],
            sum(1 for u in units if u.level == level),
            sum(1 for u in units if u.level == level and u.reported),
            sum(1 for u in units if u.level == level and u.timeliness is Timeliness.ON_TIME),
        )
        for level in levels
    ]
    return ReportingSummary(root.code, period, today, tuple(tallies), tuple(units))


async def _lines(
    uow: UnitOfWork, catalogue: Catalogue, units: Sequence[Unit], period: Period, whole: bool
) -> dict[str, list[Line]]:
    """Every unit's lines from one read: the sweep of the whole tree, or the totals of the
    units asked for."""
    if whole:
        return await sweep(uow, catalogue, period)
    totals = await uow.figures.totals_of_units([u.code for u in units], period)
    return {u.code: evaluate_unit(catalogue, u, totals.get(u.code, {})) for u in units}


async def rankings(
    uow: UnitOfWork,
    catalogue: Catalogue,
    root_code: str,
    period: Period,
    levels: Sequence[Level] | None = None,
    language: str = "vi",
) -> dict[Level, list[Ranked]]:
    """The units of each level below `root_code` (or of `levels`) ranked by indicators met,
    with their score preview (kpi.scoring), from one read of the totals."""
    tree = catalogue.units
    root = tree.get(root_code)
    wanted = list(levels) if levels is not None else ranking_levels(catalogue, root)
    units = [u for u in tree.subtree(root.code) if u.level in wanted]
    lines = await _lines(uow, catalogue, units, period, whole=root.code == tree.root.code)
    result: dict[Level, list[Ranked]] = {}
    for level in wanted:
        entries = [
            (u.code, tree.describe(u.code, language), score_unit(u.level, lines.get(u.code, [])))
            for u in units
            if u.level == level
        ]
        if entries:
            result[level] = rank_units(entries)
    return result


__all__ = [
    "LevelReporting",
    "NotAReportPeriodError",
    "ReportingSummary",
    "UnitReporting",
    "check_report_period",
    "default_report_period",
    "ranking_levels",
    "rankings",
    "reporting_levels",
    "reporting_summary",
]

"""A unit's attainment on its indicators for a period, and the sweep over every unit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kpi.catalogue import Catalogue
from kpi.evaluation import Line, evaluate_unit
from kpi.pace import MONTHS, Pace, RoadmapSetting, RunRate, line_key, line_pace, months_elapsed
from kpi.periods import Period
from services.ports import UnitOfWork, UnitTotals
from services.roadmaps import RoadmapStore, is_province


async def unit_status(
    uow: UnitOfWork, catalogue: Catalogue, unit_code: str, period: Period
) -> list[Line]:
    """Every line of the unit's indicators for `period`, aggregated over its subtree.

    One read of the unit's totals: subtree sums and each-unit counters are kept up to date on
    every submission, so the cost does not grow with the subtree.
    """
    unit = catalogue.units.get(unit_code)
    return evaluate_unit(catalogue, unit, await uow.figures.totals(unit.code, period))


async def sweep(uow: UnitOfWork, catalogue: Catalogue, period: Period) -> dict[str, list[Line]]:
    """Every unit's lines for `period`, from one read of all totals (what the alert sweep does)."""
    everything = await uow.figures.totals_of_units(None, period)
    return {
        unit.code: evaluate_unit(catalogue, unit, everything.get(unit.code, {}))
        for unit in catalogue.units
    }


@dataclass(frozen=True, slots=True)
class StatusRow:
    """A line as plain data, for JSON and tables."""

    indicator: str
    name: str
    level: str | None
    numerator: int | None
    denominator: int | None
    rate: Decimal | None
    target: Decimal | None
    floor: Decimal | None
    status: str
    needed: int | None
    reachable: bool
    units_judged: int | None
    units_met: int | None
    not_answered: int | None = None  # coverage: units judged that have not answered

    def as_json(self) -> dict[str, Any]:
        def number(value: Decimal | None) -> float | int | None:
            if value is None:
                return None
            return int(value) if value == value.to_integral_value() else float(value)

        return {
            "indicator": self.indicator,
            "name": self.name,
            "level": self.level,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "rate": number(self.rate),
            "target": number(self.target),
            "floor": number(self.floor),
            "status": self.status,
            "needed": self.needed,
            "reachable": self.reachable,
            "units_judged": self.units_judged,
            "units_met": self.units_met,
            "not_answered": self.not_answered,
        }


def status_rows(lines: Sequence[Line], language: str = "vi") -> list[StatusRow]:
    rows = []
    for line in lines:
        a = line.attainment
        rows.append(
            StatusRow(
                indicator=line.indicator.code,
                name=line.indicator.short.get(language),
                level=line.level or None,
                numerator=a.numerator,
                denominator=a.denominator,
                rate=a.rate_percent(2),
                target=a.target,
                floor=a.floor,
                status=a.status.value,
                needed=a.needed,
                reachable=a.reachable,
                units_judged=a.units_judged,
                units_met=a.units_met,
                not_answered=a.not_answered,
            )
        )
    return rows


# --- pace to target (Article 2.1) ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class YearToDate:
    """A unit's lines for its year so far, and the pace of each line that has a target."""

    year: int
    elapsed: int  # reporting months of the year ended
    lines: list[Line]
    paces: dict[str, Pace]  # by line key (kpi.pace.line_key)

    def pace_of(self, line: Line) -> Pace | None:
        return self.paces.get(line_key(line.indicator.code, line.level))


def recent_quarter(year: int, elapsed: int) -> Period | None:
    """The last quarter ended, whose run-rate extrapolates flows; None before the first ends
    or once the year is over."""
    quarter = elapsed // 3
    return Period.quarter(year, quarter) if quarter >= 1 and elapsed < MONTHS else None


def line_paces(
    lines: Sequence[Line],
    elapsed: int,
    settings: Mapping[str, RoadmapSetting],
    recent: Sequence[Line] = (),
    *,
    baseline: bool = False,
) -> dict[str, Pace]:
    """The pace of each line with a target (pure): `lines` for the year so far, `recent` the
    same unit's lines for the last quarter ended (for the run-rate of flows), `baseline` True
    for the province only (the 2021 baselines are its starting point)."""
    runs: dict[str, RunRate] = {}
    for line in recent:
        a = line.attainment
        if a.numerator is not None and a.denominator:
            runs[line_key(line.indicator.code, line.level)] = RunRate(
                a.numerator, a.denominator, 3
            )
    paces: dict[str, Pace] = {}
    for line in lines:
        key = line_key(line.indicator.code, line.level)
        found = line_pace(
            line.indicator,
            line.level,
            line.attainment,
            elapsed,
            settings.get(key),
            runs.get(key),
            baseline=baseline,
        )
        if found is not None:
            paces[key] = found
    return paces


async def year_to_date(
    uow: UnitOfWork,
    roadmaps: RoadmapStore,
    catalogue: Catalogue,
    unit_code: str,
    current_month: Period,
) -> YearToDate:
    """The unit's year so far (the catalogue's year) with the pace of each line, seen from
    `current_month` (the reporting month that counts today; Catalogues.current_month).

    The API for pace: `(await year_to_date(...)).paces[line_key("III.2", None)]`.
    """
    year = catalogue.year
    elapsed = months_elapsed(year, current_month)
    lines = await unit_status(uow, catalogue, unit_code, Period.whole_year(year))
    quarter = recent_quarter(year, elapsed)
    recent = [] if quarter is None else await unit_status(uow, catalogue, unit_code, quarter)
    settings = await roadmaps.of_unit(unit_code, year)
    own = is_province(catalogue, unit_code)
    paces = line_paces(lines, elapsed, settings, recent, baseline=own)
    return YearToDate(year, elapsed, lines, paces)


async def sweep_year_to_date(
    uow: UnitOfWork, roadmaps: RoadmapStore, catalogue: Catalogue, current_month: Period
) -> dict[str, YearToDate]:
    """`year_to_date` of every unit, in three reads (the alert sweep's form)."""
    year = catalogue.year
    elapsed = months_elapsed(year, current_month)
    lines = await sweep(uow, catalogue, Period.whole_year(year))
    quarter = recent_quarter(year, elapsed)
    recent = {} if quarter is None else await sweep(uow, catalogue, quarter)
    settings = await roadmaps.of_units(None, year)
    return {
        code: YearToDate(
            year,
            elapsed,
            unit_lines,
            line_paces(
                unit_lines,
                elapsed,
                settings.get(code, {}),
                recent.get(code, ()),
                baseline=is_province(catalogue, code),
            ),
        )
        for code, unit_lines in lines.items()
    }


__all__ = [
    "StatusRow",
    "UnitTotals",
    "YearToDate",
    "line_paces",
    "status_rows",
    "sweep",
    "sweep_year_to_date",
    "unit_status",
    "year_to_date",
]

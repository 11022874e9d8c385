"""Entering figures quickly: which periods a unit may still report, and what is already filed.

A unit reports an element either month by month or for a longer period (a quarter, 6 months),
never both for overlapping periods. These reads tell the form which period choices would be
refused (so they are never offered) and which stored periods a chosen one clashes with (so the
refusal names them), before a single question is asked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kpi.periods import Period
from services.figures import Plan
from services.ports import UnitOfWork


async def clashing_periods(
    uow: UnitOfWork, unit: str, elements: Sequence[str], period: Period
) -> list[Period]:
    """The periods, other than `period`, for which the unit already filed one of `elements` and
    which overlap `period`, in calendar order."""
    if not elements:
        return []
    series = await uow.figures.series_of(unit, list(elements), period.year)
    clashes = {
        stored
        for values in series.values()
        for stored, _value in values
        if stored != period and stored.overlaps(period)
    }
    return sorted(clashes, key=lambda p: (p.first, p.last))


async def free_periods(
    uow: UnitOfWork, unit: str, elements: Sequence[str], periods: Sequence[Period]
) -> list[Period]:
    """Those of `periods` the unit may report without clashing with figures already filed."""
    by_year: dict[int, list[tuple[Period, int]]] = {}
    for year in {p.year for p in periods}:
        series = await uow.figures.series_of(unit, list(elements), year) if elements else {}
        by_year[year] = [item for values in series.values() for item in values]
    return [
        p
        for p in periods
        if not any(stored != p and stored.overlaps(p) for stored, _v in by_year[p.year])
    ]


def figures_moved(plan: Plan, answers: Mapping[str, int], shown: Mapping[str, int]) -> list[str]:
    """The answered elements whose stored value is no longer the one the person was shown
    (`shown`, the stored values when the summary was made): someone saved meanwhile."""
    stored: dict[str, int | None] = {c.element: c.old for c in plan.changes}
    stored.update({code: answers[code] for code in plan.unchanged})
    return [code for code in answers if stored.get(code) != shown.get(code)]


async def correctable_periods(
    uow: UnitOfWork, unit: str, elements: Sequence[str], period: Period
) -> list[Period]:
    """The periods whose figures one corrects to change what `period` shows: `period` itself
    if the unit filed for it (or filed nothing within it), else those filed within it (the
    months of a quarter reported month by month), in calendar order."""
    if not elements:
        return [period]
    series = await uow.figures.series_of(unit, list(elements), period.year)
    filed = {stored for values in series.values() for stored, _value in values}
    if period in filed:
        return [period]
    within = sorted(
        (p for p in filed if p.first >= period.first and p.last <= period.last),
        key=lambda p: (p.first, p.last),
    )
    return within or [period]


__all__ = ["clashing_periods", "correctable_periods", "figures_moved", "free_periods"]

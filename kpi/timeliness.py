"""When a unit's report became complete, read from the times its figures were first submitted.

A report of a period is complete when its last quarter is covered for every required element
(kpi.reporting). It became complete at the moment the last gap closed: for each element, the
earliest time its covering figures were first submitted (a stock or flag: the earliest of its
qualifying figures; a flow: for each month of the quarter the earliest figure covering it, and
the latest of those months), and the latest of the elements. A correction made later does not
move that moment: a figure counts from its first revision, so a unit that reported in time and
corrected afterwards still reported in time.

Pure: the caller reads the times (FigureStore.first_submitted) and decides the time zone in
which a moment is compared with a deadline day.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, tzinfo
from enum import StrEnum
from typing import Final

from kpi.periods import Period
from kpi.reporting import last_quarter

Stamps = Sequence[tuple[Period, datetime]]  # one element's figures: (period, first submitted)

NO_STAMPS: Final[Stamps] = ()


class Timeliness(StrEnum):
    """Where a unit stands on one report."""

    ON_TIME = "on_time"  # complete by the end of the deadline day (province time)
    LATE = "late"  # complete, after the deadline day
    MISSING = "missing"  # not complete, and the deadline day has passed
    PENDING = "pending"  # not complete yet, and the deadline day has not passed


def element_completed_at(stamps: Stamps, period: Period, *, latest: bool) -> datetime | None:
    """When one element's figures first covered `period`'s last quarter; None if they do not."""
    quarter = last_quarter(period)
    inside = [(p, at) for p, at in stamps if p.year == period.year]
    if latest:
        found = [at for p, at in inside if quarter.first <= p.last <= quarter.last]
        return min(found, default=None)
    months: list[datetime] = []
    for month in quarter.months:
        covering = [at for p, at in inside if p.contains(month)]
        if not covering:
            return None
        months.append(min(covering))
    return max(months)


def completed_at(
    required: Collection[str],
    stamps: Mapping[str, Stamps],
    period: Period,
    *,
    latest: Collection[str] = frozenset(),
) -> datetime | None:
    """When the report of `period` became complete (see the module); None while it is not.

    `stamps` maps an element to the unit's figures of the year with their first submission;
    `latest` names the stocks and flags, as in kpi.reporting.missing.
    """
    moments: list[datetime] = []
    for code in required:
        moment = element_completed_at(stamps.get(code, NO_STAMPS), period, latest=code in latest)
        if moment is None:
            return None
        moments.append(moment)
    return max(moments, default=None)


def judge_timeliness(
    completed: datetime | None, deadline: date, today: date, zone: tzinfo
) -> Timeliness:
    """On time when complete by the end of the deadline day in `zone` (the province's)."""
    if completed is not None:
        if completed.astimezone(zone).date() <= deadline:
            return Timeliness.ON_TIME
        return Timeliness.LATE
    return Timeliness.MISSING if today > deadline else Timeliness.PENDING

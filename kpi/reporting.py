"""Whether a unit has reported a period, read from its own current figures.

DOMAIN: a unit has "reported" a period when every data element required of its level has a value
for it. The reports due (Q1, H1, 9M, the year) are cumulative, and their earlier quarters were
reported (or not) at their own deadlines; so a report counts as made when the quarter it adds, the
period's LAST quarter, is covered:

- a flow (counted over a period) needs every month of that quarter covered: by a figure for the
  month itself, for the quarter as a whole, or for a larger period containing the month (H1, 9M,
  the year). A gap of one month means the element is missing.
- a stock or a flag (a value at a moment: the latest figure counts) needs one figure whose moment,
  its period's last month, falls within that quarter: a month of it, the quarter, or a larger
  period ending with it (H1 for the second quarter, 9M for the third, the year for the fourth).
  A stock given once in the quarter is enough.

Only figures of the period's year count. Pure: the caller reads the figures (FigureStore.series).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Final

from kpi.periods import Period

Series = Sequence[tuple[Period, int]]

NO_FIGURES: Final[Series] = ()


def last_quarter(period: Period) -> Period:
    """The quarter a cumulative report adds: the quarter in which `period` ends."""
    return Period.quarter(period.year, period.quarter_number)


def covered(series: Series, period: Period, *, latest: bool) -> bool:
    """Whether one element's figures cover `period`'s last quarter (`latest`: a stock or flag)."""
    quarter = last_quarter(period)
    periods = [p for p, _value in series if p.year == period.year]
    if latest:
        return any(quarter.first <= p.last <= quarter.last for p in periods)
    return all(any(p.contains(month) for p in periods) for month in quarter.months)


def missing(
    required: Collection[str],
    figures: Mapping[str, Series],
    period: Period,
    *,
    latest: Collection[str] = frozenset(),
) -> list[str]:
    """The required elements not yet reported for `period`, in the order of `required`.

    `figures` maps an element to the unit's current figures of the year (absent: none);
    `latest` names the elements whose value is a moment's (stocks and flags), every other
    element is read as a flow.
    """
    return [
        code
        for code in required
        if not covered(figures.get(code, NO_FIGURES), period, latest=code in latest)
    ]


def reported(
    required: Collection[str],
    figures: Mapping[str, Series],
    period: Period,
    *,
    latest: Collection[str] = frozenset(),
) -> bool:
    """Whether every required element has been reported for `period` (see `missing`)."""
    return not missing(required, figures, period, latest=latest)

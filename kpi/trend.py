"""A year's trend of one indicator line: year-to-date totals from the months' totals.

Totals are kept for the 19 canonical periods of a year (kpi.aggregate); "January to May" is not
one of them. `totals_to_date` composes it from the months' totals: flow elements are summed,
stocks and flags take the latest month that has them. That is exact whenever the units that
report a stock report it every month (what the calendar asks of them); where a canonical
period exists (Q1, H1, 9M, the year) callers read its stored totals instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kpi.aggregate import Total
from kpi.evaluation import UnitTotals
from kpi.units import Level

MONTHS_IN_YEAR = 12


def totals_to_date(
    months: Sequence[UnitTotals], latest_wins: Callable[[str], bool]
) -> dict[tuple[str, Level], Total]:
    """The totals of months 1..n from the totals of each month, in order (see the module).

    Counters of indicators that bind each unit (codes starting with "@") cannot be composed:
    they are left out, so such a line reads its rate but no per-unit verdict.
    """
    result: dict[tuple[str, Level], Total] = {}
    for month in months:
        for key, total in month.items():
            code = key[0]
            if code.startswith("@") or total.reporters == 0:
                continue
            if latest_wins(code):
                result[key] = total
                continue
            before = result.get(key)
            result[key] = (
                total
                if before is None
                else Total(before.value + total.value, max(before.reporters, total.reporters))
            )
    return result


__all__ = ["MONTHS_IN_YEAR", "totals_to_date"]

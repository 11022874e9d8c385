"""Reporting periods on the cut-off calendar of Decree 09/2019/NĐ-CP.

Figures are cut off on a day of the month (the 14th by default): month `2022-03` runs from
15/02/2022 to 14/03/2022, quarter `2022-Q1` from 15/12/2021 to 14/03/2022, `2022-H1` to 14/06,
`2022-9M` to 14/09 and the year `2022` from 15/12/2021 to 14/12/2022. A period is identified by
its year and its first and last month of the reporting year (1..12), so every canonical period
is a contiguous run of months and the set relations are plain integer comparisons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache

from kpi.errors import PeriodError

DEFAULT_CUTOFF_DAY = 14


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    NINE_MONTHS = "nine_months"
    YEAR = "year"


_KEY = re.compile(r"^\s*(\d{4})(?:\s*[-/ ]\s*(0?[1-9]|1[0-2]|Q[1-4]|H1|9M))?\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A run of reporting months `first..last` (1..12) of a reporting year."""

    year: int
    first: int
    last: int

    def __post_init__(self) -> None:
        if not (1 <= self.first <= self.last <= 12):
            raise PeriodError(f"months {self.first}..{self.last} are not a period")
        if self.kind_or_none() is None:
            raise PeriodError(f"months {self.first}..{self.last} are not a reporting period")

    # construction -------------------------------------------------------------------------
    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(year, month, month)

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        return cls(year, 3 * quarter - 2, 3 * quarter)

    @classmethod
    def whole_year(cls, year: int) -> Period:
        return cls(year, 1, 12)

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read `2022-03`, `2022-Q1`, `2022-H1`, `2022-9M` or `2022`."""
        match = _KEY.match(text)
        if match is None:
            raise PeriodError(
                f"{text!r} is not a period: expected 2022-03, 2022-Q1, 2022-H1, 2022-9M or 2022"
            )
        year = int(match.group(1))
        part = (match.group(2) or "").upper()
        if not part:
            return cls.whole_year(year)
        if part.startswith("Q"):
            return cls.quarter(year, int(part[1]))
        if part == "H1":
            return cls(year, 1, 6)
        if part == "9M":
            return cls(year, 1, 9)
        return cls.month(year, int(part))

    # description --------------------------------------------------------------------------
    def kind_or_none(self) -> PeriodKind | None:
        if self.first == self.last:
            return PeriodKind.MONTH
        if self.first % 3 == 1 and self.last == self.first + 2:
            return PeriodKind.QUARTER
        if self.first == 1 and self.last == 6:
            return PeriodKind.HALF
        if self.first == 1 and self.last == 9:
            return PeriodKind.NINE_MONTHS
        if self.first == 1 and self.last == 12:
            return PeriodKind.YEAR
        return None

    @property
    def kind(self) -> PeriodKind:
        kind = self.kind_or_none()
        assert kind is not None
        return kind

    @property
    def key(self) -> str:
        return _key(self.year, self.first, self.last)

    def _compute_key(self) -> str:
        kind = self.kind
        if kind is PeriodKind.MONTH:
            return f"{self.year}-{self.first:02d}"
        if kind is PeriodKind.QUARTER:
            return f"{self.year}-Q{(self.first + 2) // 3}"
        if kind is PeriodKind.HALF:
            return f"{self.year}-H1"
        if kind is PeriodKind.NINE_MONTHS:
            return f"{self.year}-9M"
        return str(self.year)

    def __str__(self) -> str:
        return self.key

    @property
    def months(self) -> tuple[Period, ...]:
        return tuple(Period.month(self.year, m) for m in range(self.first, self.last + 1))

    @property
    def quarter_number(self) -> int:
        """The quarter in which the period ends (1..4)."""
        return (self.last + 2) // 3

    # set relations ------------------------------------------------------------------------
    def contains(self, other: Period) -> bool:
        return self.year == other.year and self.first <= other.first and other.last <= self.last

    def overlaps(self, other: Period) -> bool:
        return self.year == other.year and self.first <= other.last and other.first <= self.last

    def supersets(self) -> tuple[Period, ...]:
        """Every canonical period of the year that contains this one, itself included."""
        return _supersets(self)

    # calendar -----------------------------------------------------------------------------
    def start(self, cutoff_day: int = DEFAULT_CUTOFF_DAY) -> date:
        """The first day counted in the period."""
        year, month = (self.year - 1, 12) if self.first == 1 else (self.year, self.first - 1)
        return _cutoff(year, month, cutoff_day) + timedelta(days=1)

    def end(self, cutoff_day: int = DEFAULT_CUTOFF_DAY) -> date:
        """The last day counted in the period (its cut-off)."""
        return _cutoff(self.year, self.last, cutoff_day)

    @classmethod
    def month_of(cls, day: date, cutoff_day: int = DEFAULT_CUTOFF_DAY) -> Period:
        """The reporting month that counts `day`."""
        if day <= _cutoff(day.year, day.month, cutoff_day):
            return cls.month(day.year, day.month)
        if day.month == 12:
            return cls.month(day.year + 1, 1)
        return cls.month(day.year, day.month + 1)


def _cutoff(year: int, month: int, cutoff_day: int) -> date:
    # A cut-off day beyond the month's length (e.g. 31) means its last day.
    for day in range(cutoff_day, 27, -1):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return date(year, month, min(cutoff_day, 28))


@cache
def _key(year: int, first: int, last: int) -> str:
    return Period(year, first, last)._compute_key()  # noqa: SLF001 - the cached half of `key`


@cache
def canonical_periods(year: int) -> tuple[Period, ...]:
    """The 19 periods a year is reported in: 12 months, 4 quarters, H1, 9M and the year."""
    months = tuple(Period.month(year, m) for m in range(1, 13))
    quarters = tuple(Period.quarter(year, q) for q in range(1, 5))
    return (*months, *quarters, Period(year, 1, 6), Period(year, 1, 9), Period.whole_year(year))


def cumulative_period(year: int, quarter: int) -> Period:
    """The report due at the end of quarter `quarter`: Q1, H1 (6 months), 9M, the year."""
    return {1: Period.quarter(year, 1), 2: Period(year, 1, 6), 3: Period(year, 1, 9)}.get(
        quarter, Period.whole_year(year)
    )


@cache
def _supersets(period: Period) -> tuple[Period, ...]:
    return tuple(p for p in canonical_periods(period.year) if p.contains(period))

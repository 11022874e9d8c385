from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi.errors import PeriodError
from kpi.periods import Period, PeriodKind, canonical_periods

years = st.integers(min_value=2000, max_value=2100)
cutoffs = st.integers(min_value=1, max_value=28)


@pytest.mark.parametrize(
    ("key", "start", "end"),
    [
        ("2022-03", date(2022, 2, 15), date(2022, 3, 14)),
        ("2022-01", date(2021, 12, 15), date(2022, 1, 14)),
        ("2022-Q1", date(2021, 12, 15), date(2022, 3, 14)),
        ("2022-H1", date(2021, 12, 15), date(2022, 6, 14)),
        ("2022-9M", date(2021, 12, 15), date(2022, 9, 14)),
        ("2022", date(2021, 12, 15), date(2022, 12, 14)),
        ("2022-Q4", date(2022, 9, 15), date(2022, 12, 14)),
    ],
)
def test_periods_run_from_the_day_after_one_cutoff_to_the_next(
    key: str, start: date, end: date
) -> None:
    period = Period.parse(key)
    assert (period.start(), period.end()) == (start, end)
    assert period.key == key


@pytest.mark.parametrize("text", ["2022-13", "2022-Q5", "Q1", "22-03", "2022-H2", "", "abc"])
def test_a_period_that_cannot_be_read_is_refused_with_the_expected_forms(text: str) -> None:
    with pytest.raises(PeriodError, match="2022-Q1"):
        Period.parse(text)


def test_a_year_is_reported_in_nineteen_canonical_periods() -> None:
    kinds = [p.kind for p in canonical_periods(2022)]
    assert kinds.count(PeriodKind.MONTH) == 12
    assert kinds.count(PeriodKind.QUARTER) == 4
    assert len(kinds) == 19


@given(years, cutoffs)
def test_quarters_tile_the_year_and_months_tile_each_quarter(year: int, cutoff: int) -> None:
    whole = Period.whole_year(year)
    quarters = [Period.quarter(year, q) for q in range(1, 5)]
    assert quarters[0].start(cutoff) == whole.start(cutoff)
    assert quarters[-1].end(cutoff) == whole.end(cutoff)
    for a, b in pairwise(quarters):
        assert a.end(cutoff) + timedelta(days=1) == b.start(cutoff)
    for quarter in quarters:
        months = quarter.months
        assert months[0].start(cutoff) == quarter.start(cutoff)
        assert months[-1].end(cutoff) == quarter.end(cutoff)
        for a, b in pairwise(months):
            assert a.end(cutoff) + timedelta(days=1) == b.start(cutoff)
            assert quarter.contains(a)
            assert not a.overlaps(b)


@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2099, 12, 31)), cutoffs)
def test_every_day_falls_in_exactly_one_reporting_month(day: date, cutoff: int) -> None:
    month = Period.month_of(day, cutoff)
    assert month.start(cutoff) <= day <= month.end(cutoff)
    neighbours = [p for p in canonical_periods(month.year) if p.kind is PeriodKind.MONTH]
    assert sum(p.start(cutoff) <= day <= p.end(cutoff) for p in neighbours) == 1


def test_a_month_belongs_to_its_quarter_the_cumulative_reports_and_the_year() -> None:
    supersets = {p.key for p in Period.parse("2022-05").supersets()}
    assert supersets == {"2022-05", "2022-Q2", "2022-H1", "2022-9M", "2022"}
    assert {p.key for p in Period.parse("2022-Q4").supersets()} == {"2022-Q4", "2022"}


def test_the_fifteenth_of_december_already_counts_in_the_next_year() -> None:
    assert Period.month_of(date(2021, 12, 15)).key == "2022-01"
    assert Period.month_of(date(2021, 12, 14)).key == "2021-12"

"""Periods typed the way people write them are read as the period they mean."""

from __future__ import annotations

import pytest

from kpi.errors import PeriodError
from kpi.period_words import read_period, split_period
from kpi.periods import Period

NOW = Period.month(2022, 6)

PHRASES = [
    ("tháng 3", Period.month(2022, 3)),
    ("Tháng 3", Period.month(2022, 3)),
    ("thang 3", Period.month(2022, 3)),
    ("T3/2022", Period.month(2022, 3)),
    ("t3", Period.month(2022, 3)),
    ("T12/2021", Period.month(2021, 12)),
    ("tháng 11/2022", Period.month(2022, 11)),
    ("Tháng 11/2022", Period.month(2022, 11)),
    ("tháng 3 năm 2022", Period.month(2022, 3)),
    ("3/2022", Period.month(2022, 3)),
    ("quý 1", Period.quarter(2022, 1)),
    ("quý I/2022", Period.quarter(2022, 1)),
    ("Quý IV/2021", Period.quarter(2021, 4)),
    ("quy 2 nam 2022", Period.quarter(2022, 2)),
    ("Quý 2/2022 (cả quý)", Period.quarter(2022, 2)),
    ("Q3", Period.quarter(2022, 3)),
    ("6 tháng", Period(2022, 1, 6)),
    ("6 tháng đầu năm", Period(2022, 1, 6)),
    ("sáu tháng đầu năm 2021", Period(2021, 1, 6)),
    ("9 tháng", Period(2022, 1, 9)),
    ("9 tháng đầu năm", Period(2022, 1, 9)),
    ("chín tháng đầu năm", Period(2022, 1, 9)),
    ("năm 2022", Period.whole_year(2022)),
    ("Năm 2021", Period.whole_year(2021)),
    ("cả năm", Period.whole_year(2022)),
    ("năm nay", Period.whole_year(2022)),
    ("2022", Period.whole_year(2022)),
    ("2022-03", Period.month(2022, 3)),
    ("2022-Q1", Period.quarter(2022, 1)),
    ("2022-H1", Period(2022, 1, 6)),
    ("2022-9M", Period(2022, 1, 9)),
    ("tháng này", Period.month(2022, 6)),
    ("tháng trước", Period.month(2022, 5)),
    ("quý này", Period.quarter(2022, 2)),
    ("quý trước", Period.quarter(2022, 1)),
    ("month 6/2022", Period.month(2022, 6)),
    ("March 2022", Period.month(2022, 3)),
    ("march", Period.month(2022, 3)),
    ("quarter 1", Period.quarter(2022, 1)),
    ("Q1 2022", Period.quarter(2022, 1)),
    ("first half of 2022", Period(2022, 1, 6)),
    ("first nine months of 2022", Period(2022, 1, 9)),
    ("6 months", Period(2022, 1, 6)),
    ("whole year", Period.whole_year(2022)),
    ("year 2021", Period.whole_year(2021)),
]


@pytest.mark.parametrize(("text", "expected"), PHRASES)
def test_a_period_written_naturally_is_read_as_the_period_it_names(
    text: str, expected: Period
) -> None:
    assert read_period(text, 2022, NOW) == expected


def test_last_month_in_january_is_december_of_the_year_before() -> None:
    assert read_period("tháng trước", 2022, Period.month(2022, 1)) == Period.month(2021, 12)


def test_last_quarter_in_the_first_quarter_is_the_fourth_of_the_year_before() -> None:
    assert read_period("quý trước", 2022, Period.month(2022, 2)) == Period.quarter(2021, 4)


@pytest.mark.parametrize(
    "text", ["tháng 13", "quý 5", "quý V", "abc", "", "tháng", "12.5", "10 tháng", "quý 1/22"]
)
def test_what_is_not_a_period_is_refused_with_the_text_quoted(text: str) -> None:
    with pytest.raises(PeriodError) as raised:
        read_period(text, 2022, NOW)
    assert repr(text.strip()) in str(raised.value)


def test_a_long_text_is_quoted_shortened_in_the_refusal() -> None:
    with pytest.raises(PeriodError) as raised:
        read_period("x" * 5000, 2022, NOW)
    assert len(str(raised.value)) < 300


def test_a_relative_month_without_a_current_month_is_refused() -> None:
    with pytest.raises(PeriodError):
        read_period("tháng trước", 2022)


SPLITS = [
    (["dak-blo", "quý", "1"], Period.quarter(2022, 1), ["dak-blo"]),
    (["Đăk", "Blô", "T3/2022"], Period.month(2022, 3), ["Đăk", "Blô"]),
    (["dak-blo", "9", "tháng", "đầu", "năm"], Period(2022, 1, 9), ["dak-blo"]),
    (["so-tu-phap", "cả", "năm"], Period.whole_year(2022), ["so-tu-phap"]),
    (["2022-Q1"], Period.quarter(2022, 1), []),
    (["tháng", "3"], Period.month(2022, 3), []),
    (["dak-blo"], None, ["dak-blo"]),
    (["Đăk", "Năm"], None, ["Đăk", "Năm"]),  # one word without a digit ends a unit's name
    ([], None, []),
]


@pytest.mark.parametrize(("words", "period", "rest"), SPLITS)
def test_a_period_written_after_a_unit_is_split_from_it(
    words: list[str], period: Period | None, rest: list[str]
) -> None:
    assert split_period(words, 2022, NOW) == (period, rest)

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi.attainment import Status, judge, judge_each, needed_to_reach
from kpi.indicators import NeededMode


def test_the_published_kon_tum_2022_example_needs_47076_more_online_dossiers() -> None:
    result = judge(34_020, 277_307, Decimal(25), None, NeededMode.ADD)
    assert result.rate_percent() == Decimal("12.27")
    assert result.status is Status.BELOW_TARGET
    assert result.needed == 47_076
    assert result.reachable


@pytest.mark.parametrize(
    ("numerator", "denominator", "percent"),
    [
        (1020, 1757, "58.05"),
        (67 + 331, 196 + 1062, "31.64"),
        (69, 102, "67.65"),
        (3016, 16243, "18.57"),
    ],
)
def test_the_2021_baselines_are_rounded_not_truncated(
    numerator: int, denominator: int, percent: str
) -> None:
    result = judge(numerator, denominator, Decimal(50), None, NeededMode.ADD)
    assert result.rate_percent() == Decimal(percent)


def test_a_rate_equal_to_its_target_is_met() -> None:
    assert judge(99, 100, Decimal(99), Decimal(95), NeededMode.ADD).status is Status.MET
    assert judge(1, 4, Decimal(25), None, NeededMode.ADD).needed == 0


def test_below_the_floor_is_worse_than_below_the_target() -> None:
    assert judge(96, 100, Decimal(99), Decimal(95), NeededMode.ADD).status is Status.BELOW_TARGET
    assert judge(94, 100, Decimal(99), Decimal(95), NeededMode.ADD).status is Status.BELOW_FLOOR


def test_a_hundred_percent_target_missed_once_can_no_longer_be_reached_by_new_dossiers() -> None:
    result = judge(999, 1000, Decimal(100), Decimal(95), NeededMode.ADD)
    assert result.status is Status.BELOW_TARGET
    assert result.needed is None
    assert not result.reachable


def test_a_hundred_percent_target_on_procedures_is_reached_by_converting_the_rest() -> None:
    result = judge(1020, 1757, Decimal(100), None, NeededMode.CONVERT)
    assert result.needed == 737
    assert result.reachable


def test_no_denominator_is_no_data_and_no_target_is_tracked_only() -> None:
    assert judge(None, None, Decimal(25), None, NeededMode.ADD).status is Status.NO_DATA
    assert judge(None, 10, Decimal(25), None, NeededMode.ADD).status is Status.NO_DATA
    assert judge(5, 10, None, None, NeededMode.ADD).status is Status.NO_TARGET


def test_zero_of_zero_reported_is_nothing_arose_not_no_data() -> None:
    result = judge(0, 0, Decimal(25), None, NeededMode.ADD)
    assert result.status is Status.NOTHING_AROSE
    assert result.needed is None
    assert judge(None, 0, Decimal(25), None, NeededMode.ADD).status is Status.NOTHING_AROSE


def test_a_rate_just_below_its_target_is_shown_with_enough_decimals_to_differ() -> None:
    result = judge(98_996, 100_000, Decimal(99), None, NeededMode.ADD)
    assert result.rate_percent() == Decimal("99.00")
    decimals = result.display_decimals()
    assert decimals == 3
    assert result.rate_percent(decimals) == Decimal("98.996")
    assert judge(50, 100, Decimal(99), None, NeededMode.ADD).display_decimals() == 2


@given(
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=1, max_value=10**6),
    st.integers(min_value=1, max_value=99),
)
def test_needed_is_the_least_number_of_good_items_that_reaches_the_target(
    a: int, extra: int, percent: int
) -> None:
    b = a + extra
    t = Fraction(percent, 100)
    x, reachable = needed_to_reach(a, b, t, NeededMode.ADD)
    assert reachable
    assert x is not None
    assert Fraction(a + x, b + x) >= t
    if x > 0:
        assert Fraction(a + x - 1, b + x - 1) < t


@given(
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=1, max_value=100),
)
def test_converting_items_needs_the_least_number_that_reaches_the_target(
    a: int, extra: int, percent: int
) -> None:
    b = a + extra
    t = Fraction(percent, 100)
    x, _ = needed_to_reach(a, b, t, NeededMode.CONVERT)
    assert x is not None
    assert x <= b - a
    if b:
        assert Fraction(a + x, b) >= t
        if x > 0:
            assert Fraction(a + x - 1, b) < t


def test_an_indicator_binding_each_unit_is_met_only_when_every_unit_meets() -> None:
    aggregate = judge(29, 100, Decimal(10), None, NeededMode.ADD)
    units = [
        judge(25, 50, Decimal(10), None, NeededMode.ADD),
        judge(4, 50, Decimal(10), None, NeededMode.ADD),
        judge(None, None, Decimal(10), None, NeededMode.ADD),
    ]
    result = judge_each(aggregate, units)
    assert aggregate.status is Status.MET
    assert result.status is Status.BELOW_TARGET
    assert (result.units_judged, result.units_met) == (2, 1)
    assert result.needed == units[1].needed == 2

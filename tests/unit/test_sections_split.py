"""Splitting a unit's count target over its sections and officials (Article 2.1)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi.sections import (
    ShareError,
    ShareLine,
    ShareState,
    check_rate,
    check_typed,
    parse_holder,
    split_count,
    split_even,
    worst_first,
)


def test_an_even_split_gives_the_first_holders_the_dossiers_left_over() -> None:
    assert split_even(10, 3) == [4, 3, 3]
    assert split_even(9, 3) == [3, 3, 3]
    assert split_even(2, 3) == [1, 1, 0]


def test_a_split_by_last_years_share_follows_the_proportions() -> None:
    # last year: 500, 300, 200 of 1.000 → 900 this year splits 450 / 270 / 180
    assert split_count(900, [500, 300, 200]) == [450, 270, 180]


def test_the_largest_remainders_get_the_dossiers_left_over() -> None:
    # exact shares 33.33.., 33.33.., 33.33.. of 100: one dossier left, the first holder gets it
    assert split_count(100, [1, 1, 1]) == [34, 33, 33]
    # exact 57.14, 28.57, 14.28 of 100: floors 57 + 28 + 14 = 99, the largest remainder (.57)
    assert split_count(100, [4, 2, 1]) == [57, 29, 14]


def test_nobody_did_anything_last_year_so_the_split_is_even() -> None:
    assert split_count(7, [0, 0]) == [4, 3]


def test_a_split_over_nobody_or_a_negative_target_is_refused() -> None:
    with pytest.raises(ShareError):
        split_count(10, [])
    with pytest.raises(ShareError):
        split_count(-1, [1])


def test_typed_shares_must_add_up_to_the_units_target() -> None:
    assert check_typed(300, [100, 150, 50]) == [100, 150, 50]
    with pytest.raises(ShareError) as refused:
        check_typed(300, [100, 150, 49])
    assert refused.value.code == "sum"


def test_a_rate_target_is_handed_down_as_it_is_or_raised_never_lowered() -> None:
    assert check_rate(Decimal(99), Decimal(99)) == Decimal(99)
    assert check_rate(Decimal(99), Decimal("99.5")) == Decimal("99.5")
    with pytest.raises(ShareError):
        check_rate(Decimal(99), Decimal(98))
    with pytest.raises(ShareError):
        check_rate(Decimal(99), Decimal(101))


@given(
    st.integers(min_value=0, max_value=10**9),
    st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=30),
)
def test_shares_add_up_exactly_and_each_is_within_one_of_its_exact_share(
    total: int, weights: list[int]
) -> None:
    shares = split_count(total, weights)
    assert sum(shares) == total  # no dossier lost, none made up
    assert all(s >= 0 for s in shares)
    whole = sum(weights) or len(weights)
    used = weights if sum(weights) else [1] * len(weights)
    for share, weight in zip(shares, used, strict=True):
        exact = Fraction(total * weight, whole)
        assert exact - 1 < share < exact + 1


def test_the_worst_share_comes_first() -> None:
    lines = [
        ShareLine("s:1", "Một cửa", "dossiers_received_online", 300, 310),
        ShareLine("s:2", "Pháp chế", "dossiers_received_online", 300, 120),
        ShareLine("s:3", "Nghiệp vụ", "dossiers_received_online", 300, None),
    ]
    ordered = worst_first(lines)
    assert [line.name for line in ordered] == ["Nghiệp vụ", "Pháp chế", "Một cửa"]
    assert ordered[0].state is ShareState.NO_DATA
    assert ordered[1].missing == 180
    assert ordered[2].state is ShareState.MET


def test_holder_keys_name_a_section_or_an_official() -> None:
    assert parse_holder("s:12") == ("s", 12)
    assert parse_holder("p:4301") == ("p", 4301)
    with pytest.raises(ValueError):
        parse_holder("x:1")

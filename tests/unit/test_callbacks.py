"""The button data of the read-only views: round trips, Telegram's 64 bytes, strict parsing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.callbacks import (
    MAX_BYTES,
    PATTERN,
    ChildrenView,
    DetailView,
    HistoryUnitsView,
    HistoryView,
    InvalidCallbackError,
    StatusView,
    UnitsView,
    View,
    decode,
    encode,
)
from kpi.catalogue import Catalogue
from kpi.periods import Period, canonical_periods

Q1 = Period.parse("2022-Q1")


@pytest.mark.parametrize(
    ("view", "data"),
    [
        (StatusView("dak-glei", Q1), "st:dak-glei:2022-Q1"),
        (DetailView("so-y-te", Period.parse("2022"), "III.4.b"), "sd:so-y-te:2022:III.4.b"),
        (ChildrenView("kon-tum", Period.parse("2022-9M"), 3), "sc:kon-tum:2022-9M:3"),
        (HistoryView("dak-ha", 0), "hi:dak-ha:0"),
        (HistoryUnitsView("dak-ha", 12), "hu:dak-ha:12"),
        (UnitsView("kon-tum", 1), "un:kon-tum:1"),
    ],
)
def test_each_view_is_written_with_its_short_prefix_and_read_back(view: View, data: str) -> None:
    assert encode(view) == data
    assert decode(data) == view


def test_the_longest_button_of_the_catalogue_fits_in_64_bytes(kontum: Catalogue) -> None:
    longest_unit = max((u.code for u in kontum.units), key=len)
    longest_indicator = max(kontum.indicators, key=len)
    longest_period = max((p.key for p in canonical_periods(2022)), key=len)
    views: list[View] = [
        DetailView(longest_unit, Period.parse(longest_period), longest_indicator),
        ChildrenView(longest_unit, Period.parse(longest_period), 999),
        HistoryUnitsView(longest_unit, 999),
    ]
    for view in views:
        data = encode(view)
        assert len(data.encode()) <= MAX_BYTES, data
        assert decode(data) == view


def test_every_unit_indicator_and_period_of_the_catalogue_round_trips(kontum: Catalogue) -> None:
    for unit in kontum.units:
        for period in canonical_periods(kontum.year):
            for indicator in kontum.indicators:
                view = DetailView(unit.code, period, indicator)
                assert decode(encode(view)) == view


def test_a_view_that_would_not_fit_is_refused_when_written() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        encode(StatusView("x" * 60, Q1))


def test_a_view_that_would_not_read_back_is_refused_when_written() -> None:
    with pytest.raises(ValueError, match="cannot be written"):
        encode(StatusView("Đăk Glei", Q1))
    with pytest.raises(ValueError, match="cannot be written"):
        encode(HistoryView("dak-ha", 1000))


@pytest.mark.parametrize(
    "data",
    [
        "",
        "st",
        "st:",
        "st:dak-glei",
        "st:dak-glei:2022-Q1:extra",
        "st:dak-glei:2022-13",
        "st:dak-glei:2022 q1",
        "st:dak-glei:2022-q1",
        "st:Dak-Glei:2022",
        "st:dak--glei:2022",
        "st:-dak:2022",
        "st:đăk-glei:2022",
        "sd:so-y-te:2022:iii.2",
        "sd:so-y-te:2022:",
        "sc:kon-tum:2022:-1",
        "sc:kon-tum:2022:01",
        "sc:kon-tum:2022:1000",
        "sc:kon-tum:2022:x",
        "hi:dak-ha",
        "un:kon-tum:1:2",
        "zz:kon-tum:1",
        "lang:en",
        "st:dak-glei\n:2022",
        "hi:dak-ha:1\n",
        "st:" + "a" * 70 + ":2022",
    ],
)
def test_malformed_or_unknown_data_is_refused(data: str) -> None:
    with pytest.raises(InvalidCallbackError):
        decode(data)


def test_no_data_is_refused() -> None:
    with pytest.raises(InvalidCallbackError):
        decode(None)


def test_the_handler_pattern_matches_every_prefix_and_nothing_else() -> None:
    import re

    pattern = re.compile(PATTERN)
    for data in ("st:a:2022", "sd:a:2022:I.1", "sc:a:2022:0", "hi:a:0", "hu:a:0", "un:a:0"):
        assert pattern.match(data), data
    for data in ("lang:en", "stx:a", "s:a", "submit:1"):
        assert not pattern.match(data), data


@given(st.text(max_size=80))
def test_decoding_arbitrary_text_either_fails_cleanly_or_round_trips(data: str) -> None:
    try:
        view = decode(data)
    except InvalidCallbackError:
        return
    assert encode(view) == data

"""The chart buttons' data: short prefixes, levels, Telegram's 64 bytes, strict parsing."""

from __future__ import annotations

import pytest

from bot.callbacks import (
    MAX_BYTES,
    ChartMenuView,
    InvalidCallbackError,
    RankingChartView,
    TrendChartView,
    View,
    decode,
    encode,
)
from kpi.catalogue import Catalogue
from kpi.periods import Period, canonical_periods

YEAR = Period.whole_year(2022)
H1 = Period.parse("2022-H1")


@pytest.mark.parametrize(
    ("view", "data"),
    [
        (ChartMenuView("dak-glei", H1, ranking=False), "cm:dak-glei:2022-H1:t"),
        (ChartMenuView("dak-glei", H1, ranking=True), "cm:dak-glei:2022-H1:r"),
        (TrendChartView("so-y-te", YEAR, "III.2"), "ct:so-y-te:2022:III.2"),
        (TrendChartView("dak-glei", YEAR, "V.1", "commune"), "ct:dak-glei:2022:V.1:x"),
        (RankingChartView("kon-tum", H1, "IV.3.a"), "cr:kon-tum:2022-H1:IV.3.a"),
    ],
)
def test_each_chart_view_is_written_short_and_read_back(view: View, data: str) -> None:
    assert encode(view) == data
    assert decode(data) == view


def test_the_longest_chart_buttons_of_the_catalogue_fit_in_64_bytes(kontum: Catalogue) -> None:
    unit = max((u.code for u in kontum.units), key=len)
    indicator = max(kontum.indicators, key=len)
    period = max(canonical_periods(2022), key=lambda p: len(p.key))
    views: list[View] = [
        TrendChartView(unit, YEAR, indicator, "department"),
        RankingChartView(unit, period, indicator),
        ChartMenuView(unit, period, ranking=True),
    ]
    for view in views:
        data = encode(view)
        assert len(data.encode()) <= MAX_BYTES, data
        assert decode(data) == view


@pytest.mark.parametrize(
    "data",
    [
        "ct:dak-glei:2022-H1:V.1",  # a trend is of a whole year
        "ct:dak-glei:2022:V.1:district",
        "ct:dak-glei:2022:V.1:x:x",
        "cr:dak-glei:2022-H1:V.1:c",
        "cm:dak-glei:2022-H1:x",
        "cm:dak-glei:2022-H1",
        "ct:Dak-Glei:2022:V.1",
    ],
)
def test_malformed_chart_data_is_refused(data: str) -> None:
    with pytest.raises(InvalidCallbackError):
        decode(data)


def test_a_trend_of_part_of_a_year_cannot_be_written() -> None:
    with pytest.raises(ValueError, match="cannot be written"):
        encode(TrendChartView("dak-glei", H1, "V.1"))

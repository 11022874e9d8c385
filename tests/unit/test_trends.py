"""The data behind the charts: the same numbers /status gives for the same unit and period."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from cli.demo import load_demo_figures
from kpi.aggregate import Total
from kpi.catalogue import Catalogue
from kpi.evaluation import Line
from kpi.pace import RunRate, line_pace
from kpi.periods import Period
from kpi.trend import totals_to_date
from kpi.units import Level
from services.ports import UnitOfWork
from services.status import unit_status
from services.trends import (
    NoSuchLineError,
    chart_lines,
    children_ranking,
    indicator_trend,
)
from tests.fakes import FakeState, FakeUnitOfWork

TODAY = date(2022, 6, 10)  # the sandbox's day: January to May reported, the H1 report due
H1 = Period.parse("2022-H1")


@pytest.fixture
async def demo(kontum: Catalogue) -> Callable[[], UnitOfWork]:
    """The sandbox's demo figures, in fakes."""
    state = FakeState()

    def uow() -> UnitOfWork:
        return FakeUnitOfWork(state)

    await load_demo_figures(uow, kontum, TODAY)
    return uow


async def status_line(
    uow: Callable[[], UnitOfWork],
    catalogue: Catalogue,
    unit: str,
    period: Period,
    indicator: str,
    level: Level | None,
) -> Line:
    async with uow() as u:
        lines = await unit_status(u, catalogue, unit, period)
    found = [x for x in lines if x.indicator.code == indicator and x.level == level]
    assert len(found) == 1, found
    return found[0]


async def test_every_month_and_the_year_so_far_equal_what_status_shows(
    kontum: Catalogue, demo: Callable[[], UnitOfWork]
) -> None:
    unit = kontum.units.get("dak-glei")
    lines = chart_lines(kontum, unit)
    assert ("V.1", "commune") in [(i.code, lvl) for i, lvl in lines]
    for indicator, level in lines:
        async with demo() as uow:
            trend = await indicator_trend(uow, kontum, unit.code, indicator.code, level, 2022)
        assert [m.month for m in trend.months] == [1, 2, 3, 4, 5], indicator.code
        for month in trend.months:
            alone = await status_line(
                demo, kontum, unit.code, Period.month(2022, month.month), indicator.code, level
            )
            assert month.monthly == alone.attainment
        # the canonical year-to-date periods are read as /status reads them
        for period, index in ((Period.month(2022, 1), 0), (Period.quarter(2022, 1), 2)):
            line = await status_line(demo, kontum, unit.code, period, indicator.code, level)
            assert trend.months[index].to_date == line.attainment, (indicator.code, period)
        # the last month's year to date is the H1 report's and the year so far's
        for period in (H1, Period.whole_year(2022)):
            line = await status_line(demo, kontum, unit.code, period, indicator.code, level)
            assert trend.months[-1].to_date == line.attainment, (indicator.code, period)


async def test_year_to_date_between_canonical_periods_adds_up_the_months(
    kontum: Catalogue, demo: Callable[[], UnitOfWork]
) -> None:
    async with demo() as uow:
        trend = await indicator_trend(uow, kontum, "dak-glei", "III.2", None, 2022)
    for month in trend.months:
        before = trend.months[: month.month]
        assert month.to_date.numerator == sum(m.monthly.numerator or 0 for m in before)
        assert month.to_date.denominator == sum(m.monthly.denominator or 0 for m in before)


async def test_a_stock_to_date_is_its_latest_month(
    kontum: Catalogue, demo: Callable[[], UnitOfWork]
) -> None:
    async with demo() as uow:
        trend = await indicator_trend(uow, kontum, "dak-glei", "III.1", None, 2022)
    for month in trend.months:
        assert month.to_date.rate == month.monthly.rate


async def test_target_floor_and_projection_come_from_the_line_and_kpi_pace(
    kontum: Catalogue, demo: Callable[[], UnitOfWork]
) -> None:
    async with demo() as uow:
        trend = await indicator_trend(uow, kontum, "dak-glei", "V.1", "district", 2022, 5)
    assert (trend.target, trend.floor) == (Decimal(97), Decimal(95))
    recent = [m.monthly for m in trend.months[-3:]]
    expected = line_pace(
        trend.indicator,
        "district",
        trend.months[-1].to_date,
        5,
        recent=RunRate(
            sum(a.numerator or 0 for a in recent), sum(a.denominator or 0 for a in recent), 3
        ),
    )
    assert expected is not None
    assert trend.pace == expected
    assert trend.projection == expected.projected_rate
    assert trend.projection is not None
    assert Fraction(95) / 100 < trend.projection < Fraction(97) / 100


async def test_a_unit_without_figures_has_an_empty_trend(
    kontum: Catalogue, demo: Callable[[], UnitOfWork]
) -> None:
    async with demo() as uow:
        trend = await indicator_trend(uow, kontum, "dak-ha", "III.2", None, 2022)
    assert trend.months == ()
    assert trend.projection is None
    assert trend.target == 25


async def test_a_line_the_unit_does_not_have_is_refused(
    kontum: Catalogue, demo: Callable[[], UnitOfWork]
) -> None:
    async with demo() as uow:
        with pytest.raises(NoSuchLineError):
            await indicator_trend(uow, kontum, "so-y-te", "III.4.a", None, 2022)
        with pytest.raises(NoSuchLineError):
            await indicator_trend(uow, kontum, "dak-glei", "V.1", None, 2022)


async def test_children_are_ranked_with_the_numbers_of_their_own_status(
    kontum: Catalogue, demo: Callable[[], UnitOfWork]
) -> None:
    async with demo() as uow:
        ranking = await children_ranking(uow, kontum, "dak-glei", "V.1", H1)
    assert len(ranking.ranks) == 12
    assert ranking.without_data == ()
    rates = [r.attainment.rate for r in ranking.ranks]
    assert rates == sorted(rates, key=lambda r: -(r or 0))
    assert [r.unit.code for r in ranking.ranks[-3:]] == ["dak-man", "muong-hoong", "dak-blo"]
    for rank in ranking.ranks:
        line = await status_line(demo, kontum, rank.unit.code, H1, "V.1", "commune")
        assert rank.attainment == line.attainment
    assert ranking.targets == {100}


async def test_the_provinces_ranking_lists_children_without_data_apart(
    kontum: Catalogue, demo: Callable[[], UnitOfWork]
) -> None:
    async with demo() as uow:
        ranking = await children_ranking(uow, kontum, "kon-tum", "V.1", H1)
    assert {r.unit.code for r in ranking.ranks} >= {"so-y-te", "dak-glei"}
    assert "dak-ha" in {u.code for u in ranking.without_data}
    by_code = {r.unit.code: r for r in ranking.ranks}
    assert by_code["so-y-te"].attainment.target == 99
    assert by_code["dak-glei"].attainment.target == 97
    line = await status_line(demo, kontum, "dak-glei", H1, "V.1", "district")
    assert by_code["dak-glei"].attainment == line.attainment


def test_months_compose_flows_by_sum_stocks_by_latest_and_drop_counters() -> None:
    flow, stock = ("flow", "commune"), ("stock", "commune")
    counter = ("@III.4.b:met", "commune")
    months = [
        {flow: Total(10, 2), stock: Total(5, 2), counter: Total(1, 1)},
        {flow: Total(7, 1), stock: Total(0, 0)},  # nobody gave the stock this month
        {flow: Total(3, 2), stock: Total(9, 2)},
    ]
    composed = totals_to_date(months, lambda code: code == "stock")
    assert composed == {flow: Total(20, 2), stock: Total(9, 2)}
    assert totals_to_date(months[:2], lambda code: code == "stock")[stock] == Total(5, 2)

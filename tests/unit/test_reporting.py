"""Whether a unit has reported a cumulative period (kpi.reporting), and its deadlines
(services.deadlines) over the fake store."""

from __future__ import annotations

from datetime import date

from kpi.catalogue import Catalogue
from kpi.periods import Period
from kpi.reporting import missing, reported
from services.deadlines import deadlines_for
from tests.fakes import FakeState, FakeUnitOfWork

P = Period.parse
H1 = P("2022-H1")
Q1 = P("2022-Q1")
NINE = P("2022-9M")
YEAR = P("2022")


def months(*keys: str) -> list[tuple[Period, int]]:
    return [(P(key), 10) for key in keys]


# --- flows ------------------------------------------------------------------------------------


def test_a_flow_reported_month_by_month_covers_the_last_quarter() -> None:
    figures = {"received": months("2022-04", "2022-05", "2022-06")}
    assert reported({"received"}, figures, H1)
    assert missing({"received"}, figures, H1) == []


def test_the_earlier_quarters_of_a_cumulative_report_are_not_asked_again() -> None:
    # H1 adds the second quarter: January to March were due with Q1
    figures = {"received": months("2022-04", "2022-05", "2022-06")}
    assert not reported({"received"}, figures, Q1)
    assert reported({"received"}, figures, H1)


def test_a_flow_reported_for_the_quarter_as_a_whole_counts() -> None:
    assert reported({"received"}, {"received": months("2022-Q2")}, H1)
    assert reported({"received"}, {"received": months("2022-Q4")}, YEAR)


def test_a_flow_reported_for_a_larger_period_containing_the_quarter_counts() -> None:
    assert reported({"received"}, {"received": months("2022-H1")}, H1)
    assert reported({"received"}, {"received": months("2022-9M")}, NINE)
    assert reported({"received"}, {"received": months("2022")}, Q1)


def test_a_gap_of_one_month_leaves_the_flow_missing() -> None:
    figures = {"received": months("2022-04", "2022-06"), "resolved": months("2022-Q2")}
    assert missing(["received", "resolved"], figures, H1) == ["received"]
    assert not reported({"received", "resolved"}, figures, H1)


def test_a_flow_with_no_figures_or_last_years_is_missing() -> None:
    last_year = {"received": [(Period.quarter(2021, 2), 5)]}
    assert missing({"received"}, {}, H1) == ["received"]
    assert missing({"received"}, last_year, H1) == ["received"]


def test_a_month_then_the_rest_of_the_quarter_mixed_counts() -> None:
    figures = {"received": months("2022-07", "2022-08") + months("2022-09")}
    assert reported({"received"}, figures, NINE)


# --- stocks and flags -------------------------------------------------------------------------


def test_a_stock_reported_once_within_the_last_quarter_counts() -> None:
    figures = {"procedures": months("2022-05")}
    assert reported({"procedures"}, figures, H1, latest={"procedures"})
    # the same single figure read as a flow leaves April and June uncovered
    assert not reported({"procedures"}, figures, H1)


def test_a_stock_reported_in_an_earlier_quarter_does_not_count() -> None:
    figures = {"procedures": months("2022-03")}
    assert reported({"procedures"}, figures, Q1, latest={"procedures"})
    assert missing({"procedures"}, figures, H1, latest={"procedures"}) == ["procedures"]


def test_a_stock_for_a_period_ending_with_the_quarter_counts_but_not_one_ending_later() -> None:
    assert reported({"flag"}, {"flag": [(H1, 1)]}, H1, latest={"flag"})
    assert reported({"flag"}, {"flag": [(YEAR, 0)]}, YEAR, latest={"flag"})
    assert not reported({"flag"}, {"flag": [(YEAR, 1)]}, Q1, latest={"flag"})


def test_missing_lists_flows_and_stocks_together_in_the_order_given() -> None:
    figures = {
        "procedures": months("2022-06"),
        "received": months("2022-04", "2022-05", "2022-06"),
        "resolved": months("2022-04"),
    }
    required = ["flag", "procedures", "received", "resolved"]
    latest = {"flag", "procedures"}
    assert missing(required, figures, H1, latest=latest) == ["flag", "resolved"]


# --- deadlines over the store -----------------------------------------------------------------


async def test_deadlines_list_the_next_report_first_then_the_overdue_ones(
    kontum: Catalogue,
) -> None:
    state = FakeState()
    required = [e.code for e in kontum.elements_for(kontum.units.get("so-y-te"))]
    for code in required[:-3]:
        for month in ("2022-04", "2022-05", "2022-06"):
            state.current["so-y-te", code, P(month)] = 1
    for code in required:
        state.current["so-y-te", code, P("2022-Q1")] = 1
    async with FakeUnitOfWork(state) as uow:
        listed = await deadlines_for(uow, kontum, "so-y-te", date(2022, 6, 13))
    assert [d.period for d in listed] == [H1, NINE, YEAR]  # Q1 was made: left out
    first = listed[0]
    assert first.due == date(2022, 6, 18)
    assert first.days_left == 5
    assert not first.reported
    assert first.missing == required[-3:]

    async with FakeUnitOfWork(state) as uow:
        later = await deadlines_for(uow, kontum, "so-y-te", date(2022, 6, 20))
    assert [(d.period, d.days_left) for d in later] == [(NINE, 90), (YEAR, 181), (H1, -2)]
    assert later[-1].overdue


async def test_a_district_is_due_on_the_19th(kontum: Catalogue) -> None:
    async with FakeUnitOfWork(FakeState()) as uow:
        listed = await deadlines_for(uow, kontum, "dak-glei", date(2022, 1, 5))
    assert [d.due for d in listed] == [
        date(2022, 3, 19),
        date(2022, 6, 19),
        date(2022, 9, 19),
        date(2022, 12, 19),
    ]
    assert all(not d.reported for d in listed)

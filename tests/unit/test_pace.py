"""Pace to target and the roadmap (Article 2.1), against hand-worked examples."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi.attainment import judge, round_percent
from kpi.catalogue import Catalogue
from kpi.errors import CountError
from kpi.indicators import NeededMode
from kpi.pace import (
    Cadence,
    MilestoneProblem,
    PaceStatus,
    RoadmapSetting,
    RunRate,
    Spread,
    check_milestones,
    even_roadmap,
    from_basis_points,
    line_key,
    line_pace,
    months_elapsed,
    pace,
    parse_percent,
    resolve,
    spread_of,
    starting_point,
    to_basis_points,
)
from kpi.periods import Period

FLAT_25 = even_roadmap(Fraction(1, 4))
FLAT_100 = even_roadmap(Fraction(1))


# --- the 100 % target made unreachable --------------------------------------------------------


def test_one_late_dossier_makes_a_100_percent_on_time_target_unreachable_for_the_year() -> None:
    # V.1 for a commune: 100 % resolved early or on time. Two months: 199 of 200 on time.
    result = pace(199, 200, 2, FLAT_100, Decimal(100), NeededMode.ADD)

    assert result.status is PaceStatus.UNREACHABLE
    assert not result.reachable
    assert result.milestone.rate == 1  # flat: 100 % due every month
    # at 99.5 a month for 10 more months: 199 + 995 = 1,194 of 200 + 1,000 = 1,200
    assert result.projected_numerator == 1194
    assert result.projected_denominator == 1200
    assert result.projected_rate == Fraction(995, 1000)
    assert result.projected_to_meet is False


def test_a_100_percent_target_with_every_dossier_on_time_is_on_pace() -> None:
    result = pace(200, 200, 2, FLAT_100, Decimal(100), NeededMode.ADD)

    assert result.status is PaceStatus.ON_PACE
    assert result.reachable
    assert result.projected_rate == 1


def test_a_100_percent_state_target_stays_reachable_by_converting_what_is_left() -> None:
    # II.1: services put online can still be converted, so 99 of 100 is behind, not hopeless
    result = pace(99, 100, 6, FLAT_100, Decimal(100), NeededMode.CONVERT)

    assert result.status is PaceStatus.BEHIND
    assert result.reachable


# --- ahead, behind, no data -------------------------------------------------------------------


def test_a_unit_ahead_of_a_flat_25_percent_target_is_on_pace_and_projected_to_meet_it() -> None:
    # III.2: five months, 300 of 1,000 dossiers online (30 %)
    result = pace(300, 1000, 5, FLAT_25, Decimal(25), NeededMode.ADD)

    assert result.status is PaceStatus.ON_PACE
    assert result.milestone.month == 5
    assert result.milestone.rate == Fraction(1, 4)
    # 60 and 200 a month for 7 more months: 720 of 2,400, the same 30 %
    assert (result.projected_numerator, result.projected_denominator) == (
        Fraction(720),
        Fraction(2400),
    )
    assert result.projected_to_meet is True


def test_a_unit_behind_whose_last_quarter_was_faster_is_projected_to_reach_the_target() -> None:
    # six months: 200 of 1,000 online (20 %), the last quarter alone 150 of 500 (30 %)
    result = pace(200, 1000, 6, FLAT_25, Decimal(25), NeededMode.ADD, recent=RunRate(150, 500, 3))

    assert result.status is PaceStatus.BEHIND
    # 50 and 500/3 a month for 6 months: 200 + 300 = 500 of 1,000 + 1,000 = 2,000
    assert (result.projected_numerator, result.projected_denominator) == (
        Fraction(500),
        Fraction(2000),
    )
    assert result.projected_rate == Fraction(1, 4)
    assert result.projected_to_meet is True


def test_a_unit_behind_at_its_usual_pace_is_projected_to_miss() -> None:
    result = pace(200, 1000, 6, FLAT_25, Decimal(25), NeededMode.ADD)

    assert result.status is PaceStatus.BEHIND
    assert result.projected_rate == Fraction(1, 5)
    assert result.projected_to_meet is False


def test_a_recent_stretch_without_items_falls_back_to_the_year_so_far() -> None:
    result = pace(200, 1000, 6, FLAT_25, Decimal(25), NeededMode.ADD, recent=RunRate(0, 0, 3))

    assert result.projected_rate == Fraction(1, 5)


def test_no_figures_or_no_month_ended_gives_no_pace() -> None:
    assert pace(None, None, 5, FLAT_25, Decimal(25), NeededMode.ADD).status is PaceStatus.NO_DATA
    assert pace(0, 0, 5, FLAT_25, Decimal(25), NeededMode.ADD).status is PaceStatus.NO_DATA
    early = pace(10, 20, 0, FLAT_25, Decimal(25), NeededMode.ADD)
    assert early.status is PaceStatus.NO_DATA
    assert early.projected_rate is None
    assert early.projected_to_meet is None


# --- the ramp of a state indicator ------------------------------------------------------------


def test_a_state_target_ramps_evenly_from_its_baseline_to_the_target() -> None:
    # from 50 % to 80 %: 2.5 points a month
    roadmap = even_roadmap(Fraction(4, 5), Fraction(1, 2), NeededMode.CONVERT)

    assert [round_percent(m.rate, 2) for m in roadmap.milestones[2::3]] == [
        Decimal("57.50"),
        Decimal("65.00"),
        Decimal("72.50"),
        Decimal("80.00"),
    ]
    quarterly = even_roadmap(Fraction(4, 5), Fraction(1, 2), NeededMode.CONVERT, Cadence.QUARTERLY)
    assert [m.month for m in quarterly.milestones] == [3, 6, 9, 12]
    assert quarterly.milestones[1].rate == Fraction(13, 20)


def test_a_state_unit_on_its_ramp_keeps_its_growth_and_ends_at_the_target() -> None:
    roadmap = even_roadmap(Fraction(4, 5), Fraction(1, 2), NeededMode.CONVERT)
    # six months: 130 of 200 procedures online (65 %, the milestone exactly); 30 more since 50 %
    result = pace(130, 200, 6, roadmap, Decimal(80), NeededMode.CONVERT, start=Fraction(1, 2))

    assert result.status is PaceStatus.ON_PACE
    assert (result.projected_numerator, result.projected_denominator) == (
        Fraction(160),
        Fraction(200),
    )
    assert result.projected_to_meet is True


def test_a_state_unit_below_its_ramp_is_behind_and_projected_short() -> None:
    roadmap = even_roadmap(Fraction(4, 5), Fraction(1, 2), NeededMode.CONVERT)
    result = pace(120, 200, 6, roadmap, Decimal(80), NeededMode.CONVERT, start=Fraction(1, 2))

    assert result.status is PaceStatus.BEHIND
    assert result.projected_rate == Fraction(7, 10)  # 20 more in 6 months: 140 of 200


def test_a_state_that_fell_below_its_start_is_projected_to_stay_not_to_fall() -> None:
    result = pace(40, 200, 6, FLAT_25, Decimal(25), NeededMode.CONVERT, start=Fraction(1, 2))

    assert result.projected_rate == Fraction(1, 5)


def test_flows_and_states_without_a_baseline_are_spread_flat() -> None:
    assert spread_of(NeededMode.ADD, Fraction(1, 10), Fraction(1, 4)) is Spread.FLAT
    assert spread_of(NeededMode.CONVERT, None, Fraction(1)) is Spread.FLAT
    assert spread_of(NeededMode.CONVERT, Fraction(1), Fraction(1)) is Spread.FLAT
    assert spread_of(NeededMode.CONVERT, Fraction(1, 2), Fraction(1)) is Spread.RAMP


def test_row_i1_ramps_from_the_2021_baseline_to_78_percent(kontum: Catalogue) -> None:
    indicator = kontum.indicators["I.1"]
    start = starting_point(indicator)
    assert start == Fraction(1020, 1757)
    attainment = judge(1200, 1757, Decimal(78), None, indicator.needed_mode)

    result = line_pace(indicator, None, attainment, 6)

    assert result is not None
    # milestone of month 6: halfway between 58.05 % and 78 %
    assert round_percent(result.milestone.rate, 2) == Decimal("68.03")
    assert result.status is PaceStatus.ON_PACE  # 68.30 %
    # 180 more procedures online since the baseline in 6 months: 180 more by December
    assert result.projected_numerator == 1380
    assert result.projected_to_meet is True


def test_a_line_without_a_target_has_no_pace(kontum: Catalogue) -> None:
    indicator = kontum.indicators["II.3"]
    attainment = judge(5, 10, None, None, indicator.needed_mode)

    assert line_pace(indicator, None, attainment, 6) is None


# --- roadmaps chosen and stored ---------------------------------------------------------------


def test_the_milestone_due_is_the_latest_passed_or_the_first_before_any() -> None:
    quarterly = even_roadmap(Fraction(1, 4), cadence=Cadence.QUARTERLY)

    assert quarterly.due(2).month == 3
    assert quarterly.due(5).month == 3
    assert quarterly.due(6).month == 6
    assert quarterly.due(12).month == 12


def test_a_custom_quarterly_roadmap_replaces_the_even_one() -> None:
    setting = RoadmapSetting.custom(
        (3, 6, 9, 12), [Decimal(15), Decimal(20), Decimal("22.5"), Decimal(25)]
    )
    roadmap = resolve(setting, Fraction(1, 4), None, NeededMode.ADD)

    assert setting.cadence is Cadence.CUSTOM
    assert roadmap.cadence is Cadence.CUSTOM
    assert roadmap.due(4).rate == Fraction(15, 100)
    # 20 % by the end of Q1 is on pace for the custom roadmap, behind the even one
    assert pace(20, 100, 3, roadmap, Decimal(25), NeededMode.ADD).status is PaceStatus.ON_PACE
    assert pace(20, 100, 3, FLAT_25, Decimal(25), NeededMode.ADD).status is PaceStatus.BEHIND


def test_even_quarterly_is_stored_as_quarter_months_without_rates() -> None:
    setting = RoadmapSetting.even_quarterly()

    assert setting.cadence is Cadence.QUARTERLY
    assert RoadmapSetting.even_monthly().cadence is Cadence.MONTHLY
    roadmap = resolve(setting, Fraction(4, 5), Fraction(1, 2), NeededMode.CONVERT)
    assert [m.rate for m in roadmap.milestones] == [
        Fraction(23, 40),
        Fraction(13, 20),
        Fraction(29, 40),
        Fraction(4, 5),
    ]


def test_milestones_are_stored_as_whole_basis_points() -> None:
    assert to_basis_points(Fraction(625, 1000)) == 6250
    assert from_basis_points(6250) == Fraction(5, 8)
    with pytest.raises(ValueError, match="basis points"):
        to_basis_points(Fraction(1, 3))


def test_a_line_is_keyed_by_its_indicator_and_its_level_when_it_has_one() -> None:
    assert line_key("III.2", None) == "III.2"
    assert line_key("V.1", "commune") == "V.1@commune"


@pytest.mark.parametrize(
    ("month", "year", "elapsed"),
    [("2022-01", 2022, 0), ("2022-06", 2022, 5), ("2022-12", 2022, 11), ("2023-02", 2022, 12)],
)
def test_months_elapsed_count_the_months_whose_cut_off_has_passed(
    month: str, year: int, elapsed: int
) -> None:
    assert months_elapsed(year, Period.parse(month)) == elapsed


# --- milestones typed by a person -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("62,5", "62.5"), ("62,5\u00a0%", "62.5"), ("70%", "70"), (" 100 ", "100"), ("0", "0")],
)
def test_a_percentage_is_read_the_vietnamese_way(text: str, value: str) -> None:
    assert parse_percent(text) == Decimal(value)


def test_an_english_speaker_types_a_point_for_decimals() -> None:
    assert parse_percent("62.5", ".") == Decimal("62.5")
    with pytest.raises(CountError) as raised:
        parse_percent("62,5", ".")
    assert raised.value.reason == MilestoneProblem.WRONG_DECIMAL_MARK


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", MilestoneProblem.EMPTY),
        ("abc", MilestoneProblem.NOT_A_PERCENT),
        ("62.5", MilestoneProblem.WRONG_DECIMAL_MARK),
        ("62,555", MilestoneProblem.TOO_PRECISE),
        ("101", MilestoneProblem.OUT_OF_RANGE),
        ("-5", MilestoneProblem.OUT_OF_RANGE),
    ],
)
def test_a_percentage_that_is_not_one_is_refused_with_the_reason(
    text: str, problem: MilestoneProblem
) -> None:
    with pytest.raises(CountError) as raised:
        parse_percent(text)
    assert raised.value.reason == problem


def test_custom_milestones_climb_and_end_at_the_target_at_least() -> None:
    assert check_milestones([Decimal(v) for v in (10, 20, 20, 25)], Decimal(25)) is None
    assert (
        check_milestones([Decimal(v) for v in (20, 30, 25, 40)], Decimal(25))
        is MilestoneProblem.DECREASING
    )
    assert (
        check_milestones([Decimal(v) for v in (10, 20, 22, 24)], Decimal(25))
        is MilestoneProblem.BELOW_TARGET
    )


# --- properties -------------------------------------------------------------------------------

rates = st.fractions(min_value=0, max_value=1, max_denominator=10_000)


@given(target=rates, start=rates, quarterly=st.booleans())
def test_an_even_roadmap_never_decreases_and_ends_at_the_target(
    target: Fraction, start: Fraction, quarterly: bool
) -> None:
    cadence = Cadence.QUARTERLY if quarterly else Cadence.MONTHLY
    roadmap = even_roadmap(target, start, NeededMode.CONVERT, cadence)
    values = [m.rate for m in roadmap.milestones]

    assert values == sorted(values)
    assert values[-1] == target
    assert all(min(start, target) <= v <= target for v in values)


@given(
    numerator=st.integers(0, 10**6),
    extra=st.integers(0, 10**6),
    elapsed=st.integers(1, 12),
)
def test_a_flow_at_its_own_average_pace_ends_the_year_at_todays_rate(
    numerator: int, extra: int, elapsed: int
) -> None:
    denominator = numerator + extra
    if denominator == 0:
        return
    result = pace(numerator, denominator, elapsed, FLAT_25, Decimal(25), NeededMode.ADD)

    assert result.projected_rate == Fraction(numerator, denominator)


@given(
    numerator=st.integers(0, 10**6),
    extra=st.integers(0, 10**6),
    elapsed=st.integers(1, 12),
    start=rates,
    target=st.integers(0, 100),
    mode=st.sampled_from(NeededMode),
)
def test_a_projection_is_a_rate_and_on_pace_means_at_the_milestone_due(
    numerator: int,
    extra: int,
    elapsed: int,
    start: Fraction,
    target: int,
    mode: NeededMode,
) -> None:
    denominator = numerator + extra
    if denominator == 0:
        return
    goal = Fraction(target, 100)
    roadmap = even_roadmap(goal, start, mode)
    result = pace(numerator, denominator, elapsed, roadmap, Decimal(target), mode, start=start)
    projected = result.projected_rate

    assert projected is not None
    assert 0 <= projected <= 1
    rate = Fraction(numerator, denominator)
    if result.reachable:
        assert (result.status is PaceStatus.ON_PACE) == (rate >= roadmap.due(elapsed).rate)
    else:
        assert result.status is PaceStatus.UNREACHABLE
        assert goal == 1
        assert mode is NeededMode.ADD
    if elapsed == 12:
        assert projected == rate

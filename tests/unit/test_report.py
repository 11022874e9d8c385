"""The provincial office's report: when a report became complete, whether by its deadline,
completeness and timeliness by level, the score preview and the ranking, with numbers worked by
hand on the Kon Tum catalogue and the in-memory store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from cli.demo import LOCALS as DEMO_COMMUNES
from cli.demo import MIDDLE as DEMO_DISTRICT
from cli.demo import month_values
from kpi.attainment import Status, judge
from kpi.catalogue import Catalogue
from kpi.indicators import NeededMode
from kpi.periods import Period
from kpi.reporting import reported
from kpi.revisions import Author, Source
from kpi.scoring import Criterion, UnitScore, criterion_share, rank_units
from kpi.timeliness import Timeliness, completed_at, element_completed_at, judge_timeliness
from services.figures import submit_figures
from services.ports import UnitOfWork
from services.report import (
    NotAReportPeriodError,
    default_report_period,
    rankings,
    reporting_summary,
)
from tests.fakes import FakeState, FakeUnitOfWork

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
Q1 = Period.parse("2022-Q1")
H1 = Period.parse("2022-H1")
ALICE = Author("cli:alice", "Alice")


def at(day: int, month: int = 3, hour: int = 9) -> datetime:
    """A moment of 2022 in the province's time, as the UTC time the store keeps."""
    return datetime(2022, month, day, hour, 0, tzinfo=ZONE).astimezone(UTC)


def month(number: int) -> Period:
    return Period.month(2022, number)


# --- when a report became complete ------------------------------------------------------------


def test_a_flow_is_complete_when_its_last_uncovered_month_is_first_covered() -> None:
    stamps = [
        (month(1), at(16, 1)),
        (month(2), at(16, 2)),
        (Q1, at(20)),  # the quarter as a whole, later than March alone
        (month(3), at(17)),
    ]
    assert element_completed_at(stamps, Q1, latest=False) == at(17)
    assert element_completed_at(stamps[:2], Q1, latest=False) is None


def test_a_stock_is_complete_with_its_earliest_figure_inside_the_last_quarter() -> None:
    stamps = [(month(2), at(16, 2)), (month(3), at(10)), (month(12), at(10, 12))]
    assert element_completed_at(stamps, Q1, latest=True) == at(16, 2)
    # for the six months, only a figure of the second quarter counts
    assert element_completed_at(stamps, H1, latest=True) is None


def test_a_report_is_complete_when_its_last_element_is() -> None:
    stamps = {
        "dossiers_received": [(Q1, at(15))],
        "tthc_total": [(month(3), at(19))],
    }
    required = ["dossiers_received", "tthc_total"]
    assert completed_at(required, stamps, Q1, latest={"tthc_total"}) == at(19)
    assert completed_at([*required, "payments_online"], stamps, Q1, latest={"tthc_total"}) is None


def test_complete_and_reported_agree() -> None:
    stamps = {"a": [(month(1), at(1)), (month(3), at(2))], "b": [(month(2), at(3))]}
    figures = {code: [(p, 1) for p, _ in found] for code, found in stamps.items()}
    for period in (Q1, H1):
        for latest in (set(), {"a"}, {"a", "b"}):
            done = completed_at(["a", "b"], stamps, period, latest=latest)
            assert (done is not None) == reported(["a", "b"], figures, period, latest=latest)


def test_the_deadline_day_ends_at_midnight_in_the_province_not_in_utc() -> None:
    deadline = date(2022, 3, 18)
    today = date(2022, 6, 10)
    late_evening = datetime(2022, 3, 18, 16, 30, tzinfo=UTC)  # 23:30 on the 18th in Kon Tum
    after_midnight = datetime(2022, 3, 18, 17, 30, tzinfo=UTC)  # 00:30 on the 19th
    assert judge_timeliness(late_evening, deadline, today, ZONE) is Timeliness.ON_TIME
    assert judge_timeliness(after_midnight, deadline, today, ZONE) is Timeliness.LATE
    assert judge_timeliness(None, deadline, today, ZONE) is Timeliness.MISSING
    assert judge_timeliness(None, deadline, deadline, ZONE) is Timeliness.PENDING


# --- the score preview ------------------------------------------------------------------------


def v1(in_time: int, resolved: int, target: int) -> Fraction | None:
    return criterion_share(
        judge(in_time, resolved, Decimal(target), Decimal(95), NeededMode.CONVERT)
    )


def test_a_met_criterion_scores_its_full_point() -> None:
    assert v1(99, 100, 99) == 1


def test_between_the_floor_and_the_target_the_score_is_the_share_of_the_way() -> None:
    # a department at 98 % against 99 %, floor 95 %: (98 − 95) / (99 − 95)
    assert v1(98, 100, 99) == Fraction(3, 4)
    # a commune at 98.5 % against 100 %: (98.5 − 95) / (100 − 95)
    assert v1(985, 1000, 100) == Fraction(7, 10)
    assert v1(95, 100, 99) == 0


def test_below_the_95_percent_floor_a_unit_scores_zero() -> None:
    attainment = judge(91, 99, Decimal(100), Decimal(95), NeededMode.CONVERT)
    assert attainment.status is Status.BELOW_FLOOR
    assert criterion_share(attainment) == 0


def test_without_a_floor_a_target_is_all_or_nothing_and_no_data_is_not_scored() -> None:
    below = judge(24, 100, Decimal(25), None, NeededMode.ADD)
    assert criterion_share(below) == 0
    assert criterion_share(judge(None, None, Decimal(25), None, NeededMode.ADD)) is None
    assert criterion_share(judge(1, 2, None, None, NeededMode.ADD)) is None


# --- the ranking ------------------------------------------------------------------------------


def score(*statuses: Status) -> UnitScore:
    shares = {Status.MET: Fraction(1), Status.BELOW_TARGET: Fraction(1, 2)}
    return UnitScore(
        tuple(
            Criterion(f"I.{i}", None, s, shares.get(s, Fraction(0) if s.severity else None))
            for i, s in enumerate(statuses)
        )
    )


def test_units_are_ranked_by_score_and_only_equal_scores_share_a_rank() -> None:
    met, below, floor, none = (
        Status.MET,
        Status.BELOW_TARGET,
        Status.BELOW_FLOOR,
        Status.NO_DATA,
    )
    ranked = rank_units(
        [
            ("b", "Xã Bờ", score(met, met, floor)),  # 2 points, 1/3 below the floor
            ("a", "Xã Đăk A", score(met, met, below, floor)),  # 2.5 points
            ("c", "Xã An", score(met, met, below, below)),  # 3 points, 2 met
            ("d", "Xã Dung", score(met, met, below, below)),  # equal to c
            ("e", "Xã Ê", score(met, met, met)),  # 3 points, 3 met: first of the three
            ("g", "Xã Gia", score(met, met, below)),  # 2.5 points: shares a's rank
            ("f", "Xã Phù", score(none, none)),  # nothing judged: unranked, last
        ]
    )
    assert [(r.rank, r.unit) for r in ranked] == [
        (1, "e"),
        (1, "c"),
        (1, "d"),
        (4, "g"),
        (4, "a"),
        (6, "b"),
        (None, "f"),
    ]
    assert ranked[4].score.points == Fraction(5, 2)
    assert [c.indicator for c in ranked[4].score.zeroed] == ["I.3"]


# --- the report of a period, on the in-memory store ------------------------------------------


def store() -> tuple[FakeState, Callable[[], UnitOfWork]]:
    state = FakeState()
    return state, lambda: FakeUnitOfWork(state)


async def report_months(
    uow: Callable[[], UnitOfWork],
    catalogue: Catalogue,
    unit: str,
    months: range,
    when: Callable[[int], datetime],
) -> None:
    """The unit's whole form for each month, sent at when(month) (demo profiles' figures)."""
    profiles = {p.unit: p for p in (*DEMO_COMMUNES, DEMO_DISTRICT)}
    asked = {e.code for e in catalogue.elements_for(catalogue.units.get(unit))}
    for number in months:
        values = {
            code: value
            for code, value in month_values(profiles[unit], number).items()
            if code in asked
        }
        await submit_figures(
            uow, catalogue, unit, month(number), values, ALICE, Source.CLI, now=when(number)
        )


async def test_completeness_and_timeliness_are_counted_by_level_from_first_submissions(
    kontum: Catalogue,
) -> None:
    state, uow = store()
    for unit in kontum.units:
        state.units[unit.code] = True
    # the district (due 19/03) complete on 19/03; Đăk Blô (due 16/03) on 17/03, late, then
    # corrected in April: still late; Đăk Man only January and February: not reported
    await report_months(uow, kontum, "dak-glei", range(1, 4), lambda m: at(19 if m == 3 else 5, m))
    await report_months(uow, kontum, "dak-blo", range(1, 4), lambda m: at(17 if m == 3 else 5, m))
    await report_months(uow, kontum, "dak-blo", range(3, 4), lambda _m: at(2, 4))
    await report_months(uow, kontum, "dak-man", range(1, 3), lambda m: at(5, m))

    async with uow() as u:
        summary = await reporting_summary(u, kontum, "dak-glei", Q1, date(2022, 6, 10), ZONE)
    district, communes = summary.levels
    assert (district.level, district.expected, district.reported, district.on_time) == (
        "district",
        1,
        1,
        1,
    )
    assert district.deadline == date(2022, 3, 19)
    assert (communes.expected, communes.reported, communes.on_time, communes.late) == (12, 1, 0, 1)
    assert communes.completeness == Fraction(1, 12)
    assert communes.timeliness == 0
    by_unit = {u.unit: u for u in summary.units}
    assert by_unit["dak-blo"].completed_on == date(2022, 3, 17)
    assert by_unit["dak-blo"].timeliness is Timeliness.LATE
    assert by_unit["dak-man"].timeliness is Timeliness.MISSING
    assert by_unit["dak-man"].missing  # March is missing
    assert len(summary.not_reported) == 11
    assert [u.unit for u in summary.late] == ["dak-blo"]


async def test_before_the_deadline_a_unit_not_reported_is_pending(kontum: Catalogue) -> None:
    state, uow = store()
    for unit in kontum.units:
        state.units[unit.code] = True
    async with uow() as u:
        summary = await reporting_summary(u, kontum, "dak-glei", Q1, date(2022, 3, 16), ZONE)
    assert {u.timeliness for u in summary.units} == {Timeliness.PENDING}
    async with uow() as u:
        summary = await reporting_summary(u, kontum, "dak-glei", Q1, date(2022, 3, 17), ZONE)
    communes = [u for u in summary.units if u.level == "commune"]
    assert {u.timeliness for u in communes} == {Timeliness.MISSING}


async def test_the_whole_province_expects_every_reporting_level(kontum: Catalogue) -> None:
    _, uow = store()
    async with uow() as u:
        summary = await reporting_summary(u, kontum, "kon-tum", Q1, date(2022, 6, 10), ZONE)
    assert [(lv.level, lv.expected) for lv in summary.levels] == [
        ("province", 1),
        ("department", 20),
        ("district", 10),
        ("commune", 102),
    ]
    assert all(lv.reported == 0 and lv.completeness == 0 for lv in summary.levels)


async def test_a_month_is_not_a_report_period(kontum: Catalogue) -> None:
    _, uow = store()
    async with uow() as u:
        with pytest.raises(NotAReportPeriodError, match="2022-Q1, 2022-H1, 2022-9M, 2022"):
            await reporting_summary(u, kontum, "kon-tum", month(3), date(2022, 6, 10), ZONE)


async def test_departments_are_ranked_on_v1_with_the_floor_scoring_zero(kontum: Catalogue) -> None:
    state, uow = store()
    for unit in kontum.units:
        state.units[unit.code] = True

    async def resolved(unit: str, in_time: int) -> None:
        values = {
            "dossiers_resolved": 100,
            "dossiers_resolved_early": in_time,
            "dossiers_resolved_on_time": 0,
            "dossiers_resolved_late": 100 - in_time,
        }
        await submit_figures(uow, kontum, unit, month(2), values, ALICE, Source.CLI)

    await resolved("so-tu-phap", 100)  # met its 99 %
    await resolved("so-y-te", 98)  # under 99 %, over the 95 % floor: 3/4 of a point
    await resolved("so-noi-vu", 90)  # under the floor: zero
    async with uow() as u:
        ranked = (await rankings(u, kontum, "kon-tum", Q1, ["department"]))["department"]
    top = [
        (r.rank, r.unit, r.score.met, r.score.below_target, r.score.below_floor) for r in ranked
    ]
    assert top[:3] == [
        (1, "so-tu-phap", 1, 0, 0),
        (2, "so-y-te", 0, 1, 0),
        (3, "so-noi-vu", 0, 0, 1),
    ]
    assert ranked[1].score.points == Fraction(3, 4)
    assert [(c.indicator, c.level) for c in ranked[2].score.zeroed] == [("V.1", "department")]
    assert len(ranked) == 20
    assert {r.rank for r in ranked[3:]} == {None}


async def test_a_district_ranks_its_communes_on_their_own_v1_line(kontum: Catalogue) -> None:
    state, uow = store()
    for unit in kontum.units:
        state.units[unit.code] = True
    await report_months(uow, kontum, "dak-blo", range(1, 4), lambda m: at(5, m))
    async with uow() as u:
        ranked = await rankings(u, kontum, "dak-glei", Q1)
    assert list(ranked) == ["commune"]
    blo = next(r for r in ranked["commune"] if r.unit == "dak-blo")
    assert [c.indicator for c in blo.score.zeroed] == ["V.1"]  # 93.5 % in the demo profile
    assert blo.rank == 1  # the only commune with figures


def test_the_default_report_is_the_last_whose_period_has_ended(kontum: Catalogue) -> None:
    loaded = {2022: kontum}
    assert default_report_period(loaded, date(2022, 6, 10)) == Q1
    assert default_report_period(loaded, date(2022, 6, 15)) == H1
    assert default_report_period(loaded, date(2022, 1, 5)) == Q1  # nothing ended yet
    assert default_report_period(loaded, date(2025, 3, 1)) == Period.whole_year(2022)

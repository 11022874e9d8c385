"""Alerts: the state machine of one line, and evaluating, storing and routing with fake stores."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.notices import BotNoticeWriter
from kpi.access import Membership, Person, Role
from kpi.alerts import AlertKind, AlertState, Decision, Scope, decide
from kpi.attainment import Status
from kpi.catalogue import Catalogue
from kpi.periods import Period
from kpi.quiet import in_quiet_hours, not_before
from kpi.revisions import Author, Source
from services.alerts import SubmissionAlerts, sweep_alerts
from services.figures import submit_figures
from services.ports import OutgoingMessage, UnitOfWork
from tests.fakes import FakeState, FakeUnitOfWork

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2022, 2, 1, 3, 0, tzinfo=UTC)  # 10:00 in the province
DAY = timedelta(days=1)
LAN = Author("tg:1", "Lan")


def step(previous: AlertState | None, status: Status, at: datetime) -> Decision | None:
    return decide(previous, "duy-tan", "III.2", Scope.QUARTER, "2022-Q1", status, at, 7)


def walk(*moves: tuple[Status, datetime]) -> list[AlertKind | None]:
    """The alert kinds a line goes through (None: nothing said)."""
    state: AlertState | None = None
    kinds: list[AlertKind | None] = []
    for status, at in moves:
        decision = step(state, status, at)
        kinds.append(None if decision is None else decision.kind)
        if decision is not None:
            state = decision.state
    return kinds


# --- the state machine -----------------------------------------------------------------------


def test_falling_below_the_target_then_recovering_says_each_once() -> None:
    assert walk(
        (Status.MET, T0),
        (Status.BELOW_TARGET, T0 + DAY),
        (Status.BELOW_TARGET, T0 + 2 * DAY),
        (Status.MET, T0 + 3 * DAY),
        (Status.MET, T0 + 4 * DAY),
    ) == [None, AlertKind.BELOW_TARGET, None, AlertKind.RECOVERED, None]


def test_the_floor_is_announced_going_down_and_coming_back_up() -> None:
    assert walk(
        (Status.BELOW_TARGET, T0),
        (Status.BELOW_FLOOR, T0 + DAY),
        (Status.BELOW_TARGET, T0 + 2 * DAY),
        (Status.MET, T0 + 3 * DAY),
    ) == [
        AlertKind.BELOW_TARGET,
        AlertKind.BELOW_FLOOR,
        AlertKind.IMPROVED,
        AlertKind.RECOVERED,
    ]


def test_a_problem_that_persists_is_repeated_once_a_week_with_a_new_key() -> None:
    first = step(None, Status.BELOW_TARGET, T0)
    assert first is not None
    assert first.kind is AlertKind.BELOW_TARGET
    quiet = step(first.state, Status.BELOW_TARGET, T0 + 6 * DAY)
    assert quiet is None
    again = step(first.state, Status.BELOW_TARGET, T0 + 7 * DAY)
    assert again is not None
    assert again.kind is AlertKind.STILL_BELOW
    assert again.key != first.key
    later = step(again.state, Status.BELOW_TARGET, T0 + 13 * DAY)
    assert later is None


def test_no_data_is_never_an_alert_and_a_first_met_says_nothing() -> None:
    assert walk((Status.NO_DATA, T0), (Status.MET, T0 + DAY)) == [None, None]
    assert step(None, Status.NO_TARGET, T0) is None


def test_the_same_change_seen_twice_gets_the_same_key() -> None:
    one = step(None, Status.BELOW_TARGET, T0)
    other = step(None, Status.BELOW_TARGET, T0 + timedelta(seconds=3))
    assert one is not None
    assert other is not None
    assert one.key == other.key


def test_a_new_quarter_starts_afresh() -> None:
    below = step(None, Status.BELOW_TARGET, T0)
    assert below is not None
    next_quarter = decide(
        below.state, "duy-tan", "III.2", Scope.QUARTER, "2022-Q2", Status.MET, T0 + DAY, 7
    )
    assert next_quarter is not None
    assert next_quarter.kind is None
    assert next_quarter.state.period_key == "2022-Q2"


def test_quiet_hours_wrap_midnight_and_push_messages_to_the_morning() -> None:
    start, end = time(21), time(7)
    assert in_quiet_hours(time(23), start, end)
    assert in_quiet_hours(time(6, 59), start, end)
    assert not in_quiet_hours(time(7), start, end)
    evening = datetime(2022, 3, 15, 22, 30, tzinfo=ZONE)
    assert not_before(evening, ZONE, start, end) == datetime(2022, 3, 16, 7, tzinfo=ZONE)
    night = datetime(2022, 3, 16, 2, tzinfo=ZONE)
    assert not_before(night, ZONE, start, end) == datetime(2022, 3, 16, 7, tzinfo=ZONE)
    assert not_before(datetime(2022, 3, 16, 9, tzinfo=ZONE), ZONE, start, end) is None


# --- evaluating with fake stores --------------------------------------------------------------

HEAD, MEMBER, VIEWER, DISTRICT_HEAD = 1, 2, 3, 10
DISTRICT_GROUP, PROVINCE_GROUP, OTHER_GROUP = -100, -200, -300


def world() -> tuple[FakeState, Callable[[], UnitOfWork]]:
    state = FakeState()
    for telegram_id, unit, role in (
        (HEAD, "duy-tan", Role.HEAD),
        (MEMBER, "duy-tan", Role.MEMBER),
        (VIEWER, "duy-tan", Role.VIEWER),
        (DISTRICT_HEAD, "kon-tum-city", Role.HEAD),
    ):
        state.people[telegram_id] = Person(telegram_id, "P", memberships=(Membership(unit, role),))
    state.subscriptions = {
        (DISTRICT_GROUP, "kon-tum-city"): True,
        (PROVINCE_GROUP, "kon-tum"): True,
        (OTHER_GROUP, "dak-glei"): True,
    }
    return state, lambda: FakeUnitOfWork(state)


def dossiers(online: int) -> dict[str, int]:
    return {
        "dossiers_received": 100,
        "dossiers_received_online": online,
        "dossiers_resolved": 0,
        "dossiers_resolved_early": 0,
        "dossiers_resolved_on_time": 0,
        "dossiers_resolved_late": 0,
    }


async def submit(
    uow: Callable[[], UnitOfWork], catalogue: Catalogue, values: dict[str, int], at: datetime
) -> None:
    await submit_figures(
        uow,
        catalogue,
        "duy-tan",
        Period.parse("2022-02"),
        values,
        LAN,
        Source.CHAT,
        now=at,
        alerts=SubmissionAlerts(BotNoticeWriter(), ZONE),
    )


def about(state: FakeState, indicator: str) -> dict[int, list[str]]:
    """Chat → kinds of the messages about duy-tan that name `indicator`."""
    found: dict[int, list[str]] = {}
    for key, queued in state.outbox.items():
        if key.startswith("alert:duy-tan:") and f" {indicator} " in queued.message.text:
            found.setdefault(queued.message.chat_id, []).append(queued.message.kind)
    return found


def to(state: FakeState, chat: int, unit: str = "duy-tan") -> list[OutgoingMessage]:
    """The messages to `chat` about `unit`."""
    return [
        q.message
        for q in state.outbox.values()
        if q.message.chat_id == chat and q.message.key.startswith(f"alert:{unit}:")
    ]


async def test_a_submission_below_target_alerts_the_unit_and_the_groups_that_follow_it(
    kontum: Catalogue,
) -> None:
    state, uow = world()
    await submit(uow, kontum, dossiers(online=5), T0)  # 5 % online against a target
    assert about(state, "III.2") == {
        HEAD: ["alert"],
        MEMBER: ["alert"],
        DISTRICT_GROUP: ["alert"],
    }
    [message] = to(state, HEAD)  # one message: the quarter and the year, each line that fell
    # one digest: the unit and the period once, each indicator once (the year so far)
    assert message.text.startswith("⚠️ Phường Duy Tân (Thành phố Kon Tum) · năm 2022 (lũy kế)\n")
    assert message.text.count("III.2") == 1
    assert "5,00\u00a0% (chỉ tiêu 25\u00a0%) · cần thêm 27 hồ sơ" in message.text
    assert message.markup == {
        "inline_keyboard": [[{"text": "Xem kết quả", "callback_data": "st:duy-tan:2022"}]]
    }


async def test_a_correction_that_recovers_sends_one_recovery_and_a_sweep_adds_nothing(
    kontum: Catalogue,
) -> None:
    state, uow = world()
    await submit(uow, kontum, dossiers(online=5), T0)
    await submit(uow, kontum, dossiers(online=100), T0 + DAY)
    assert about(state, "III.2") == {
        HEAD: ["alert", "recovery"],
        MEMBER: ["alert", "recovery"],
        DISTRICT_GROUP: ["alert", "recovery"],
    }
    queued = len(state.outbox)
    await sweep_alerts(uow, kontum, T0 + 2 * DAY, BotNoticeWriter(), ZONE)
    await sweep_alerts(uow, kontum, T0 + 3 * DAY, BotNoticeWriter(), ZONE)
    assert len(state.outbox) == queued


async def test_the_provincial_group_hears_of_units_below_the_floor_only(
    kontum: Catalogue,
) -> None:
    state, uow = world()
    await submit(uow, kontum, dossiers(online=5), T0)  # below target, no floor
    assert to(state, PROVINCE_GROUP) == []
    assert len(to(state, PROVINCE_GROUP, "kon-tum")) == 1  # the province's own line
    assert to(state, OTHER_GROUP) == []
    late = dossiers(online=30) | {
        "dossiers_resolved": 100,
        "dossiers_resolved_on_time": 90,
        "dossiers_resolved_late": 10,
    }
    await submit(uow, kontum, late, T0 + DAY)  # 90 % on time: below the floor of V.1
    [message] = to(state, PROVINCE_GROUP)
    assert message.text.startswith("🔴 Phường Duy Tân (Thành phố Kon Tum) · năm 2022 (lũy kế)")
    assert "1 chỉ tiêu dưới mức sàn" in message.text
    assert to(state, OTHER_GROUP) == []


async def test_an_alert_made_at_night_waits_for_the_morning(kontum: Catalogue) -> None:
    state, uow = world()
    night = datetime(2022, 2, 1, 15, 0, tzinfo=UTC)  # 22:00 in the province
    await submit(uow, kontum, dossiers(online=5), night)
    [alert] = to(state, HEAD)
    assert alert.not_before == datetime(2022, 2, 2, 7, tzinfo=ZONE)


async def test_the_weekly_repeat_comes_from_the_sweep(kontum: Catalogue) -> None:
    state, uow = world()
    await submit(uow, kontum, dossiers(online=5), T0)
    await sweep_alerts(uow, kontum, T0 + 6 * DAY, BotNoticeWriter(), ZONE)
    assert about(state, "III.2")[HEAD] == ["alert"]
    await sweep_alerts(uow, kontum, T0 + 7 * DAY, BotNoticeWriter(), ZONE)
    assert about(state, "III.2")[HEAD] == ["alert", "alert"]

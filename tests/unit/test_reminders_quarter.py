"""Reminders over a whole quarter, on a fake clock: the scheduler's jobs run at every hour from
the start of Q1 2022 to the end of its deadline window, as the runner fires them (and as a
catch-up does), against fake stores."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.notices import BotNoticeWriter, parse_report_button
from kpi.access import Membership, Person, Role
from kpi.catalogue import Catalogue
from kpi.periods import Period
from scheduler.jobs import Jobs
from services.catalogues import Catalogues
from tests.fakes import FakeState, FakeUnitOfWork, QueuedMessage

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
Q1 = Period.parse("2022-Q1")

COMMUNE_HEAD = 1  # duy-tan, does not report
MUTED_MEMBER = 2  # le-loi, muted
REPORTED_HEAD = 3  # ngo-may, reported before any reminder
DISTRICT_HEAD = 10  # kon-tum-city
DEPARTMENT_HEAD = 20  # so-tu-phap, reports on 17/03 at noon
PROVINCE_HEAD = 30  # kon-tum (the root)
ADMIN = 40
VIEWER = 50  # duy-tan, viewer: never reminded


def local(day: str, hour: int = 8) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=ZONE)


def person(telegram_id: int, unit: str, role: Role = Role.HEAD) -> Person:
    return Person(telegram_id, f"P{telegram_id}", "vi", memberships=(Membership(unit, role),))


def report(state: FakeState, catalogue: Catalogue, unit: str) -> None:
    """Every element the unit is asked for, for the whole quarter."""
    for element in catalogue.elements_for(catalogue.units.get(unit)):
        state.current[(unit, element.code, Q1)] = 1


def people() -> dict[int, Person]:
    return {
        COMMUNE_HEAD: person(COMMUNE_HEAD, "duy-tan"),
        MUTED_MEMBER: Person(
            MUTED_MEMBER, "M", memberships=(Membership("le-loi", Role.MEMBER),), muted=True
        ),
        REPORTED_HEAD: person(REPORTED_HEAD, "ngo-may"),
        DISTRICT_HEAD: person(DISTRICT_HEAD, "kon-tum-city"),
        DEPARTMENT_HEAD: person(DEPARTMENT_HEAD, "so-tu-phap"),
        PROVINCE_HEAD: person(PROVINCE_HEAD, "kon-tum"),
        ADMIN: Person(ADMIN, "Admin", "en", is_admin=True),
        VIEWER: person(VIEWER, "duy-tan", Role.VIEWER),
    }


class World:
    """The fake stores, the catalogue and the jobs, on a clock the test moves."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.state = FakeState(people=people())
        self.state.units = {u.code: True for u in catalogue.units}
        self.now = local("2021-12-15", 0)
        self.jobs = Jobs(
            lambda: FakeUnitOfWork(self.state),
            lambda: Catalogues({2022: catalogue}),
            BotNoticeWriter(),
            zone=ZONE,
            clock=lambda: self.now,
            sweep_at=None,  # the alert sweep has tests of its own
        )

    async def walk(self, until: datetime, step: timedelta = timedelta(hours=1)) -> None:
        while self.now <= until:
            await self.jobs.catch_up(self.now)
            self.now += step

    def to(self, chat: int, kind: str | None = None) -> list[QueuedMessage]:
        return [
            q
            for q in self.state.outbox.values()
            if q.message.chat_id == chat and (kind is None or q.message.kind == kind)
        ]

    def days(self, chat: int, kind: str) -> list[str]:
        """When each message (its first part) was queued, local time."""
        return [
            q.queued_at.astimezone(ZONE).strftime("%d/%m %H:%M")
            for q in self.to(chat, kind)
            if "#" not in q.message.key
        ]


@pytest.fixture(scope="module")
def quarter(kontum: Catalogue) -> World:
    """Q1 2022 walked hour by hour until 25/03; ngo-may reported early, so-tu-phap on 17/03.
    Walked once for the module's tests, which only read it."""
    world = World(kontum)

    async def walk() -> None:
        report(world.state, kontum, "ngo-may")
        await world.walk(local("2022-03-17", 12))
        report(world.state, kontum, "so-tu-phap")
        await world.walk(local("2022-03-25", 0))

    asyncio.run(walk())
    return world


async def test_a_commune_that_does_not_report_is_reminded_7_3_1_days_before_on_the_day_and_after(
    quarter: World,
) -> None:
    # communes are due on the 16th
    assert quarter.days(COMMUNE_HEAD, "reminder") == [
        "09/03 08:00",
        "13/03 08:00",
        "15/03 08:00",
        "16/03 08:00",
        "17/03 08:00",
        "19/03 08:00",
    ]


async def test_departments_and_districts_are_reminded_against_their_own_deadlines(
    quarter: World,
) -> None:
    assert quarter.days(DISTRICT_HEAD, "reminder") == [  # due on the 19th
        "12/03 08:00",
        "16/03 08:00",
        "18/03 08:00",
        "19/03 08:00",
        "20/03 08:00",
        "22/03 08:00",
    ]
    # due on the 18th; it reported on 17/03 at noon: nothing after that
    assert quarter.days(DEPARTMENT_HEAD, "reminder") == [
        "11/03 08:00",
        "15/03 08:00",
        "17/03 08:00",
    ]


async def test_units_that_reported_muted_people_and_viewers_get_no_reminder(
    quarter: World,
) -> None:
    assert quarter.to(REPORTED_HEAD) == []
    assert quarter.to(MUTED_MEMBER) == []
    assert quarter.to(VIEWER) == []


async def test_the_province_itself_is_reminded_of_its_own_report(quarter: World) -> None:
    assert quarter.days(PROVINCE_HEAD, "reminder") == [  # due to the Government Office on the 20th
        "13/03 08:00",
        "17/03 08:00",
        "19/03 08:00",
        "20/03 08:00",
        "21/03 08:00",
        "23/03 08:00",
    ]


async def test_a_reminder_says_what_is_late_and_carries_a_button_that_opens_submit(
    quarter: World,
) -> None:
    first = quarter.to(COMMUNE_HEAD, "reminder")[0].message
    assert "Phường Duy Tân" in first.text or "Duy Tân" in first.text
    assert "Quý 1/2022" in first.text
    assert "còn 7 ngày" in first.text
    assert first.key == f"reminder:2022-Q1:-7:duy-tan:{COMMUNE_HEAD}"
    assert first.markup is not None
    button = first.markup["inline_keyboard"][0][0]  # type: ignore[index]
    pressed = parse_report_button(button["callback_data"])
    assert pressed is not None
    assert (pressed.unit, pressed.period) == ("duy-tan", Q1)
    late = quarter.to(COMMUNE_HEAD, "reminder")[-1].message
    assert "quá hạn 3 ngày" in late.text


async def test_after_the_deadline_the_district_head_hears_which_communes_are_late(
    quarter: World,
) -> None:
    escalations = quarter.to(DISTRICT_HEAD, "escalation")
    assert quarter.days(DISTRICT_HEAD, "escalation") == ["17/03 08:00", "19/03 08:00"]
    text = escalations[0].message.text
    late = [u for u in quarter.catalogue.units.children("kon-tum-city") if u.code != "ngo-may"]
    assert text.startswith(f"{len(late)} đơn vị cấp xã thuộc Thành phố Kon Tum chưa báo cáo")
    assert "Duy Tân" in text
    assert "Ngô Mây" not in text
    assert quarter.to(COMMUNE_HEAD, "escalation") == []


async def test_the_provincial_office_gets_the_summary_of_every_late_unit_with_the_list(
    quarter: World,
) -> None:
    assert quarter.days(ADMIN, "summary") == ["20/03 08:00", "22/03 08:00"]
    assert quarter.days(PROVINCE_HEAD, "summary") == ["20/03 08:00", "22/03 08:00"]
    english = quarter.to(ADMIN, "summary")[0].message.text
    assert english.startswith("📋 130 of 132 units have not reported Quarter 1/2022")
    assert "Justice" not in english
    vietnamese = quarter.to(PROVINCE_HEAD, "summary")[0].message.text
    assert vietnamese.startswith("📋 130/132 đơn vị chưa báo cáo số liệu Quý 1/2022")
    assert vietnamese.count("\n• ") == 130
    assert quarter.to(DISTRICT_HEAD, "summary") == []


async def test_every_fire_time_runs_once_however_often_it_is_tried(quarter: World) -> None:
    queued = len(quarter.state.outbox)
    for job in quarter.jobs.reminder_jobs():
        if job.fire_time <= quarter.now:  # every fire time the walk went through
            assert await quarter.jobs.run(job, job.fire_time) is None
    assert len(quarter.state.outbox) == queued


async def test_nothing_is_reminded_outside_the_deadline_window(quarter: World) -> None:
    times = [q.queued_at.astimezone(ZONE) for q in quarter.state.outbox.values()]
    assert min(times) == local("2022-03-09")  # communes, 7 days before the 16th
    assert max(times) == local("2022-03-23")  # the province, 3 days after the 20th
    assert all(t.hour == 8 and t.minute == 0 for t in times)


async def test_a_fire_time_missed_while_down_is_made_up_on_start_and_waits_for_the_morning(
    kontum: Catalogue,
) -> None:
    world = World(kontum)
    world.now = local("2022-03-14", 23) + timedelta(minutes=30)  # down since before 13/03 08:00
    await world.jobs.catch_up()
    reminders = world.to(COMMUNE_HEAD, "reminder")
    assert [q.message.key for q in reminders] == [f"reminder:2022-Q1:-3:duy-tan:{COMMUNE_HEAD}"]
    assert reminders[0].message.not_before == local("2022-03-15", 7)  # the quiet hours end

    world.now += timedelta(minutes=5)  # restarted again: nothing twice
    await world.jobs.catch_up()
    assert len(world.to(COMMUNE_HEAD)) == 1


async def test_a_missed_fire_time_no_longer_useful_is_dropped(kontum: Catalogue) -> None:
    world = World(kontum)
    world.now = local("2022-03-12", 9)  # the -7 of 09/03 was missed; the -3 is tomorrow
    await world.jobs.catch_up()
    assert [q.message.key for q in world.to(COMMUNE_HEAD)] == [
        f"reminder:2022-Q1:-7:duy-tan:{COMMUNE_HEAD}"
    ]
    world.now = local("2022-03-13", 9)
    await world.jobs.catch_up()
    world.now = local("2022-03-19", 20)  # down from 13/03: only the last useful one, +3
    await world.jobs.catch_up()
    keys = [q.message.key.split(":")[2] for q in world.to(COMMUNE_HEAD)]
    assert keys == ["-7", "-3", "+3"]


async def test_reminders_on_time_are_not_held_back_by_the_quiet_hours(quarter: World) -> None:
    assert all(q.message.not_before is None for q in quarter.state.outbox.values())


async def test_deriving_the_jobs_again_gives_the_same_names(kontum: Catalogue) -> None:
    world = World(kontum)
    world.now = local("2022-01-01")
    first = [(j.name, j.fire_time) for j in world.jobs.upcoming(world.now)]
    again = [(j.name, j.fire_time) for j in world.jobs.upcoming(world.now)]
    assert first == again
    names = [name for name, _ in first]
    assert len(set(names)) == len(names)
    assert "reminders:2022-Q1:district:-7" in names
    assert "summary:2022-Q1:+1" in names
    assert dict(first)["reminders:2022-Q1:district:-7"] == local("2022-03-12")


def test_times_are_checked_in_utc_too() -> None:
    assert local("2022-03-09").astimezone(UTC) == datetime(2022, 3, 9, 1, tzinfo=UTC)

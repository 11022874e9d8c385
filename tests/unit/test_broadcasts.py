"""Broadcast audiences, recipients, queueing and reports, and who may subscribe a group: with
fakes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kpi.access import Membership, Person, Role
from kpi.errors import AmbiguousUnitError, UnknownUnitError
from services import subscriptions as subs
from services.access import Actor
from services.broadcasts import (
    Audience,
    AudienceError,
    AudienceKind,
    UnitListError,
    broadcast_report,
    count_deliveries,
    create_broadcast,
    plan_broadcast,
)
from tests.fakes import FakeState, FakeUnitOfWork, QueuedMessage
from tests.integration.builders import UNITS, tree, unit

NOW = datetime(2022, 6, 10, 2, 0, tzinfo=UTC)
TREE = tree()

ADMIN = Actor(9001, configured_admin=True)


def person(telegram_id: int, *memberships: tuple[str, Role], active: bool = True) -> Person:
    return Person(
        telegram_id,
        f"P{telegram_id}",
        memberships=tuple(Membership(u, r) for u, r in memberships),
        active=active,
    )


@pytest.fixture
def state() -> FakeState:
    state = FakeState(units={u.code: True for u in UNITS})
    for p in (
        person(1, ("dak-ha-ha-mon", Role.HEAD)),
        person(2, ("dak-ha-ha-mon", Role.MEMBER)),
        person(3, ("dak-ha-dak-mar", Role.HEAD), active=False),  # blocked the bot earlier
        person(4, ("sa-thay-sa-binh", Role.VIEWER), ("sa-thay", Role.HEAD)),
        person(5, ("so-tu-phap", Role.HEAD)),
        person(6, ("dak-ha", Role.MEMBER)),
        Person(9001, "Admin", is_admin=True),
    ):
        state.people[p.telegram_id] = p
    return state


def factory(state: FakeState) -> FakeUnitOfWork:
    return FakeUnitOfWork(state)


async def recipients(state: FakeState, audience: Audience) -> list[tuple[int, bool]]:
    async with FakeUnitOfWork(state) as uow:
        plan = await plan_broadcast(uow, TREE, audience)
    return [(r.chat_id, r.blocked) for r in plan.recipients]


# --- audiences --------------------------------------------------------------------------------


def test_an_audience_reads_back_from_its_key() -> None:
    for text in ("heads", "level:commune", "subtree:dak-ha", "units:so-tu-phap,sa-thay", "groups"):
        assert Audience.parse(text, TREE).key == text


def test_an_audience_takes_unit_names_as_well_as_codes() -> None:
    audience = Audience.parse("units: Sở Tư pháp; Huyện Đăk Hà\nsa binh", TREE)
    assert audience.units == ("so-tu-phap", "dak-ha", "sa-thay-sa-binh")
    assert Audience.parse("subtree:Đắk Hà", TREE).units == ("dak-ha",)


def test_a_list_of_units_names_every_unknown_or_ambiguous_name() -> None:
    namesakes = tree(*UNITS, unit("sa-thay-ha-mon", "commune", "Xã Hà Mòn", "sa-thay"))
    with pytest.raises(UnitListError) as caught:
        Audience.parse("units:Hà Mòn, Nowhere, dak-ha", namesakes)
    problems = caught.value.problems
    assert problems.unknown == ("Nowhere",)
    ((name, candidates),) = problems.ambiguous
    assert name == "Hà Mòn"
    assert {u.code for u in candidates} == {"dak-ha-ha-mon", "sa-thay-ha-mon"}


@pytest.mark.parametrize(
    "text", ["everyone", "level:hamlet", "heads:now", "units:", "subtree:", "units: , ;"]
)
def test_an_unreadable_audience_is_refused_with_what_is_expected(text: str) -> None:
    with pytest.raises(AudienceError):
        Audience.parse(text, TREE)


def test_a_subtree_of_an_unknown_or_ambiguous_unit_is_refused() -> None:
    namesakes = tree(*UNITS, unit("sa-thay-ha-mon", "commune", "Xã Hà Mòn", "sa-thay"))
    with pytest.raises(UnknownUnitError):
        Audience.parse("subtree:Nowhere", TREE)
    with pytest.raises(AmbiguousUnitError):
        Audience.parse("subtree:Hà Mòn", namesakes)


# --- recipients -------------------------------------------------------------------------------


async def test_a_level_reaches_everyone_bound_to_its_units_once(state: FakeState) -> None:
    assert await recipients(state, Audience(AudienceKind.LEVEL, "commune")) == [
        (1, False),
        (2, False),
        (3, True),
        (4, False),
    ]


async def test_heads_are_only_the_heads_of_units(state: FakeState) -> None:
    assert await recipients(state, Audience(AudienceKind.HEADS)) == [
        (1, False),
        (3, True),
        (4, False),
        (5, False),
    ]


async def test_a_subtree_reaches_the_unit_and_those_under_it(state: FakeState) -> None:
    audience = Audience(AudienceKind.SUBTREE, units=("dak-ha",))
    assert [c for c, _ in await recipients(state, audience)] == [1, 2, 3, 6]


async def test_a_list_reaches_exactly_the_listed_units(state: FakeState) -> None:
    audience = Audience(AudienceKind.UNITS, units=("so-tu-phap", "sa-thay"))
    assert [c for c, _ in await recipients(state, audience)] == [4, 5]


async def test_groups_are_the_active_chats_following_a_unit(state: FakeState) -> None:
    async with FakeUnitOfWork(state) as uow:
        await uow.chats.joined(-1, "Đăk Hà", "group", NOW)
        await uow.chats.subscribe(-1, "dak-ha", 1, NOW)
        await uow.chats.joined(-2, "Sa Thầy", "group", NOW)
        await uow.chats.subscribe(-2, "sa-thay", 4, NOW)
        await uow.chats.deactivate(-2, NOW)
        await uow.chats.joined(-3, "Nothing followed", "group", NOW)
        await uow.commit()
    assert await recipients(state, Audience(AudienceKind.GROUPS)) == [(-1, False)]


# --- queueing and the report ------------------------------------------------------------------


async def test_a_broadcast_queues_one_message_a_recipient_and_records_the_blocked(
    state: FakeState,
) -> None:
    audience = Audience(AudienceKind.LEVEL, "commune")
    created = await create_broadcast(
        lambda: factory(state), TREE, " Họp lúc 8 giờ ", audience, 9001, NOW
    )
    assert (created.recipients, created.blocked) == (4, 1)
    rows = {key: (q.message.chat_id, q.state) for key, q in state.outbox.items()}
    assert rows == {
        f"broadcast:{created.id}:1": (1, "pending"),
        f"broadcast:{created.id}:2": (2, "pending"),
        f"broadcast:{created.id}:3": (3, "blocked"),
        f"broadcast:{created.id}:4": (4, "pending"),
    }
    assert {q.message.text for q in state.outbox.values()} == {"Họp lúc 8 giờ"}
    assert state.broadcasts[created.id].audience == "level:commune"
    async with FakeUnitOfWork(state) as uow:
        report = await broadcast_report(uow, created.id)
    assert report is not None
    assert (report.recipients, report.pending, report.delivered, report.blocked) == (4, 3, 0, 1)
    assert not report.finished


async def test_an_empty_text_is_not_broadcast(state: FakeState) -> None:
    with pytest.raises(AudienceError):
        await create_broadcast(
            lambda: factory(state), TREE, "  ", Audience(AudienceKind.HEADS), 9001, NOW
        )
    assert not state.outbox
    assert not state.broadcasts


async def test_the_report_follows_the_deliveries_to_the_end(state: FakeState) -> None:
    created = await create_broadcast(
        lambda: factory(state), TREE, "x", Audience(AudienceKind.HEADS), 9001, NOW
    )
    outcomes = {1: "sent", 4: "blocked", 5: "failed"}
    for key, queued in list(state.outbox.items()):
        chat = queued.message.chat_id
        if chat in outcomes:
            state.outbox[key] = QueuedMessage(queued.message, NOW, outcomes[chat])
    async with FakeUnitOfWork(state) as uow:
        report = await broadcast_report(uow, created.id)
    assert report is not None
    assert (report.delivered, report.blocked, report.failed, report.pending) == (1, 2, 1, 0)
    assert report.finished


def test_parts_of_a_long_message_count_as_one_recipient() -> None:
    report = count_deliveries(
        7,
        3,
        [
            ("broadcast:7:1", "sent"),
            ("broadcast:7:1#2", "sending"),
            ("broadcast:7:2", "blocked"),
            ("broadcast:7:2#2", "cancelled"),
            ("broadcast:7:3", "sent"),
            ("broadcast:7:3#2", "sent"),
        ],
    )
    assert (report.pending, report.delivered, report.blocked, report.failed) == (1, 1, 1, 0)
    assert report.recipients == 3


def test_a_message_cancelled_because_its_chat_blocked_the_bot_counts_as_blocked() -> None:
    report = count_deliveries(1, 1, [("broadcast:1:5", "cancelled")])
    assert (report.blocked, report.failed) == (1, 0)


async def test_a_broadcast_that_does_not_exist_has_no_report(state: FakeState) -> None:
    async with FakeUnitOfWork(state) as uow:
        assert await broadcast_report(uow, 42) is None


# --- subscriptions ----------------------------------------------------------------------------


def test_admins_and_heads_of_the_unit_or_above_may_manage_a_groups_subscription(
    state: FakeState,
) -> None:
    people = state.people
    assert subs.may_manage(people[9001], True, "dak-ha-ha-mon", TREE)
    assert subs.may_manage(people[1], False, "dak-ha-ha-mon", TREE)
    assert subs.may_manage(people[4], False, "sa-thay-sa-binh", TREE)  # heads the district
    assert not subs.may_manage(people[2], False, "dak-ha-ha-mon", TREE)  # a member
    assert not subs.may_manage(people[1], False, "dak-ha", TREE)  # above their unit
    assert not subs.may_manage(None, False, "dak-ha", TREE)  # a stranger
    assert not subs.may_manage(people[9001], True, "nowhere", TREE)
    assert subs.headed_units(people[4], TREE) == ["sa-thay"]


async def test_a_migrated_group_keeps_what_it_follows(state: FakeState) -> None:
    await subs.subscribe(lambda: factory(state), -5, "Đăk Hà", "group", "dak-ha", ADMIN, NOW, TREE)
    await subs.group_migrated(lambda: factory(state), -5, -1005, NOW)
    await subs.group_migrated(lambda: factory(state), -5, -1005, NOW)  # told twice
    assert await subs.subscriptions(lambda: factory(state), -1005) == ["dak-ha"]
    assert await subs.subscriptions(lambda: factory(state), -5) == []
    assert state.chats[-5].migrated_to == -1005
    assert state.chats[-1005].active
    assert state.chats[-1005].title == "Đăk Hà"


async def test_a_group_the_bot_left_receives_nothing_until_it_is_back(state: FakeState) -> None:
    await subs.subscribe(lambda: factory(state), -5, "Đăk Hà", "group", "dak-ha", ADMIN, NOW, TREE)
    await subs.bot_left(lambda: factory(state), -5, NOW)
    async with FakeUnitOfWork(state) as uow:
        assert await uow.chats.subscribers(["dak-ha"]) == {}
    await subs.bot_joined(lambda: factory(state), -5, "Đăk Hà", "group", NOW)
    async with FakeUnitOfWork(state) as uow:
        assert await uow.chats.subscribers(["dak-ha"]) == {"dak-ha": [-5]}
    assert await subs.unsubscribe(lambda: factory(state), -5, "dak-ha", ADMIN, TREE)
    assert not await subs.unsubscribe(lambda: factory(state), -5, "dak-ha", ADMIN, TREE)

"""Group chats, subscriptions and broadcasts in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kpi.access import Role
from services import subscriptions as subs
from services.access import Actor, NotAllowedError
from services.broadcasts import Audience, AudienceKind, broadcast_report, create_broadcast
from storage import Database
from tests.integration.builders import T0, tree

TREE = tree()

ADMIN = Actor(9001, configured_admin=True)


@pytest.fixture
async def db(database: Database) -> Database:
    """The small province, with a head and a member in Hà Mòn and a head (who blocked the
    bot) in Đăk Mar."""
    async with database.unit_of_work() as uow:
        await uow.units.sync(TREE)
        for telegram_id, unit, role in (
            (1, "dak-ha-ha-mon", Role.HEAD),
            (2, "dak-ha-ha-mon", Role.MEMBER),
            (3, "dak-ha-dak-mar", Role.HEAD),
            (5, "so-tu-phap", Role.HEAD),
        ):
            await uow.people.upsert(telegram_id, f"P{telegram_id}")
            await uow.people.add_membership(telegram_id, unit, role)
        await uow.people.set_active(3, False)
        await uow.commit()
    return database


async def test_a_group_the_bot_joins_can_follow_units_and_stop(db: Database) -> None:
    later = T0 + timedelta(minutes=1)
    assert await subs.subscribe(db.unit_of_work, -7, "Đăk Hà", "group", "dak-ha", ADMIN, T0, TREE)
    assert not await subs.subscribe(
        db.unit_of_work, -7, "Đăk Hà", "group", "dak-ha", ADMIN, later, TREE
    )
    assert await subs.subscribe(
        db.unit_of_work, -7, "Đăk Hà", "group", "dak-ha-ha-mon", ADMIN, T0, TREE
    )
    assert await subs.subscriptions(db.unit_of_work, -7) == ["dak-ha", "dak-ha-ha-mon"]
    async with db.unit_of_work() as uow:
        assert await uow.chats.subscribers(["dak-ha", "sa-thay"]) == {"dak-ha": [-7]}
        assert await uow.chats.subscribed_chats() == [-7]
        chat = await uow.chats.get(-7)
    assert chat is not None
    assert (chat.title, chat.kind, chat.active) == ("Đăk Hà", "group", True)
    assert await subs.unsubscribe(db.unit_of_work, -7, "dak-ha", ADMIN, TREE)
    assert not await subs.unsubscribe(db.unit_of_work, -7, "dak-ha", ADMIN, TREE)
    assert await subs.subscriptions(db.unit_of_work, -7) == ["dak-ha-ha-mon"]


async def test_a_group_the_bot_left_is_inactive_until_it_is_added_back(db: Database) -> None:
    await subs.subscribe(db.unit_of_work, -7, "Đăk Hà", "group", "dak-ha", ADMIN, T0, TREE)
    await subs.bot_left(db.unit_of_work, -7, T0)
    async with db.unit_of_work() as uow:
        assert await uow.chats.subscribers(["dak-ha"]) == {}
        assert await uow.chats.subscribed_chats() == []
    await subs.bot_joined(db.unit_of_work, -7, "Đăk Hà mới", "group", T0)
    async with db.unit_of_work() as uow:
        assert await uow.chats.subscribed_chats() == [-7]
        chat = await uow.chats.get(-7)
    assert chat is not None
    assert chat.title == "Đăk Hà mới"


async def test_a_group_migrated_to_a_supergroup_keeps_its_subscriptions(db: Database) -> None:
    await subs.subscribe(db.unit_of_work, -7, "Đăk Hà", "group", "dak-ha", ADMIN, T0, TREE)
    await subs.subscribe(db.unit_of_work, -7, "Đăk Hà", "group", "so-tu-phap", ADMIN, T0, TREE)
    await subs.group_migrated(db.unit_of_work, -7, -1007, T0)
    await subs.group_migrated(db.unit_of_work, -7, -1007, T0)  # the second service message
    assert await subs.subscriptions(db.unit_of_work, -1007) == ["dak-ha", "so-tu-phap"]
    assert await subs.subscriptions(db.unit_of_work, -7) == []
    async with db.unit_of_work() as uow:
        old, new = await uow.chats.get(-7), await uow.chats.get(-1007)
        assert await uow.chats.subscribers(["dak-ha"]) == {"dak-ha": [-1007]}
    assert old is not None
    assert new is not None
    assert (old.active, old.migrated_to) == (False, -1007)
    assert (new.title, new.kind, new.active) == ("Đăk Hà", "supergroup", True)


async def test_a_broadcast_queues_its_messages_and_reports_them(db: Database) -> None:
    audience = Audience(AudienceKind.LEVEL, "commune")
    created = await create_broadcast(db.unit_of_work, TREE, "Họp lúc 8 giờ", audience, 9001, T0)
    assert (created.recipients, created.blocked) == (3, 1)
    again = await create_broadcast(db.unit_of_work, TREE, "Lần hai", audience, 9001, T0)
    assert again.id != created.id
    async with db.unit_of_work() as uow:
        deliveries = await uow.broadcasts.deliveries(created.id)
        report = await broadcast_report(uow, created.id)
        stored = await uow.broadcasts.get(created.id)
    assert sorted(deliveries) == [
        (f"broadcast:{created.id}:1", "pending"),
        (f"broadcast:{created.id}:2", "pending"),
        (f"broadcast:{created.id}:3", "blocked"),
    ]
    assert report is not None
    assert (report.recipients, report.pending, report.blocked) == (3, 2, 1)
    assert stored is not None
    assert (stored.text, stored.audience, stored.recipients) == (
        "Họp lúc 8 giờ",
        "level:commune",
        3,
    )
    assert stored.created_at == T0


async def test_a_report_message_is_watched_until_it_is_finished(db: Database) -> None:
    created = await create_broadcast(
        db.unit_of_work, TREE, "x", Audience(AudienceKind.HEADS), 9001, T0
    )
    async with db.unit_of_work() as uow:
        assert await uow.broadcasts.unfinished_reports() == []
        await uow.broadcasts.set_report_message(created.id, 9001, 77, "vi")
        await uow.commit()
    async with db.unit_of_work() as uow:
        (watched,) = await uow.broadcasts.unfinished_reports()
        assert (watched.report_chat_id, watched.report_message_id) == (9001, 77)
        assert watched.report_language == "vi"
        await uow.broadcasts.reported(created.id, "shown", T0)
        await uow.commit()
    async with db.unit_of_work() as uow:
        assert await uow.broadcasts.unfinished_reports() == []
        stored = await uow.broadcasts.get(created.id)
    assert stored is not None
    assert (stored.reported, stored.finished_at) == ("shown", T0)


async def test_a_head_made_viewer_can_no_longer_make_a_group_follow_or_stop_following(
    db: Database,
) -> None:
    head = Actor(1)
    assert await subs.subscribe(
        db.unit_of_work, -7, "Hà Mòn", "group", "dak-ha-ha-mon", head, T0, TREE
    )
    async with db.unit_of_work() as uow:
        await uow.people.add_membership(1, "dak-ha-ha-mon", Role.VIEWER)
        await uow.commit()

    with pytest.raises(NotAllowedError):
        await subs.subscribe(
            db.unit_of_work, -8, "Hà Mòn 2", "group", "dak-ha-ha-mon", head, T0, TREE
        )
    with pytest.raises(NotAllowedError):
        await subs.unsubscribe(db.unit_of_work, -7, "dak-ha-ha-mon", head, TREE)
    with pytest.raises(subs.PrivateChatError):
        await subs.subscribe(db.unit_of_work, 1, "", "private", "dak-ha-ha-mon", ADMIN, T0, TREE)
    assert await subs.subscriptions(db.unit_of_work, -7) == ["dak-ha-ha-mon"]
    assert await subs.subscriptions(db.unit_of_work, -8) == []
    assert await subs.subscriptions(db.unit_of_work, 1) == []

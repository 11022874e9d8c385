"""In a group, /status is about the unit the group follows, not the asker's own unit; a person
whose unit has no units below it is not told about "the units below it"."""

from __future__ import annotations

from kpi.access import Role
from services import subscriptions as subs
from tests.e2e.bot.conftest import ADMIN, BotDriver

HEAD = 5301  # head of Đăk Glei
COMMUNE = 5302  # head of a commune (no units below it)


async def test_a_groups_status_shows_the_unit_the_group_follows(bot: BotDriver) -> None:
    await bot.make_admin(ADMIN)
    await bot.make_member(HEAD, "dak-glei", Role.HEAD, name="Thủ trưởng")
    group = await bot.control.create_group("Tổ công tác Đăk Glei", [ADMIN, HEAD])
    await bot.ask(HEAD, "/subscribe", chat_id=group, expect="Đăk Glei")
    assert await subs.subscriptions(bot.database.unit_of_work, group) == ["dak-glei"]

    answer = await bot.ask(ADMIN, "/status", chat_id=group, expect="📊")
    assert answer["text"].startswith("📊 Huyện Đăk Glei\n")  # not the administrator's province

    private = await bot.ask(ADMIN, "/status", expect="📊")
    assert private["text"].startswith("📊 Tỉnh Kon Tum\n")


async def test_a_commune_head_is_not_told_of_units_below_theirs(bot: BotDriver) -> None:
    await bot.make_member(COMMUNE, "dak-blo", Role.HEAD, name="Y Hoa")
    refused = await bot.ask(COMMUNE, "/status so-y-te", expect="không thuộc phạm vi")
    assert "trực thuộc" not in refused["text"]
    assert refused["text"].endswith("chỉ xem được đơn vị của mình.")

"""People and their memberships, on each backend."""

from __future__ import annotations

import pytest

from kpi.access import Membership, Person, Role
from kpi.errors import UnknownUnitError
from storage import Database
from tests.integration.builders import tree

LAN = 5_000_000_001  # Telegram ids exceed 32 bits
BINH = 5_000_000_002
CUONG = 42


async def people(database: Database) -> None:
    """Three people: Lan heads Đăk Hà and views Sa Thầy, Bình is in Hà Mòn, Cường is admin."""
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())
        for telegram_id, name in ((LAN, "Lan"), (BINH, "Bình"), (CUONG, "Cường")):
            await uow.people.upsert(telegram_id, name)
        await uow.people.add_membership(LAN, "sa-thay", Role.VIEWER)
        await uow.people.add_membership(LAN, "dak-ha", Role.HEAD)
        await uow.people.add_membership(BINH, "dak-ha-ha-mon", Role.MEMBER)
        await uow.people.set_admin(CUONG, True)
        await uow.commit()


async def test_a_stranger_is_not_found(database: Database) -> None:
    async with database.unit_of_work() as uow:
        assert await uow.people.get(LAN) is None


async def test_a_new_person_is_active_unmuted_and_follows_telegrams_language(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        created = await uow.people.upsert(LAN, "Nguyễn Thị Lan")
        await uow.commit()
    async with database.unit_of_work() as uow:
        stored = await uow.people.get(LAN)

    assert created == stored == Person(LAN, "Nguyễn Thị Lan")
    assert stored is not None
    assert not stored.is_known


async def test_upserting_a_known_person_refreshes_only_the_name(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())
        await uow.people.upsert(LAN, "Lan")
        await uow.people.set_language(LAN, "en")
        await uow.people.add_membership(LAN, "dak-ha", Role.HEAD)
        refreshed = await uow.people.upsert(LAN, "Nguyễn Thị Lan")
        await uow.commit()

    assert refreshed == Person(
        LAN, "Nguyễn Thị Lan", "en", memberships=(Membership("dak-ha", Role.HEAD),)
    )


async def test_memberships_come_back_ordered_by_unit_code(database: Database) -> None:
    await people(database)
    async with database.unit_of_work() as uow:
        lan = await uow.people.get(LAN)

    assert lan is not None
    assert lan.memberships == (
        Membership("dak-ha", Role.HEAD),
        Membership("sa-thay", Role.VIEWER),
    )
    assert lan.home_unit() == "dak-ha"


async def test_a_second_membership_of_the_same_unit_replaces_the_role(database: Database) -> None:
    await people(database)
    async with database.unit_of_work() as uow:
        await uow.people.add_membership(LAN, "sa-thay", Role.MEMBER)
        await uow.commit()
    async with database.unit_of_work() as uow:
        lan = await uow.people.get(LAN)

    assert lan is not None
    assert lan.memberships[1] == Membership("sa-thay", Role.MEMBER)


async def test_flags_and_language_are_kept(database: Database) -> None:
    await people(database)
    async with database.unit_of_work() as uow:
        await uow.people.set_language(BINH, "vi")
        await uow.people.set_muted(BINH, True)
        await uow.people.set_active(BINH, False)
        await uow.commit()
    async with database.unit_of_work() as uow:
        binh = await uow.people.get(BINH)
        await uow.people.set_language(BINH, None)
        follows_telegram = await uow.people.get(BINH)

    assert binh is not None
    assert (binh.language, binh.muted, binh.active, binh.is_admin) == ("vi", True, False, False)
    assert follows_telegram is not None
    assert follows_telegram.language is None


async def test_changing_a_stranger_is_an_error(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())
        with pytest.raises(LookupError, match=str(LAN)):
            await uow.people.set_admin(LAN, True)
        with pytest.raises(LookupError, match=str(LAN)):
            await uow.people.add_membership(LAN, "dak-ha", Role.HEAD)


async def test_a_membership_of_an_unknown_unit_is_refused(database: Database) -> None:
    await people(database)
    async with database.unit_of_work() as uow:
        with pytest.raises(UnknownUnitError):
            await uow.people.add_membership(LAN, "atlantis", Role.HEAD)


async def test_members_of_units_are_everyone_bound_to_one_of_them_with_all_memberships(
    database: Database,
) -> None:
    await people(database)
    async with database.unit_of_work() as uow:
        of_sa_thay_and_ha_mon = await uow.people.members_of(["sa-thay", "dak-ha-ha-mon"])
        of_justice = await uow.people.members_of(["so-tu-phap", "atlantis"])
        of_nothing = await uow.people.members_of([])

    assert [p.telegram_id for p in of_sa_thay_and_ha_mon] == [LAN, BINH]
    assert len(of_sa_thay_and_ha_mon[0].memberships) == 2
    assert of_justice == of_nothing == []


async def test_admins_are_listed_with_their_memberships(database: Database) -> None:
    await people(database)
    async with database.unit_of_work() as uow:
        await uow.people.set_admin(LAN, True)
        admins = await uow.people.admins()

    assert [p.telegram_id for p in admins] == [CUONG, LAN]
    assert admins[0] == Person(CUONG, "Cường", is_admin=True)
    assert admins[1].memberships[0].unit == "dak-ha"

"""Alert states and the schedule log on each backend; the scheduler's leadership on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kpi.alerts import AlertState, Scope
from kpi.attainment import Status
from kpi.text import LocalText
from kpi.units import Unit, build_tree
from storage import Database
from storage.leader import LocalLeader, PostgresLeader, leader_for

NOW = datetime(2022, 3, 10, 1, 0, tzinfo=UTC)


async def with_units(database: Database) -> None:
    tree = build_tree(
        [
            Unit("kon-tum", "province", LocalText("Tỉnh Kon Tum", "Kon Tum")),
            Unit("dak-ha", "district", LocalText("Huyện Đăk Hà", "Dak Ha"), "kon-tum"),
        ]
    )
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree)
        await uow.commit()


async def test_alert_states_are_stored_replaced_and_read_back_by_unit(database: Database) -> None:
    await with_units(database)
    below = AlertState("dak-ha", "III.2", Scope.QUARTER, "2022-Q1", Status.BELOW_TARGET, NOW)
    met = AlertState(
        "kon-tum", "V.1/commune", Scope.YEAR, "2022", Status.MET, NOW, Status.MET, NOW
    )
    async with database.unit_of_work() as uow:
        await uow.alerts.save([below, met])
        await uow.commit()
    told = AlertState(
        "dak-ha",
        "III.2",
        Scope.QUARTER,
        "2022-Q1",
        Status.BELOW_FLOOR,
        NOW + timedelta(days=1),
        Status.BELOW_FLOOR,
        NOW + timedelta(days=1),
    )
    async with database.unit_of_work() as uow:
        await uow.alerts.save([told])
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.alerts.states(["dak-ha"]) == [told]
        assert sorted(await uow.alerts.states(), key=lambda s: s.unit) == [told, met]
        assert await uow.alerts.states([]) == []


async def test_many_states_are_saved_at_once(database: Database) -> None:
    await with_units(database)
    states = [
        AlertState("dak-ha", f"L{i}", Scope.QUARTER, "2022-Q1", Status.MET, NOW)
        for i in range(1200)
    ]
    async with database.unit_of_work() as uow:
        await uow.alerts.save(states)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert len(await uow.alerts.states(["dak-ha"])) == 1200


async def test_a_fire_time_is_claimed_once(database: Database) -> None:
    async with database.unit_of_work() as uow:
        assert await uow.schedule.claim("reminders:2022-Q1:district:-7", NOW, NOW)
        assert not await uow.schedule.claim("reminders:2022-Q1:district:-7", NOW, NOW)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert not await uow.schedule.claim("reminders:2022-Q1:district:-7", NOW, NOW)
        assert await uow.schedule.claim("reminders:2022-Q1:district:-3", NOW, NOW)


async def test_one_process_leads_until_it_lets_go(database: Database, database_url: str) -> None:
    leader = leader_for(database.engine)
    if isinstance(leader, LocalLeader):
        assert await leader.acquire()
        assert await leader.holds()
        return
    other_engine = Database.connect(database_url)  # another process's engine
    try:
        other = PostgresLeader(other_engine.engine)
        assert await leader.acquire()
        assert await leader.holds()
        assert not await other.acquire()
        await leader.release()
        assert not await leader.holds()
        assert await other.acquire()
        await other.release()
    finally:
        await other_engine.dispose()


@pytest.mark.parametrize("name", ["reminders:2022-Q1:commune:+3"])
async def test_claims_keep_their_time_zone(database: Database, name: str) -> None:
    local = NOW.astimezone(datetime.now().astimezone().tzinfo)
    async with database.unit_of_work() as uow:
        assert await uow.schedule.claim(name, local, NOW)
        assert not await uow.schedule.claim(name, NOW, NOW)  # the same moment in UTC

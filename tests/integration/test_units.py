"""Syncing the unit tree: add, update, deactivate, and never lose figures."""

from __future__ import annotations

import dataclasses

from sqlalchemy import event, select

from kpi.text import LocalText
from services.ports import UnitSync
from storage import Database
from storage.naive import naive_subtree_values
from storage.sql import UnitIds
from storage.tables import unit_table
from tests.integration.builders import (
    DAK_HA,
    DAK_MAR,
    HA_MON,
    JUSTICE,
    MARCH,
    PROVINCE,
    RECEIVED,
    SA_BINH,
    SA_THAY,
    revision,
    tree,
)


async def _stored(database: Database) -> dict[str, tuple[object, ...]]:
    c = unit_table.c
    async with database.unit_of_work() as uow:
        connection = await uow.session.connection()
        rows = await connection.execute(
            select(c.code, c.name_vi, c.parent_id, c.lft, c.rgt, c.active, c.id)
        )
        return {row[0]: tuple(row[1:]) for row in rows.tuples()}


async def test_a_first_sync_adds_every_unit_with_its_place_in_the_tree(database: Database) -> None:
    async with database.unit_of_work() as uow:
        result = await uow.units.sync(tree())
        await uow.commit()

    stored = await _stored(database)
    assert result == UnitSync(added=7, updated=0, deactivated=0)
    assert set(stored) == {u.code for u in tree()}
    province_id = stored["kon-tum"][5]
    assert stored["dak-ha"][1] == province_id
    assert stored["kon-tum"][2:4] == (0, 7)
    assert tree().interval("dak-ha") == stored["dak-ha"][2:4]


async def test_syncing_the_same_tree_again_changes_nothing(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())
        again = await uow.units.sync(tree())

    assert again == UnitSync(added=0, updated=0, deactivated=0)


async def test_a_rename_and_a_move_are_updates_and_keep_the_units_figures(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())
        await uow.figures.add_revision(revision(HA_MON.code, RECEIVED.code, MARCH, 40))
        await uow.commit()
    before = await _stored(database)
    renamed = dataclasses.replace(JUSTICE, name=LocalText(vi="Sở Tư pháp tỉnh", en="Justice"))
    moved = dataclasses.replace(HA_MON, parent=SA_THAY.code)

    async with database.unit_of_work() as uow:
        result = await uow.units.sync(
            tree(PROVINCE, renamed, DAK_HA, moved, DAK_MAR, SA_THAY, SA_BINH)
        )
        await uow.commit()

    after = await _stored(database)
    assert result == UnitSync(added=0, updated=2, deactivated=0)
    assert after[JUSTICE.code][0] == "Sở Tư pháp tỉnh"
    assert after[HA_MON.code][1] == after[SA_THAY.code][5]
    assert after[HA_MON.code][5] == before[HA_MON.code][5]
    async with database.unit_of_work() as uow:
        assert await uow.figures.current(HA_MON.code, RECEIVED.code, MARCH) == 40
        assert await naive_subtree_values(uow, SA_THAY.code, MARCH) == {RECEIVED.code: 40}
        assert await naive_subtree_values(uow, DAK_HA.code, MARCH) == {}


async def test_a_unit_left_out_of_the_tree_is_deactivated_not_deleted(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())
        await uow.figures.add_revision(revision(SA_BINH.code, RECEIVED.code, MARCH, 7))
        await uow.commit()

    async with database.unit_of_work() as uow:
        result = await uow.units.sync(tree(PROVINCE, JUSTICE, DAK_HA, HA_MON, DAK_MAR, SA_THAY))
        await uow.commit()

    async with database.unit_of_work() as uow:
        codes = await uow.units.codes()
        kept = await uow.figures.current(SA_BINH.code, RECEIVED.code, MARCH)
        province = await naive_subtree_values(uow, PROVINCE.code, MARCH)
        figures = await uow.figures.current_figures(2022)
    assert result == UnitSync(added=0, updated=0, deactivated=1)
    assert SA_BINH.code not in codes
    assert kept == 7
    assert province == {}
    assert [f.unit for f in figures] == [SA_BINH.code]


async def test_a_deactivated_unit_that_comes_back_is_reactivated(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())
        await uow.units.sync(tree(PROVINCE, JUSTICE, DAK_HA, HA_MON, DAK_MAR, SA_THAY))
        back = await uow.units.sync(tree())
        codes = await uow.units.codes()

    assert back == UnitSync(added=0, updated=1, deactivated=0)
    assert SA_BINH.code in codes


async def test_a_new_unit_under_an_existing_one_is_added(database: Database) -> None:
    new = dataclasses.replace(SA_BINH, code="sa-thay-ro-koi", name=LocalText.same("Xã Rờ Kơi"))
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())
        result = await uow.units.sync(tree(*tree().units, new))
        await uow.figures.add_revision(revision(new.code, RECEIVED.code, MARCH, 3))
        await uow.figures.add_revision(revision(SA_BINH.code, RECEIVED.code, MARCH, 4))
        district = await naive_subtree_values(uow, SA_THAY.code, MARCH)

    assert result == UnitSync(added=1, updated=0, deactivated=0)
    assert district == {RECEIVED.code: 7}


async def test_units_another_process_adds_are_seen_by_the_next_unit_of_work(
    database: Database, database_url: str
) -> None:
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())
        await uow.commit()
    new = dataclasses.replace(SA_BINH, code="sa-thay-ro-koi", name=LocalText.same("Xã Rờ Kơi"))
    async with database.unit_of_work() as uow:  # fills this process's cache of ids
        assert new.code not in await UnitIds(uow.session, database.unit_ids).all()
    other = Database.connect(database_url)  # another process's engine and cache
    try:
        async with other.unit_of_work() as uow:
            await uow.units.sync(tree(*tree(), new))
            await uow.commit()
    finally:
        await other.dispose()

    async with database.unit_of_work() as uow:
        assert new.code in await UnitIds(uow.session, database.unit_ids).all()


async def test_the_ids_are_checked_against_the_table_once_per_unit_of_work(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())
        await uow.commit()
    checks: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "max(unit.id)" in statement:
            checks.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with database.unit_of_work() as uow:
            for _ in range(3):
                assert await uow.figures.totals_of_units(None, MARCH) == {}
        async with database.unit_of_work() as uow:
            assert await uow.figures.totals_of_units(None, MARCH) == {}
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", count)
    assert len(checks) == 2

"""Totals: added to incrementally, read for one unit or many, rebuilt for a year."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from kpi.aggregate import Total, TotalKey
from kpi.errors import UnknownUnitError
from kpi.periods import Period
from storage import Database
from storage.tables import current_table, revision_table, total_table
from tests.integration.builders import (
    DAK_HA,
    DAK_MAR,
    E_CERT,
    HA_MON,
    MARCH,
    ONLINE,
    PROVINCE,
    Q1,
    RECEIVED,
    SA_BINH,
    tree,
)

COMMUNE = "commune"


@pytest.fixture
async def units(database: Database) -> Database:
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())
        await uow.commit()
    return database


async def test_adding_to_totals_creates_the_missing_ones_and_adds_to_the_others(
    units: Database,
) -> None:
    key = (DAK_HA.code, MARCH.key, RECEIVED.code, COMMUNE)
    async with units.unit_of_work() as uow:
        await uow.figures.add_to_totals([(key, Total(40, 1))])
        await uow.commit()

    async with units.unit_of_work() as uow:
        await uow.figures.add_to_totals(
            [
                (key, Total(25, 1)),
                ((DAK_HA.code, MARCH.key, ONLINE.code, COMMUNE), Total(9, 1)),
                (key, Total(-5, 0)),
            ]
        )
        await uow.commit()

    async with units.unit_of_work() as uow:
        totals = await uow.figures.totals(DAK_HA.code, MARCH)
    assert totals == {
        (RECEIVED.code, COMMUNE): Total(60, 2),
        (ONLINE.code, COMMUNE): Total(9, 1),
    }


async def test_totals_are_kept_per_period_and_per_contributing_level(units: Database) -> None:
    async with units.unit_of_work() as uow:
        await uow.figures.add_to_totals(
            [
                ((PROVINCE.code, MARCH.key, RECEIVED.code, "commune"), Total(70, 2)),
                ((PROVINCE.code, MARCH.key, RECEIVED.code, "district"), Total(5, 1)),
                ((PROVINCE.code, Q1.key, RECEIVED.code, "commune"), Total(200, 2)),
            ]
        )
        march = await uow.figures.totals(PROVINCE.code, MARCH)
        quarter = await uow.figures.totals(PROVINCE.code, Q1)
        february = await uow.figures.totals(PROVINCE.code, Period.month(2022, 2))

    assert march == {
        (RECEIVED.code, "commune"): Total(70, 2),
        (RECEIVED.code, "district"): Total(5, 1),
    }
    assert quarter == {(RECEIVED.code, "commune"): Total(200, 2)}
    assert february == {}


async def test_totals_read_in_autocommit_are_those_read_in_a_transaction(units: Database) -> None:
    async with units.unit_of_work() as uow:
        await uow.figures.add_to_totals(
            [
                ((PROVINCE.code, MARCH.key, RECEIVED.code, "commune"), Total(70, 2)),
                ((PROVINCE.code, MARCH.key, RECEIVED.code, "district"), Total(5, 1)),
                ((PROVINCE.code, MARCH.key, ONLINE.code, "commune"), Total(0, 0)),
            ]
        )
        await uow.commit()
    async with units.unit_of_work() as uow:
        in_transaction = await uow.figures.totals(PROVINCE.code, MARCH)

    async with units.autocommit() as uow:
        assert await uow.figures.totals(PROVINCE.code, MARCH) == in_transaction
        assert await uow.figures.totals(PROVINCE.code, Q1) == {}
    assert in_transaction == {
        (RECEIVED.code, "commune"): Total(70, 2),
        (RECEIVED.code, "district"): Total(5, 1),
    }


async def test_a_total_that_nobody_contributes_to_any_more_is_not_read_back(
    units: Database,
) -> None:
    key = (HA_MON.code, MARCH.key, E_CERT.code, COMMUNE)
    async with units.unit_of_work() as uow:
        await uow.figures.add_to_totals([(key, Total(1, 1))])
        await uow.figures.add_to_totals([(key, Total(-1, -1))])
        totals = await uow.figures.totals(HA_MON.code, MARCH)

    assert totals == {}


async def test_totals_of_many_units_are_read_for_one_period(units: Database) -> None:
    changes: list[tuple[TotalKey, Total]] = [
        ((HA_MON.code, MARCH.key, RECEIVED.code, COMMUNE), Total(40, 1)),
        ((DAK_MAR.code, MARCH.key, RECEIVED.code, COMMUNE), Total(30, 1)),
        ((DAK_HA.code, MARCH.key, RECEIVED.code, COMMUNE), Total(70, 2)),
        ((DAK_HA.code, Q1.key, RECEIVED.code, COMMUNE), Total(99, 2)),
    ]
    async with units.unit_of_work() as uow:
        await uow.figures.add_to_totals(changes)
        every = await uow.figures.totals_of_units(None, MARCH)
        some = await uow.figures.totals_of_units([DAK_HA.code, SA_BINH.code], MARCH)

    assert every == {
        HA_MON.code: {(RECEIVED.code, COMMUNE): Total(40, 1)},
        DAK_MAR.code: {(RECEIVED.code, COMMUNE): Total(30, 1)},
        DAK_HA.code: {(RECEIVED.code, COMMUNE): Total(70, 2)},
    }
    assert some == {DAK_HA.code: {(RECEIVED.code, COMMUNE): Total(70, 2)}, SA_BINH.code: {}}


async def test_totals_of_several_periods_are_those_read_one_period_at_a_time(
    units: Database,
) -> None:
    year = Period.whole_year(2022)
    changes: list[tuple[TotalKey, Total]] = [
        ((DAK_HA.code, MARCH.key, RECEIVED.code, COMMUNE), Total(70, 2)),
        ((DAK_HA.code, MARCH.key, RECEIVED.code, "district"), Total(5, 1)),
        ((DAK_HA.code, Q1.key, RECEIVED.code, COMMUNE), Total(99, 2)),
        ((DAK_HA.code, Q1.key, ONLINE.code, COMMUNE), Total(0, 0)),
        ((HA_MON.code, MARCH.key, RECEIVED.code, COMMUNE), Total(40, 1)),
    ]
    async with units.unit_of_work() as uow:
        await uow.figures.add_to_totals(changes)
        together = await uow.figures.totals_of_periods(DAK_HA.code, [MARCH, Q1, year])
        one_by_one = {p: await uow.figures.totals(DAK_HA.code, p) for p in (MARCH, Q1, year)}
        none = await uow.figures.totals_of_periods(DAK_HA.code, [])

    assert together == one_by_one
    assert together[MARCH] == {
        (RECEIVED.code, COMMUNE): Total(70, 2),
        (RECEIVED.code, "district"): Total(5, 1),
    }
    assert together[year] == {}
    assert none == {}


async def test_totals_of_an_unknown_unit_are_an_error(units: Database) -> None:
    async with units.unit_of_work() as uow:
        with pytest.raises(UnknownUnitError):
            await uow.figures.totals_of_units(["atlantis"], MARCH)
        with pytest.raises(UnknownUnitError):
            await uow.figures.add_to_totals(
                [(("atlantis", MARCH.key, RECEIVED.code, COMMUNE), Total(1, 1))]
            )


async def test_replacing_a_years_totals_drops_the_old_ones_and_keeps_other_years(
    units: Database,
) -> None:
    next_year = Period.month(2023, 3)
    async with units.unit_of_work() as uow:
        await uow.figures.add_to_totals(
            [
                ((DAK_HA.code, MARCH.key, RECEIVED.code, COMMUNE), Total(1, 1)),
                ((DAK_HA.code, Q1.key, ONLINE.code, COMMUNE), Total(2, 1)),
                ((DAK_HA.code, next_year.key, RECEIVED.code, COMMUNE), Total(3, 1)),
            ]
        )
        await uow.figures.replace_totals(
            2022,
            iter([((DAK_HA.code, MARCH.key, RECEIVED.code, COMMUNE), Total(70, 2))]),
        )
        await uow.commit()

    async with units.unit_of_work() as uow:
        march = await uow.figures.totals(DAK_HA.code, MARCH)
        quarter = await uow.figures.totals(DAK_HA.code, Q1)
        later = await uow.figures.totals(DAK_HA.code, next_year)

    assert march == {(RECEIVED.code, COMMUNE): Total(70, 2)}
    assert quarter == {}
    assert later == {(RECEIVED.code, COMMUNE): Total(3, 1)}


async def test_many_units_and_many_totals_are_stored_and_read_back(database: Database) -> None:
    from tests.integration.builders import unit

    communes = [unit(f"xa-{i:05d}", COMMUNE, f"Xã {i}", "tinh") for i in range(6_000)]
    big_tree = tree(unit("tinh", "province", "Tỉnh"), *communes)
    elements = [f"e{j:02d}" for j in range(5)]
    totals = [
        ((c.code, MARCH.key, e, COMMUNE), Total(i * 10 + j, 1))
        for i, c in enumerate(communes)
        for j, e in enumerate(elements)
    ]
    async with database.unit_of_work() as uow:
        await uow.units.sync(big_tree)
        await uow.figures.replace_totals(2022, totals)
        await uow.commit()

    async with database.unit_of_work() as uow:
        every = await uow.figures.totals_of_units(None, MARCH)
        asked = await uow.figures.totals_of_units([c.code for c in communes], MARCH)

    assert len(every) == 6_000
    assert every == asked
    assert sum(len(t) for t in every.values()) == 30_000
    assert every["xa-00042"][("e03", COMMUNE)] == Total(423, 1)


async def clear_figures(database: Database) -> None:
    """Empty the figure tables (between Hypothesis examples sharing one database)."""
    async with database.unit_of_work() as uow:
        connection = await uow.session.connection()
        for table in (total_table, current_table, revision_table):
            await connection.execute(delete(table))
        await uow.commit()

"""Figures: revisions, the current value, history."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from kpi.aggregate import Figure
from kpi.errors import UnknownUnitError
from kpi.periods import Period
from kpi.revisions import Revision, Source
from storage import Database
from storage.tables import current_table, revision_table, unit_table
from tests.integration.builders import (
    ALICE,
    BOB,
    DAK_HA,
    HA_MON,
    MARCH,
    ONLINE,
    Q1,
    RECEIVED,
    SA_BINH,
    T0,
    revision,
    tree,
)


@pytest.fixture
async def units(database: Database) -> Database:
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())
        await uow.commit()
    return database


async def test_a_first_revision_becomes_current_with_number_one(units: Database) -> None:
    async with units.unit_of_work() as uow:
        [stored] = await uow.figures.add_revisions(
            [revision(HA_MON.code, RECEIVED.code, MARCH, 120)]
        )
        await uow.commit()

    async with units.unit_of_work() as uow:
        current = await uow.figures.current(HA_MON.code, RECEIVED.code, MARCH)
    assert (stored.number, stored.previous) == (1, None)
    assert current == 120


async def test_a_correction_becomes_current_and_keeps_the_value_it_replaced(
    units: Database,
) -> None:
    async with units.unit_of_work() as uow:
        await uow.figures.add_revisions([revision(HA_MON.code, RECEIVED.code, MARCH, 120)])
        [second] = await uow.figures.add_revisions(
            [revision(HA_MON.code, RECEIVED.code, MARCH, 125, minutes=5, reason="typo")]
        )
        [third] = await uow.figures.add_revisions(
            [revision(HA_MON.code, RECEIVED.code, MARCH, 126, minutes=9)]
        )
        await uow.commit()

    async with units.unit_of_work() as uow:
        current = await uow.figures.current(HA_MON.code, RECEIVED.code, MARCH)
        history = await uow.figures.history([HA_MON.code])
    assert (second.number, second.previous) == (2, 120)
    assert (third.number, third.previous) == (3, 125)
    assert current == 126
    assert [(r.value, r.number, r.previous) for r in history] == [
        (126, 3, 125),
        (125, 2, 120),
        (120, 1, None),
    ]


async def test_history_is_newest_first_with_author_source_reason_and_utc_time(
    units: Database,
) -> None:
    async with units.unit_of_work() as uow:
        await uow.figures.add_revisions(
            [
                revision(HA_MON.code, RECEIVED.code, MARCH, 10),
                revision(
                    SA_BINH.code,
                    ONLINE.code,
                    Q1,
                    4,
                    minutes=30,
                    author=BOB,
                    source=Source.IMPORT,
                    reason="Báo cáo quý I",
                ),
            ]
        )
        await uow.commit()

    async with units.unit_of_work() as uow:
        history = await uow.figures.history([HA_MON.code, SA_BINH.code])

    newest = history[0]
    assert newest == Revision(
        unit=SA_BINH.code,
        element=ONLINE.code,
        period=Q1,
        value=4,
        author=BOB,
        source=Source.IMPORT,
        at=datetime(2022, 3, 10, 3, 0, tzinfo=UTC),
        reason="Báo cáo quý I",
        number=1,
        previous=None,
    )
    assert newest.at.utcoffset() is not None
    assert history[1].at == T0
    assert history[1].reason is None


async def test_history_is_filtered_by_unit_element_and_period_and_limited(
    units: Database,
) -> None:
    async with units.unit_of_work() as uow:
        for minute, value in enumerate(range(5)):
            await uow.figures.add_revisions(
                [revision(HA_MON.code, RECEIVED.code, MARCH, value, minutes=minute)]
            )
        await uow.figures.add_revisions(
            [
                revision(HA_MON.code, ONLINE.code, MARCH, 1, minutes=7),
                revision(HA_MON.code, RECEIVED.code, Q1, 9, minutes=8),
                revision(DAK_HA.code, RECEIVED.code, MARCH, 2, minutes=9),
            ]
        )

        limited = await uow.figures.history([HA_MON.code], element=RECEIVED.code, limit=2)
        by_period = await uow.figures.history([HA_MON.code], period=Q1)
        none = await uow.figures.history([])

    assert [r.value for r in limited] == [9, 4]
    assert [(r.element, r.period) for r in by_period] == [(RECEIVED.code, Q1)]
    assert none == []


async def test_series_lists_the_current_values_of_a_year_in_period_order(
    units: Database,
) -> None:
    async with units.unit_of_work() as uow:
        await uow.figures.add_revisions([revision(HA_MON.code, RECEIVED.code, Q1, 30)])
        await uow.figures.add_revisions([revision(HA_MON.code, RECEIVED.code, MARCH, 10)])
        await uow.figures.add_revisions([revision(HA_MON.code, RECEIVED.code, MARCH, 11)])
        await uow.figures.add_revisions(
            [revision(HA_MON.code, RECEIVED.code, Period.month(2023, 1), 5)]
        )

        series = await uow.figures.series(HA_MON.code, RECEIVED.code, 2022)
        figures = await uow.figures.current_figures(2022)
        every = await uow.figures.current_figures()

    assert series == [(Q1, 30), (MARCH, 11)]
    assert sorted(figures, key=lambda f: f.period) == [
        Figure(HA_MON.code, RECEIVED.code, Q1, 30),
        Figure(HA_MON.code, RECEIVED.code, MARCH, 11),
    ]
    assert len(every) == 3


async def test_values_beyond_32_bits_are_kept_exactly(units: Database) -> None:
    big = 12_345_678_901_234
    async with units.unit_of_work() as uow:
        await uow.figures.add_revisions([revision(HA_MON.code, RECEIVED.code, MARCH, big)])
        [stored] = await uow.figures.add_revisions(
            [revision(HA_MON.code, RECEIVED.code, MARCH, big + 1)]
        )
        current = await uow.figures.current(HA_MON.code, RECEIVED.code, MARCH)

    assert stored.previous == big
    assert current == big + 1


async def test_a_figure_of_an_unknown_unit_is_refused(units: Database) -> None:
    async with units.unit_of_work() as uow:
        with pytest.raises(UnknownUnitError):
            await uow.figures.add_revisions([revision("atlantis", RECEIVED.code, MARCH, 1)])


async def test_a_revision_time_without_a_time_zone_is_refused(units: Database) -> None:
    naive = dataclasses.replace(
        revision(HA_MON.code, RECEIVED.code, MARCH, 1),
        at=datetime(2022, 3, 1, 8, 0),  # noqa: DTZ001 - the mistake under test
    )
    async with units.unit_of_work() as uow:
        with pytest.raises(ValueError, match="time-zone aware"):
            await uow.figures.add_revisions([naive])


async def test_series_of_and_current_of_read_several_elements_at_once(units: Database) -> None:
    async with units.unit_of_work() as uow:
        await uow.figures.add_revisions(
            [
                revision(HA_MON.code, RECEIVED.code, Q1, 30),
                revision(HA_MON.code, RECEIVED.code, MARCH, 10),
                revision(HA_MON.code, ONLINE.code, MARCH, 4),
                revision(DAK_HA.code, RECEIVED.code, MARCH, 99),
                revision(HA_MON.code, ONLINE.code, Period.month(2023, 3), 7),
            ]
        )

        many = await uow.figures.series_of(HA_MON.code, [RECEIVED.code, ONLINE.code, "x"], 2022)
        one_by_one = {
            code: await uow.figures.series(HA_MON.code, code, 2022)
            for code in (RECEIVED.code, ONLINE.code, "x")
        }
        none = await uow.figures.series_of(HA_MON.code, [], 2022)
        march = await uow.figures.current_of(HA_MON.code, MARCH)
        quarter = await uow.figures.current_of(HA_MON.code, Q1)
        empty = await uow.figures.current_of(SA_BINH.code, MARCH)

    assert (
        many
        == one_by_one
        == {
            RECEIVED.code: [(Q1, 30), (MARCH, 10)],
            ONLINE.code: [(MARCH, 4)],
            "x": [],
        }
    )
    assert none == {}
    assert march == {RECEIVED.code: 10, ONLINE.code: 4}
    assert quarter == {RECEIVED.code: 30}
    assert empty == {}


async def test_add_revisions_numbers_each_after_the_revisions_stored_before(
    units: Database,
) -> None:
    async with units.unit_of_work() as uow:
        await uow.figures.add_revisions([revision(HA_MON.code, RECEIVED.code, MARCH, 10)])
        await uow.figures.add_revisions([revision(HA_MON.code, RECEIVED.code, MARCH, 11)])
        stored = await uow.figures.add_revisions(
            [
                revision(HA_MON.code, RECEIVED.code, MARCH, 12, minutes=5, author=BOB),
                revision(HA_MON.code, ONLINE.code, MARCH, 3, minutes=5, author=BOB),
                revision(HA_MON.code, RECEIVED.code, Q1, 40, minutes=5, author=BOB),
            ]
        )
        none = await uow.figures.add_revisions([])
        await uow.commit()

    async with units.unit_of_work() as uow:
        current = await uow.figures.current_of(HA_MON.code, MARCH)
        history = await uow.figures.history([HA_MON.code], element=RECEIVED.code, period=MARCH)
        with pytest.raises(ValueError, match="at most once"):
            await uow.figures.add_revisions([revision(HA_MON.code, ONLINE.code, MARCH, 1)] * 2)

    assert [(r.element, r.period, r.value, r.number, r.previous) for r in stored] == [
        (RECEIVED.code, MARCH, 12, 3, 11),
        (ONLINE.code, MARCH, 3, 1, None),
        (RECEIVED.code, Q1, 40, 1, None),
    ]
    assert none == []
    assert current == {RECEIVED.code: 12, ONLINE.code: 3}
    assert [(r.value, r.number, r.author) for r in history] == [
        (12, 3, BOB),
        (11, 2, ALICE),
        (10, 1, ALICE),
    ]


async def test_add_revisions_stores_exactly_the_rows_sqlalchemy_stores(units: Database) -> None:
    # add_revisions hands tuples to the driver (an import's speed): the rows it stores, times
    # included, are the same text as those SQLAlchemy's own statements store, on either backend
    at = datetime(2022, 3, 20, 1, 2, 3, 4, tzinfo=UTC)
    given = revision(HA_MON.code, RECEIVED.code, MARCH, 12, reason="ghi chú")
    given = dataclasses.replace(given, at=at)
    async with units.unit_of_work() as uow:
        await uow.figures.add_revisions([given])
        await uow.commit()
    period = given.period
    async with units.engine.begin() as connection:
        sa_binh = await connection.scalar(
            select(unit_table.c.id).where(unit_table.c.code == SA_BINH.code)
        )
        written = {
            "unit_id": sa_binh,
            "element_code": given.element,
            "period_key": period.key,
            "year": period.year,
            "first_month": period.first,
            "last_month": period.last,
            "value": given.value,
        }
        revision_id = await connection.scalar(
            revision_table.insert()
            .values(
                **written,
                number=1,
                previous=None,
                author_id=given.author.id,
                author_name=given.author.name,
                source=given.source.value,
                reason=given.reason,
                created_at=at,
            )
            .returning(revision_table.c.id)
        )
        await connection.execute(
            current_table.insert().values(**written, revision_id=revision_id, updated_at=at)
        )

    def columns(table: str, names: str) -> str:
        return f"SELECT unit_id, {names} FROM {table} ORDER BY unit_id"

    async with units.engine.connect() as connection:
        revisions = (
            await connection.exec_driver_sql(
                columns(
                    "figure_revision",
                    "element_code, period_key, year, first_month, last_month, value, number,"
                    " previous, author_id, author_name, source, reason, CAST(created_at AS TEXT)",
                )
            )
        ).all()
        current = (
            await connection.exec_driver_sql(
                columns(
                    "figure_current",
                    "element_code, period_key, year, first_month, last_month, value,"
                    " CAST(updated_at AS TEXT)",
                )
            )
        ).all()

    assert len(revisions) == len(current) == 2
    assert revisions[0][1:] == revisions[1][1:]
    assert current[0][1:] == current[1][1:]
    assert revisions[0][-1] == current[0][-1]

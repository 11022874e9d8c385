"""Roadmaps in the database, and the year so far with its pace, on each backend."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy.exc import IntegrityError

from kpi.catalogue import Catalogue
from kpi.pace import Cadence, PaceStatus, RoadmapSetting
from kpi.periods import Period
from kpi.revisions import Author, Source
from services.catalogue_file import DEFAULT_CATALOGUE, load_catalogue
from services.figures import submit_figures
from services.roadmaps import RoadmapError, set_roadmap, unit_roadmaps
from services.status import sweep_year_to_date, year_to_date
from storage import Database
from storage.tables import roadmap_table
from tests.integration.builders import tree

T0 = datetime(2022, 6, 10, 3, 0, tzinfo=UTC)
CUSTOM = RoadmapSetting.custom(
    (3, 6, 9, 12), [Decimal(15), Decimal("20.5"), Decimal("22.25"), Decimal(25)]
)


@pytest.fixture(scope="module")
def kontum() -> Catalogue:
    return load_catalogue(DEFAULT_CATALOGUE)[0]


async def synced(database: Database, catalogue: Catalogue) -> None:
    async with database.unit_of_work() as uow:
        await uow.units.sync(catalogue.units)
        await uow.commit()


async def test_a_line_left_even_monthly_has_nothing_stored(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.roadmaps.of_unit("dak-ha", 2022) == {}
        assert await uow.roadmaps.of_units(None, 2022) == {}


async def test_custom_and_even_quarterly_roadmaps_come_back_exactly(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())
        store = uow.roadmaps
        await store.put("dak-ha", "III.2", 2022, CUSTOM, "tg:1", T0)
        await store.put("dak-ha", "V.1@commune", 2022, RoadmapSetting.even_quarterly(), "tg:1", T0)
        await store.put("sa-thay", "III.2", 2022, CUSTOM, "tg:2", T0)
        await store.put("sa-thay", "III.2", 2023, RoadmapSetting.even_quarterly(), "tg:2", T0)
        await uow.commit()

    async with database.unit_of_work() as uow:
        found = await uow.roadmaps.of_unit("dak-ha", 2022)
        everyone = await uow.roadmaps.of_units(None, 2022)
        some = await uow.roadmaps.of_units(["sa-thay"], 2023)

    assert found["III.2"] == CUSTOM
    assert found["III.2"].milestones[3] == (12, Fraction(1, 4))
    assert found["III.2"].milestones[2] == (9, Fraction(2225, 10_000))
    assert found["V.1@commune"].cadence is Cadence.QUARTERLY
    assert set(everyone) == {"dak-ha", "sa-thay"}
    assert some == {"sa-thay": {"III.2": RoadmapSetting.even_quarterly()}}


async def test_setting_a_line_again_replaces_it_and_even_monthly_removes_it(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())
        store = uow.roadmaps
        await store.put("dak-ha", "III.2", 2022, CUSTOM, "tg:1", T0)
        await store.put("dak-ha", "III.2", 2022, RoadmapSetting.even_quarterly(), "tg:1", T0)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert (await uow.roadmaps.of_unit("dak-ha", 2022))["III.2"].cadence is Cadence.QUARTERLY
        await uow.roadmaps.put("dak-ha", "III.2", 2022, RoadmapSetting(), "tg:1", T0)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.roadmaps.of_unit("dak-ha", 2022) == {}


async def test_the_table_refuses_a_milestone_beyond_100_percent(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())
        await uow.commit()
    async with database.unit_of_work() as uow:
        connection = await uow.session.connection()
        with pytest.raises(IntegrityError):
            await connection.execute(
                roadmap_table.insert().values(
                    unit_id=1,
                    line_key="III.2",
                    year=2022,
                    month=3,
                    expected_bp=10_001,
                    set_by="tg:1",
                    set_at=T0,
                )
            )


async def test_a_head_sets_a_roadmap_through_the_service_and_a_bad_one_is_refused(
    database: Database, kontum: Catalogue
) -> None:
    await synced(database, kontum)
    async with database.unit_of_work() as uow:
        await set_roadmap(uow, uow.roadmaps, kontum, "so-y-te", "III.2", CUSTOM, "tg:1", T0)
    async with database.unit_of_work() as uow:
        lines = {line.key: line for line in await unit_roadmaps(uow.roadmaps, kontum, "so-y-te")}
        short = RoadmapSetting.custom((3, 6, 9, 12), [Decimal(v) for v in (10, 20, 22, 24)])
        with pytest.raises(RoadmapError) as raised:
            await set_roadmap(uow, uow.roadmaps, kontum, "so-y-te", "III.2", short, "tg:1", T0)

    assert raised.value.reason == "below_target"
    assert lines["III.2"].setting == CUSTOM
    assert lines["III.2"].roadmap.due(5).rate == Fraction(15, 100)
    assert lines["V.1@department"].setting.cadence is Cadence.MONTHLY


async def test_the_year_so_far_judges_each_line_against_its_roadmap(
    database: Database, kontum: Catalogue
) -> None:
    await synced(database, kontum)
    for month, received, online in (
        ("2022-01", 400, 60),
        ("2022-02", 300, 45),
        ("2022-04", 300, 75),
    ):
        await submit_figures(
            database.unit_of_work,
            kontum,
            "so-y-te",
            Period.parse(month),
            {"dossiers_received": received, "dossiers_received_online": online},
            Author("tg:1", "Lan"),
            Source.CHAT,
            now=T0,
        )
    async with database.unit_of_work() as uow:
        store = uow.roadmaps
        before = await year_to_date(uow, store, kontum, "so-y-te", Period.parse("2022-06"))
        await set_roadmap(uow, store, kontum, "so-y-te", "III.2", CUSTOM, "tg:1", T0)
    async with database.unit_of_work() as uow:
        after = await year_to_date(uow, uow.roadmaps, kontum, "so-y-te", Period.parse("2022-06"))
        everyone = await sweep_year_to_date(uow, uow.roadmaps, kontum, Period.parse("2022-06"))

    # five months ended; 180 of 1,000 online (18 %): behind a flat 25 %, on pace for 15 % by Q1
    assert before.elapsed == 5
    assert before.paces["III.2"].status is PaceStatus.BEHIND
    assert after.paces["III.2"].status is PaceStatus.ON_PACE
    # the last quarter ended (Q1): 105 of 700 a quarter, i.e. 35 and 700/3 a month, 7 months more
    projected = after.paces["III.2"].projected_rate
    assert projected == Fraction(180 + 7 * 35, 1000 + Fraction(7 * 700, 3))
    assert everyone["so-y-te"].paces == after.paces
    assert everyone["kon-tum"].elapsed == 5

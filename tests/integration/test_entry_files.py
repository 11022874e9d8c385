"""A file of figures checked for the bot: the store read once per unit gives what the store
gives; the checks are the import's; a file changing another unit's figures is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from kpi.periods import Period
from kpi.revisions import Author, Source
from services.catalogue_file import DEFAULT_CATALOGUE
from services.catalogues import Catalogues, load_into_store
from services.entry import NotYourUnitsError, ReadOnce, check_file, save_file
from services.figures import submit_figures
from services.importing import ImportRejectedError
from storage import Database

NOVEMBER = Period.month(2022, 11)
NOVEMBER_END = datetime(2022, 11, 30, tzinfo=UTC)
AUTHOR = Author("cli:test", "Kiểm thử")


@pytest.fixture
async def catalogues(database: Database) -> Catalogues:
    await load_into_store(database.unit_of_work, DEFAULT_CATALOGUE)
    async with database.unit_of_work() as uow:
        loaded = await Catalogues.from_store(uow)
    await submit_figures(
        database.unit_of_work,
        loaded.newest,
        "dak-blo",
        NOVEMBER,
        {"dossiers_received": 1180, "dossiers_received_online": 200},
        AUTHOR,
        Source.CLI,
    )
    await submit_figures(
        database.unit_of_work,
        loaded.newest,
        "dak-blo",
        Period.month(2022, 10),
        {"dossiers_received": 900},
        AUTHOR,
        Source.CLI,
    )
    return loaded


async def test_the_store_read_once_per_unit_gives_what_the_store_gives(
    database: Database, catalogues: Catalogues
) -> None:
    codes = ["dossiers_received", "dossiers_received_online", "tthc_total"]
    async with database.unit_of_work() as uow:
        once = ReadOnce(uow, catalogues)
        for period in (NOVEMBER, Period.month(2022, 10), Period.quarter(2022, 4)):
            assert await once.figures.current_of("dak-blo", period) == (
                await uow.figures.current_of("dak-blo", period)
            )
        assert await once.figures.series_of("dak-blo", codes, 2022) == (
            await uow.figures.series_of("dak-blo", codes, 2022)
        )
        assert await once.figures.series_of("dak-choong", codes, 2022) == (
            await uow.figures.series_of("dak-choong", codes, 2022)
        )


async def test_a_file_is_checked_as_the_import_checks_it_and_saved_naming_it(
    database: Database, catalogues: Catalogues, tmp_path: Path
) -> None:
    path = tmp_path / "thang-11.csv"
    path.write_text(
        "unit,element,period,value\n"
        "dak-blo,dossiers_received,2022-11,1280\n"
        "dak-blo,dossiers_received_online,2022-11,200\n"
        "dak-choong,dossiers_received,2022-11,\n",
        encoding="utf-8",
    )
    async with database.autocommit() as uow:
        with pytest.raises(ImportRejectedError) as rejected:
            await check_file(uow, catalogues, path, tmp_path, lambda _unit: True)
    assert [e.row for e in rejected.value.errors] == [4]

    path.write_text(
        "unit,element,period,value\n"
        "dak-blo,dossiers_received,2022-11,1280\n"
        "dak-blo,dossiers_received_online,2022-11,200\n",
        encoding="utf-8",
    )
    async with database.autocommit() as uow:
        groups = await check_file(uow, catalogues, path, tmp_path, lambda u: u == "dak-blo")
    assert [(g.unit, g.period, g.old, g.changed) for g in groups] == [
        ("dak-blo", NOVEMBER, {"dossiers_received": 1180}, {"dossiers_received": 1280})
    ]
    async with database.unit_of_work() as uow:
        saved = await save_file(uow, catalogues, groups, AUTHOR, path.name, NOVEMBER_END)
        await uow.commit()
    assert [(r.element, r.value, r.source, r.reason) for r in saved.revisions] == [
        ("dossiers_received", 1280, Source.IMPORT, "thang-11.csv")
    ]


async def test_a_file_changing_another_units_figures_is_refused(
    database: Database, catalogues: Catalogues, tmp_path: Path
) -> None:
    path = tmp_path / "x.csv"
    path.write_text(
        "unit,element,period,value\n"
        "dak-blo,dossiers_received,2022-11,1180\n"  # as stored: let through
        "dak-choong,dossiers_received,2022-11,50\n",
        encoding="utf-8",
    )
    async with database.autocommit() as uow:
        with pytest.raises(NotYourUnitsError) as refused:
            await check_file(uow, catalogues, path, tmp_path, lambda u: u == "dak-blo")
    assert refused.value.units == ["dak-choong"]


async def test_a_figure_saved_after_the_check_stops_the_save(
    database: Database, catalogues: Catalogues, tmp_path: Path
) -> None:
    path = tmp_path / "x.csv"
    path.write_text("unit,element,period,value\ndak-blo,dossiers_received,2022-11,1280\n")
    async with database.autocommit() as uow:
        groups = await check_file(uow, catalogues, path, tmp_path, lambda _unit: True)
    await submit_figures(
        database.unit_of_work,
        catalogues.newest,
        "dak-blo",
        NOVEMBER,
        {"dossiers_received": 1250},
        AUTHOR,
        Source.CLI,
    )
    async with database.unit_of_work() as uow:
        saved = await save_file(uow, catalogues, groups, AUTHOR, path.name, NOVEMBER_END)
    assert saved.revisions == []
    assert saved.moved == [("dak-blo", NOVEMBER, "dossiers_received")]

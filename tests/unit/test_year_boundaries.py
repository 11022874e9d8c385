"""Catalogues of year N and N+1 side by side (issue 14, point 5): the bot goes by the one whose
year is now on the province clock, and by the period a person picks."""

from __future__ import annotations

from datetime import date

from kpi.periods import Period
from kpi.revisions import Author, Source
from services.catalogues import Catalogues, load_into_store
from services.figures import submit_figures
from services.status import status_rows, unit_status
from tests.conftest import CATALOGS
from tests.fakes import FakeState, FakeUnitOfWork

KONTUM = CATALOGS / "kontum-2022.yaml"
TWO_TIER = CATALOGS / "example-two-tier-2026.yaml"
ALICE = Author("cli:alice", "Alice")
Q1_2022 = Period.quarter(2022, 1)


async def test_the_four_level_2022_and_the_two_tier_2026_catalogues_live_side_by_side() -> None:
    state = FakeState()

    def uow() -> FakeUnitOfWork:
        return FakeUnitOfWork(state)

    await load_into_store(uow, KONTUM)
    async with uow() as u:
        kontum = (await Catalogues.from_store(u)).for_year(2022)
    figures = {"dossiers_received": 200, "dossiers_received_online": 60}
    await submit_figures(uow, kontum, "dak-blo", Period.month(2022, 2), figures, ALICE, Source.CLI)

    await load_into_store(uow, TWO_TIER)
    async with uow() as u:
        catalogues = await Catalogues.from_store(u)
    assert sorted(catalogues.by_year) == [2022, 2026]
    # by the clock: the catalogue whose year is now
    now = catalogues.current_month(date(2026, 5, 10))
    assert now == Period.month(2026, 5)
    assert catalogues.for_year(now.year).code == "example-two-tier-2026"
    assert "district" not in catalogues.for_year(now.year).units.level_order
    # by the period picked: 2022 is still judged on its own catalogue and figures
    old = catalogues.for_year(2022)
    assert old.code == "kontum-2022"
    async with uow() as u:
        lines = await unit_status(u, old, "dak-blo", Q1_2022)
        district = await unit_status(u, old, "dak-glei", Q1_2022)
    row = next(r for r in status_rows(lines) if r.indicator == "III.2")
    assert (row.numerator, row.denominator) == (60, 200)
    row = next(r for r in status_rows(district) if r.indicator == "III.2")
    assert (row.numerator, row.denominator) == (60, 200)  # the 2022 totals kept their tree

    # loading the 2022 catalogue again (a restart with it configured) keeps the 2026 units
    report = await load_into_store(uow, KONTUM)
    assert not report.changed
    assert state.units["xa-an-binh"] is True

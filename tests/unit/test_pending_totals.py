"""Totals' changes held back until just before the commit read exactly as if written."""

from __future__ import annotations

import random

from kpi.aggregate import Total, TotalKey
from kpi.periods import Period
from kpi.units import Level
from services.pending_totals import PendingTotals
from services.ports import UnitTotals
from tests.fakes import FakeState, FakeUnitOfWork

MARCH = Period.month(2022, 3)
Q1 = Period.parse("2022-Q1")
UNITS = ("kon-tum", "dak-ha", "dak-ha-ha-mon")
ELEMENTS = ("dossiers_received", "dossiers_on_time")


def non_empty(totals: dict[str, UnitTotals]) -> dict[str, UnitTotals]:
    """Units with totals (the SQL store also lists units asked for that have none)."""
    return {unit: found for unit, found in totals.items() if found}


def key(unit: str, period: Period, element: str, level: Level = "commune") -> TotalKey:
    return (unit, period.key, element, level)


async def test_held_back_changes_are_read_as_written_and_stored_only_on_flush() -> None:
    state = FakeState(totals={key("dak-ha", MARCH, "dossiers_received"): Total(10, 1)})
    uow = FakeUnitOfWork(state)
    pending = PendingTotals(uow)

    await pending.figures.add_to_totals(
        [
            (key("dak-ha", MARCH, "dossiers_received"), Total(5, 1)),
            (key("kon-tum", MARCH, "dossiers_received"), Total(5, 1)),
        ]
    )

    assert await pending.figures.totals("dak-ha", MARCH) == {
        ("dossiers_received", "commune"): Total(15, 2)
    }
    assert await uow.figures.totals("kon-tum", MARCH) == {}  # nothing written yet
    await pending.flush()
    assert await uow.figures.totals("dak-ha", MARCH) == {
        ("dossiers_received", "commune"): Total(15, 2)
    }
    assert await uow.figures.totals("kon-tum", MARCH) == {
        ("dossiers_received", "commune"): Total(5, 1)
    }


async def test_a_total_nobody_reports_any_more_is_absent_as_the_store_reads_it() -> None:
    state = FakeState(totals={key("dak-ha", MARCH, "dossiers_received"): Total(10, 1)})
    pending = PendingTotals(FakeUnitOfWork(state))

    await pending.figures.add_to_totals(
        [(key("dak-ha", MARCH, "dossiers_received"), Total(-10, -1))]
    )

    assert await pending.figures.totals("dak-ha", MARCH) == {}
    assert await pending.figures.totals_of_units(None, MARCH) == {}
    assert await pending.figures.totals_of_units(["dak-ha"], MARCH) == {"dak-ha": {}}


async def test_reading_through_held_back_changes_equals_reading_after_writing_them() -> None:
    rng = random.Random(2022)
    for _ in range(200):
        start = {
            key(rng.choice(UNITS), rng.choice((MARCH, Q1)), rng.choice(ELEMENTS)): Total(
                rng.randrange(0, 50), rng.randrange(1, 3)
            )
            for _ in range(rng.randrange(0, 6))
        }
        changes = [
            (
                key(rng.choice(UNITS), rng.choice((MARCH, Q1)), rng.choice(ELEMENTS)),
                Total(rng.randrange(-5, 6), rng.choice((-1, 0, 1))),
            )
            for _ in range(rng.randrange(0, 8))
        ]
        held = PendingTotals(FakeUnitOfWork(FakeState(totals=dict(start))))
        written = FakeUnitOfWork(FakeState(totals=dict(start)))
        await held.figures.add_to_totals(changes)
        await written.figures.add_to_totals(changes)
        asked = rng.choice((None, list(UNITS[:2])))
        for period in (MARCH, Q1):
            assert non_empty(await held.figures.totals_of_units(asked, period)) == non_empty(
                await written.figures.totals_of_units(asked, period)
            )
            for unit in UNITS:
                assert await held.figures.totals(unit, period) == await written.figures.totals(
                    unit, period
                )

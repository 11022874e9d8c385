"""Totals kept up to date revision by revision equal totals computed from scratch."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpi.aggregate import Total, TotalKey, contributions, delta, own_values, rollup
from kpi.elements import ElementKind
from kpi.periods import Period, canonical_periods
from kpi.units import UnitTree
from services.ports import UnitOfWork
from storage import Database
from tests.integration.builders import ELEMENTS, revision, tree
from tests.integration.test_totals import clear_figures

TREE = tree()
YEARS = (2022, 2023)
PERIODS = [p for year in YEARS for p in canonical_periods(year)]


@st.composite
def submissions(draw: st.DrawFn) -> tuple[str, str, Period, int]:
    unit = draw(st.sampled_from([u.code for u in TREE]))
    element = draw(st.sampled_from(sorted(ELEMENTS)))
    period = draw(st.sampled_from(PERIODS))
    flag = ELEMENTS[element].kind is ElementKind.FLAG
    value = draw(st.integers(0, 1) if flag else st.integers(0, 10**12))
    return unit, element, period, value


async def submit(
    uow: UnitOfWork,
    tree: UnitTree,
    unit: str,
    element: str,
    period: Period,
    value: int,
    minutes: int,
) -> None:
    """What the submit service does: store the revision, then move the totals by the change
    of the unit's own values."""
    data_element = ELEMENTS[element]
    level = tree.get(unit).level
    before = own_values(data_element, await uow.figures.series(unit, element, period.year))
    await uow.figures.add_revisions([revision(unit, element, period, value, minutes=minutes)])
    after = own_values(data_element, await uow.figures.series(unit, element, period.year))
    changes: list[tuple[TotalKey, Total]] = []
    for changed in before.keys() | after.keys():
        change = delta(before.get(changed), after.get(changed))
        if change == Total(0, 0):
            continue
        for target, _ in contributions(tree, data_element, unit, 0):
            changes.append(((target, changed.key, element, level), change))
    await uow.figures.add_to_totals(changes)


async def stored_totals(uow: UnitOfWork) -> dict[TotalKey, Total]:
    found: dict[TotalKey, Total] = {}
    for period in PERIODS:
        by_unit = await uow.figures.totals_of_units(None, period)
        for unit, totals in by_unit.items():
            for (element, level), total in totals.items():
                found[unit, period.key, element, level] = total
    return found


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(submissions(), min_size=1, max_size=12))
async def test_incremental_totals_equal_the_rollup_of_the_current_figures(
    database: Database, steps: Sequence[tuple[str, str, Period, int]]
) -> None:
    await clear_figures(database)
    async with database.unit_of_work() as uow:
        await uow.units.sync(TREE)
        for minute, (unit, element, period, value) in enumerate(steps):
            await submit(uow, TREE, unit, element, period, value, minute)
        await uow.commit()

    async with database.unit_of_work() as uow:
        expected = rollup(TREE, ELEMENTS, await uow.figures.current_figures())
        stored = await stored_totals(uow)
        one = await uow.figures.totals(TREE.root.code, steps[0][2])

    assert stored == expected
    assert one == {
        (element, level): total
        for (unit, key, element, level), total in expected.items()
        if unit == TREE.root.code and key == steps[0][2].key
    }

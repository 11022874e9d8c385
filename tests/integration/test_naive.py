"""The naive baseline: a subtree's monthly figures summed in one query."""

from __future__ import annotations

from kpi.periods import Period
from storage import Database
from storage.naive import naive_subtree_values
from tests.integration.builders import (
    DAK_HA,
    DAK_MAR,
    HA_MON,
    MARCH,
    ONLINE,
    PROVINCE,
    Q1,
    RECEIVED,
    SA_BINH,
    revision,
    tree,
)


async def test_the_naive_sum_adds_the_months_of_a_subtree_within_the_period(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree())
        for unit, month, value in [
            (HA_MON.code, 1, 10),
            (HA_MON.code, 3, 20),
            (DAK_MAR.code, 2, 5),
            (SA_BINH.code, 3, 100),
            (HA_MON.code, 4, 1_000),
        ]:
            await uow.figures.add_revisions(
                [revision(unit, RECEIVED.code, Period.month(2022, month), value)]
            )
        await uow.figures.add_revisions(
            [
                revision(DAK_MAR.code, ONLINE.code, MARCH, 2),
                revision(DAK_MAR.code, RECEIVED.code, Q1, 7_000),
            ]
        )
        await uow.commit()

    async with database.unit_of_work() as uow:
        district = await naive_subtree_values(uow, DAK_HA.code, Q1)
        province = await naive_subtree_values(uow.session, PROVINCE.code, MARCH)
        commune = await naive_subtree_values(uow, HA_MON.code, Period(2022, 1, 6))

    assert district == {RECEIVED.code: 35, ONLINE.code: 2}
    assert province == {RECEIVED.code: 120, ONLINE.code: 2}
    assert commune == {RECEIVED.code: 1_030}

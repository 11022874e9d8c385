"""The baseline the totals table must beat: a subtree's values summed from current figures.

Each call is one query over `figure_current` joined to the subtree by its pre-order interval; it
sums every element's monthly figures within the period (flows' meaning; stocks and flags are
summed too: this is a benchmark baseline, not the domain's rule).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.sql.elements import ColumnElement

from kpi.periods import Period
from storage.tables import current_table, unit_table
from storage.transaction import Connections
from storage.unit_of_work import SqlUnitOfWork

_TOP = unit_table.alias("top")
MEMBER = unit_table.alias("member")


def _subtree_months(unit_code: str, period: Period, *columns: ColumnElement[Any]) -> Select[Any]:
    """SELECT columns, SUM(value) over the monthly current figures of `unit_code`'s subtree."""
    fc = current_table.c
    return (
        select(*columns, func.sum(fc.value))
        .select_from(current_table)
        .join(MEMBER, MEMBER.c.id == fc.unit_id)
        .join(
            _TOP,
            and_(_TOP.c.code == unit_code, MEMBER.c.lft >= _TOP.c.lft, MEMBER.c.lft < _TOP.c.rgt),
        )
        .where(
            fc.year == period.year,
            fc.first_month == fc.last_month,
            fc.first_month >= period.first,
            fc.last_month <= period.last,
        )
        .group_by(*columns)
    )


async def _rows(
    session_or_uow: Connections | SqlUnitOfWork, statement: Select[Any]
) -> list[tuple[Any, ...]]:
    session = (
        session_or_uow.session if isinstance(session_or_uow, SqlUnitOfWork) else session_or_uow
    )
    connection = await session.connection()
    return [tuple(row) for row in (await connection.execute(statement)).tuples()]


async def naive_subtree_values(
    session_or_uow: Connections | SqlUnitOfWork, unit_code: str, period: Period
) -> dict[str, int]:
    """Element code → sum of the monthly current figures of `unit_code`'s subtree in `period`."""
    statement = _subtree_months(unit_code, period, current_table.c.element_code)
    return {element: int(total) for element, total in await _rows(session_or_uow, statement)}


async def naive_subtree_values_by_level(
    session_or_uow: Connections | SqlUnitOfWork, unit_code: str, period: Period
) -> dict[tuple[str, str], int]:
    """(element code, level of the unit that reported it) → the subtree's monthly sum."""
    statement = _subtree_months(unit_code, period, current_table.c.element_code, MEMBER.c.level)
    return {(e, level): int(total) for e, level, total in await _rows(session_or_uow, statement)}


async def naive_member_values(
    session_or_uow: Connections | SqlUnitOfWork,
    unit_code: str,
    period: Period,
    elements: list[str],
    levels: list[str],
) -> dict[str, dict[str, int]]:
    """Member code → its own monthly sums of `elements`, for the subtree's units of `levels`
    (what judging every unit separately needs, read the naive way)."""
    statement = _subtree_months(
        unit_code, period, MEMBER.c.code, current_table.c.element_code
    ).where(current_table.c.element_code.in_(elements), MEMBER.c.level.in_(levels))
    result: dict[str, dict[str, int]] = {}
    for code, element, total in await _rows(session_or_uow, statement):
        result.setdefault(code, {})[element] = int(total)
    return result

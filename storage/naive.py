"""The baseline the totals table must beat: a subtree's values summed from current figures.

One query per call, over `figure_current` joined to the subtree by its pre-order interval; it
sums every element's monthly figures within the period (flows' meaning; stocks and flags are
summed too: this is a benchmark baseline, not the domain's rule).
"""

from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kpi.periods import Period
from storage.tables import current_table, unit_table
from storage.unit_of_work import SqlUnitOfWork


async def naive_subtree_values(
    session_or_uow: AsyncSession | SqlUnitOfWork, unit_code: str, period: Period
) -> dict[str, int]:
    """Element code → sum of the monthly current figures of `unit_code`'s subtree in `period`."""
    session = (
        session_or_uow.session if isinstance(session_or_uow, SqlUnitOfWork) else session_or_uow
    )
    top = unit_table.alias("top")
    member = unit_table.alias("member")
    fc = current_table.c
    statement = (
        select(fc.element_code, func.sum(fc.value))
        .select_from(current_table)
        .join(member, member.c.id == fc.unit_id)
        .join(
            top,
            and_(
                top.c.code == unit_code,
                member.c.lft >= top.c.lft,
                member.c.lft < top.c.rgt,
            ),
        )
        .where(
            fc.year == period.year,
            fc.first_month == fc.last_month,
            fc.first_month >= period.first,
            fc.last_month <= period.last,
        )
        .group_by(fc.element_code)
    )
    connection = await session.connection()
    rows = await connection.execute(statement)
    return {element: int(total) for element, total in rows.tuples()}


async def naive_subtree_values_by_level(
    session_or_uow: AsyncSession | SqlUnitOfWork, unit_code: str, period: Period
) -> dict[tuple[str, str], int]:
    """(element code, level of the unit that reported it) → the subtree's monthly sum."""
    session = (
        session_or_uow.session if isinstance(session_or_uow, SqlUnitOfWork) else session_or_uow
    )
    top = unit_table.alias("top")
    member = unit_table.alias("member")
    fc = current_table.c
    statement = (
        select(fc.element_code, member.c.level, func.sum(fc.value))
        .select_from(current_table)
        .join(member, member.c.id == fc.unit_id)
        .join(
            top,
            and_(top.c.code == unit_code, member.c.lft >= top.c.lft, member.c.lft < top.c.rgt),
        )
        .where(
            fc.year == period.year,
            fc.first_month == fc.last_month,
            fc.first_month >= period.first,
            fc.last_month <= period.last,
        )
        .group_by(fc.element_code, member.c.level)
    )
    connection = await session.connection()
    rows = await connection.execute(statement)
    return {(element, level): int(total) for element, level, total in rows.tuples()}


async def naive_member_values(
    session_or_uow: AsyncSession | SqlUnitOfWork,
    unit_code: str,
    period: Period,
    elements: list[str],
    levels: list[str],
) -> dict[str, dict[str, int]]:
    """Member code → its own monthly sums of `elements`, for the subtree's units of `levels`
    (what judging every unit separately needs, read the naive way)."""
    session = (
        session_or_uow.session if isinstance(session_or_uow, SqlUnitOfWork) else session_or_uow
    )
    top = unit_table.alias("top")
    member = unit_table.alias("member")
    fc = current_table.c
    statement = (
        select(member.c.code, fc.element_code, func.sum(fc.value))
        .select_from(current_table)
        .join(member, member.c.id == fc.unit_id)
        .join(
            top,
            and_(top.c.code == unit_code, member.c.lft >= top.c.lft, member.c.lft < top.c.rgt),
        )
        .where(
            fc.year == period.year,
            fc.first_month == fc.last_month,
            fc.first_month >= period.first,
            fc.last_month <= period.last,
            fc.element_code.in_(elements),
            member.c.level.in_(levels),
        )
        .group_by(member.c.code, fc.element_code)
    )
    connection = await session.connection()
    rows = await connection.execute(statement)
    result: dict[str, dict[str, int]] = {}
    for code, element, total in rows.tuples():
        result.setdefault(code, {})[element] = int(total)
    return result

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

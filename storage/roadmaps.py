"""The roadmap table behind services.ports.RoadmapStore (`uow.roadmaps`).

async with database.unit_of_work() as uow:
    await set_roadmap(uow, uow.roadmaps, catalogue, "so-y-te", "III.2", setting, "tg:1", now)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import delete, select

from kpi.pace import RoadmapSetting, from_basis_points, to_basis_points
from storage.sql import UnitIds, hold_units
from storage.tables import roadmap_table, unit_table
from storage.transaction import Connections


class SqlRoadmapStore:
    """Rows of `roadmap` in and out as RoadmapSetting; nothing is committed here."""

    def __init__(self, session: Connections, ids: UnitIds | None = None) -> None:
        self._session = session
        self._ids = ids if ids is not None else UnitIds(session)

    async def of_unit(self, unit: str, year: int) -> dict[str, RoadmapSetting]:
        return (await self.of_units([unit], year)).get(unit, {})

    async def of_units(
        self, units: Sequence[str] | None, year: int
    ) -> dict[str, dict[str, RoadmapSetting]]:
        r, u = roadmap_table.c, unit_table.c
        query = (
            select(u.code, r.line_key, r.month, r.expected_bp)
            .join(unit_table, u.id == r.unit_id)
            .where(r.year == year)
            .order_by(u.code, r.line_key, r.month)
        )
        if units is not None:
            query = query.where(u.code.in_(list(units)))
        connection = await self._session.connection()
        rows = (await connection.execute(query)).tuples().all()
        found: dict[str, dict[str, list[tuple[int, Fraction | None]]]] = {}
        for code, key, month, expected in rows:
            rate = None if expected is None else from_basis_points(int(expected))
            found.setdefault(code, {}).setdefault(key, []).append((int(month), rate))
        return {
            code: {key: RoadmapSetting(tuple(milestones)) for key, milestones in lines.items()}
            for code, lines in found.items()
        }

    async def put(
        self, unit: str, line: str, year: int, setting: RoadmapSetting, by: str, at: datetime
    ) -> None:
        unit_id = await self._ids.id_of(unit)
        r = roadmap_table.c
        # two people setting the same line at once: the second waits, then replaces the
        # first's (without the lock its rows clashed with the first's, not yet committed)
        await hold_units(self._session, [unit_id])
        connection = await self._session.connection()
        await connection.execute(
            delete(roadmap_table).where(r.unit_id == unit_id, r.line_key == line, r.year == year)
        )
        if not setting.milestones:
            return
        rows: list[dict[str, Any]] = [
            {
                "unit_id": unit_id,
                "line_key": line,
                "year": year,
                "month": month,
                "expected_bp": None if rate is None else to_basis_points(rate),
                "set_by": by,
                "set_at": at,
            }
            for month, rate in setting.milestones
        ]
        await connection.execute(roadmap_table.insert(), rows)


__all__ = ["SqlRoadmapStore"]

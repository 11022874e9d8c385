"""Alert states and scheduled runs (services.ports.AlertStore, ScheduleLog), inside one
session."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.repositories import UnitIds, _changed, _upsert
from storage.tables import schedule_run_table


class SqlAlertStore:
    def __init__(self, session: AsyncSession, ids: UnitIds) -> None:
        self._session = session
        self._ids = ids


class SqlScheduleLog:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, name: str, fire_time: datetime, at: datetime) -> bool:
        connection = await self._session.connection()
        statement = _upsert(connection, schedule_run_table).values(
            name=name, fire_time=fire_time, ran_at=at
        )
        result = await connection.execute(statement.on_conflict_do_nothing())
        return _changed(result) == 1

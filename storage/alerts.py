"""Alert states and scheduled runs (services.ports.AlertStore, ScheduleLog), inside one
session."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from kpi.alerts import AlertState, Scope
from kpi.attainment import Status
from storage.sql import UnitIds, changed, upsert
from storage.tables import alert_state_table, schedule_run_table
from storage.transaction import Connections

BATCH = 500  # rows per INSERT: SQLite allows some 32,000 bound values per statement


class SqlAlertStore:
    def __init__(self, session: Connections, ids: UnitIds) -> None:
        self._session = session
        self._ids = ids

    async def states(self, units: Sequence[str] | None = None) -> list[AlertState]:
        c = alert_state_table.c
        query = select(
            c.unit_id,
            c.line,
            c.scope,
            c.period_key,
            c.state,
            c.since,
            c.notified_state,
            c.notified_at,
        )
        if units is not None:
            if not units:
                return []
            ids = await self._ids.all()
            query = query.where(c.unit_id.in_([ids[u] for u in units if u in ids]))
        connection = await self._session.connection()
        rows = await connection.execute(query.order_by(c.unit_id, c.line, c.scope))
        codes = await self._ids.codes()
        return [
            AlertState(
                codes[row.unit_id],
                row.line,
                Scope(row.scope),
                row.period_key,
                Status(row.state),
                row.since,
                None if row.notified_state is None else Status(row.notified_state),
                row.notified_at,
            )
            for row in rows
            if row.unit_id in codes
        ]

    async def save(self, states: Sequence[AlertState]) -> None:
        if not states:
            return
        ids = await self._ids.all()
        rows = [
            {
                "unit_id": ids[s.unit] if s.unit in ids else await self._ids.id_of(s.unit),
                "line": s.line,
                "scope": s.scope.value,
                "period_key": s.period_key,
                "state": s.state.value,
                "since": s.since,
                "notified_state": None if s.notified_state is None else s.notified_state.value,
                "notified_at": s.notified_at,
            }
            for s in states
        ]
        connection = await self._session.connection()
        for start in range(0, len(rows), BATCH):
            statement = upsert(connection, alert_state_table)
            statement = statement.on_conflict_do_update(
                index_elements=list(alert_state_table.primary_key.columns),
                set_={
                    name: statement.excluded[name]
                    for name in ("period_key", "state", "since", "notified_state", "notified_at")
                },
            )
            await connection.execute(statement, rows[start : start + BATCH])


class SqlScheduleLog:
    def __init__(self, session: Connections) -> None:
        self._session = session

    async def claim(self, name: str, fire_time: datetime, at: datetime) -> bool:
        connection = await self._session.connection()
        statement = upsert(connection, schedule_run_table).values(
            name=name, fire_time=fire_time, ran_at=at
        )
        result = await connection.execute(statement.on_conflict_do_nothing())
        return changed(result) == 1

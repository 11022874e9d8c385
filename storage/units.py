"""The unit tree on the `unit` table (services.ports.UnitStore): sync from a catalogue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select, update

from kpi.units import UnitTree
from services.ports import UnitSync
from storage.sql import BATCH, UnitIds, chunks
from storage.tables import NO_INTERVAL, unit_table
from storage.transaction import Connections


class SqlUnitStore:
    def __init__(self, session: Connections, ids: UnitIds) -> None:
        self._session = session
        self._ids = ids

    async def sync(self, tree: UnitTree) -> UnitSync:
        connection = await self._session.connection()
        c = unit_table.c
        rows = await connection.execute(select(c.id, c.code, *(c[name] for name in _STATE)))
        stored = {code: (id_, dict(zip(_STATE, state, strict=True))) for id_, code, *state in rows}

        new = [u for u in tree if u.code not in stored]
        if new:
            await connection.execute(
                unit_table.insert(),
                [{"code": u.code, **_unplaced(u.level, u.name.vi, u.name.en)} for u in new],
            )
            self._ids.forget()
        ids = await self._ids.all()

        updated = deactivated = 0
        changes: list[dict[str, Any]] = []
        for unit in tree:
            lft, rgt = tree.interval(unit.code)
            wanted = {
                "level": unit.level,
                "name_vi": unit.name.vi,
                "name_en": unit.name.en,
                "parent_id": None if unit.parent is None else ids[unit.parent],
                "active": True,
                "confirmed": unit.confirmed,
                "lft": lft,
                "rgt": rgt,
            }
            id_, state = stored.get(unit.code, (ids[unit.code], None))
            if state is not None and _described(state) != _described(wanted):
                updated += 1
            if state != wanted:
                changes.append({"_id": id_, **wanted})
        for code, (id_, state) in stored.items():
            if code not in tree and state["active"]:
                deactivated += 1
                changes.append(
                    {"_id": id_, **state, "active": False, "lft": NO_INTERVAL, "rgt": NO_INTERVAL}
                )
        statement = (
            update(unit_table)
            .where(c.id == bindparam("_id"))
            .values({name: bindparam(name) for name in _STATE})
        )
        for chunk in chunks(changes, BATCH):
            await connection.execute(statement, chunk)
        return UnitSync(added=len(new), updated=updated, deactivated=deactivated)

    async def codes(self) -> set[str]:
        connection = await self._session.connection()
        rows = await connection.execute(
            select(unit_table.c.code).where(unit_table.c.active.is_(True))
        )
        return set(rows.scalars())


# What a sync sets on a unit row; the first six are what the unit is (a change is an update),
# the interval only where it lies.
_STATE = ("level", "name_vi", "name_en", "parent_id", "active", "confirmed", "lft", "rgt")


def _described(state: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(state[name] for name in _STATE[:6])


def _unplaced(level: str, name_vi: str, name_en: str) -> dict[str, Any]:
    """A new unit's row before its parent and interval are known."""
    return {
        "level": level,
        "name_vi": name_vi,
        "name_en": name_en,
        "parent_id": None,
        "active": True,
        "confirmed": True,
        "lft": NO_INTERVAL,
        "rgt": NO_INTERVAL,
    }

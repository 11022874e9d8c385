"""Broadcasts and their delivery reports (services.ports.BroadcastStore), inside one session."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.repositories import UnitIds


class SqlBroadcastStore:
    def __init__(self, session: AsyncSession, ids: UnitIds) -> None:
        self._session = session
        self._ids = ids

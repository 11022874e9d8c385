"""Invite codes (services.ports.InviteStore): only their sha256 is kept."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select, update

from kpi.access import Invite, Role
from storage.sql import UnitIds, changed
from storage.tables import invite_table, unit_table
from storage.transaction import Connections


def invite_hash(code: str) -> str:
    """What the invite table keeps of a code: its sha256, in hex."""
    return hashlib.sha256(code.encode()).hexdigest()


class SqlInviteStore:
    def __init__(self, session: Connections, ids: UnitIds) -> None:
        self._session = session
        self._ids = ids

    async def add(self, invite: Invite) -> None:
        unit_id = await self._ids.id_of(invite.unit)
        connection = await self._session.connection()
        await connection.execute(
            invite_table.insert().values(
                code_hash=invite_hash(invite.code),
                unit_id=unit_id,
                role=Role(invite.role).value,
                created_by=invite.created_by,
                created_at=invite.created_at,
                expires_at=invite.expires_at,
                used_at=invite.used_at,
                used_by=invite.used_by,
            )
        )

    async def get(self, code: str) -> Invite | None:
        i, u = invite_table.c, unit_table.c
        connection = await self._session.connection()
        row = (
            await connection.execute(
                select(
                    u.code, i.role, i.created_by, i.created_at, i.expires_at, i.used_at, i.used_by
                )
                .join(unit_table, u.id == i.unit_id)
                .where(i.code_hash == invite_hash(code))
            )
        ).first()
        if row is None:
            return None
        unit, role, created_by, created_at, expires_at, used_at, used_by = row
        return Invite(code, unit, Role(role), created_by, created_at, expires_at, used_at, used_by)

    async def mark_used(self, code: str, telegram_id: int, at: datetime) -> bool:
        c = invite_table.c
        connection = await self._session.connection()
        result = await connection.execute(
            update(invite_table)
            .where(c.code_hash == invite_hash(code), c.used_at.is_(None))
            .values(used_at=at, used_by=telegram_id)
        )
        return changed(result) == 1

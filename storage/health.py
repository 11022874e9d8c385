"""What /healthz asks the database: does it answer, and how much waits in the outbox."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.tables import OutboxRow

logger = logging.getLogger(__name__)

PROBE_TIMEOUT = 3.0  # seconds before the database counts as unreachable


@dataclass(frozen=True, slots=True)
class Probe:
    database: bool
    outbox_depth: int | None = None  # messages due (pending or being sent)
    oldest_pending_seconds: float | None = None  # how long the oldest due one has waited


async def probe(engine: AsyncEngine, now: datetime, timeout: float = PROBE_TIMEOUT) -> Probe:  # noqa: ASYNC109
    """The outbox's due messages, or `database=False` when the database does not answer."""
    table = OutboxRow.__table__  # type: ignore[attr-defined]
    due = select(func.count(), func.min(table.c.not_before)).where(
        table.c.state.in_(("pending", "sending")), table.c.not_before <= now
    )

    async def ask() -> Probe:
        async with engine.connect() as connection:
            count, oldest = (await connection.execute(due)).one()
        age = None if oldest is None else max(0.0, (now - oldest).total_seconds())
        return Probe(True, int(count), age if age is not None else 0.0)

    try:
        return await asyncio.wait_for(ask(), timeout)
    except Exception as error:  # noqa: BLE001 (any failure means: not healthy)
        logger.warning("health: the database did not answer: %s", error)
        return Probe(False)

"""Telegram updates already handled: which are duplicates, and forgetting them by age.

A redelivery of an update (the bot stopped before Telegram learnt it was handled) comes within
a day: Telegram keeps an update at most 24 hours. So an update is a duplicate when an update
with its id and its fingerprint (the same message, the same button press) was claimed within
`DUPLICATE_WINDOW`; an older claim, or one of another fingerprint (the Bot API restarted its
ids), does not make it one. Claims older than the window are pruned on a schedule
(`prune_processed_updates`, run by the leading process), so the table stays small.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from services.ports import UnitOfWork

DUPLICATE_WINDOW = timedelta(hours=24)
PRUNE_EVERY = 3600.0  # seconds between two prunes


def duplicates_since(now: datetime) -> datetime:
    """Claims at or after this time make an update with the same id and fingerprint a
    duplicate."""
    return now - DUPLICATE_WINDOW


async def prune_processed_updates(unit_of_work: Callable[[], UnitOfWork], now: datetime) -> int:
    """Forget the updates claimed before the duplicate window; how many were forgotten."""
    async with unit_of_work() as uow:
        pruned = await uow.updates.prune(duplicates_since(now))
        await uow.commit()
    return pruned

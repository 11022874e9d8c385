"""Leadership: exactly one bot process runs the scheduler and the delivery worker.

The runner asks a `Leader` whether this process leads; storage decides how
(`storage.leader.leader_for`: an advisory lock on PostgreSQL, this process on SQLite).
"""

from __future__ import annotations

from typing import Protocol


class Leader(Protocol):
    async def acquire(self) -> bool:
        """Try once to become the leader; True when this process leads."""

    async def holds(self) -> bool:
        """Whether this process still leads (False once its lock is lost)."""

    async def release(self) -> None:
        """Stop leading (idempotent)."""

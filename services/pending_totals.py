"""A unit of work whose changes to the totals are held back and written at once, last.

A confirmed submission moves the totals of its unit and of every unit above it (the district,
the province), then judges the alerts on the moved totals. Written at once, the province's
totals rows stay locked (PostgreSQL) for the whole judging, and every other submission waits for
them. Held back, the judging reads the stored totals plus the changes in memory, and the rows
are written together just before the commit:

    pending = PendingTotals(uow)
    ... await pending.figures.add_to_totals(...); await alerts(pending, ...) ...
    await pending.flush()
    await uow.commit()
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Self

from kpi.aggregate import Figure, Total, TotalKey
from kpi.periods import Period
from kpi.revisions import Revision
from services.ports import (
    AlertStore,
    BroadcastStore,
    CatalogueStore,
    ChatStore,
    ConversationStore,
    FigureStore,
    InviteStore,
    Outbox,
    PeopleStore,
    RoadmapStore,
    ScheduleLog,
    UnitOfWork,
    UnitStore,
    UnitTotals,
    UpdateLog,
)


class _PendingFigures:
    """The figure store with the held-back changes added to every total it reads."""

    def __init__(self, store: FigureStore) -> None:
        self.store = store
        self.pending: dict[TotalKey, Total] = {}
        self._keys: dict[tuple[str, str], list[TotalKey]] = {}  # by unit and period

    def _changes_of(self, unit: str, period: Period) -> Iterable[tuple[TotalKey, Total]]:
        return ((key, self.pending[key]) for key in self._keys.get((unit, period.key), ()))

    @staticmethod
    def _with(totals: UnitTotals, changes: Iterable[tuple[TotalKey, Total]]) -> UnitTotals:
        merged = dict(totals)
        for (_unit, _period, element, level), change in changes:
            before = merged.get((element, level))
            after = change if before is None else before + change
            if after.reporters:  # as the store reads them: totals nobody reports are absent
                merged[element, level] = after
            else:
                merged.pop((element, level), None)
        return merged

    async def add_to_totals(self, changes: Sequence[tuple[TotalKey, Total]]) -> None:
        for key, change in changes:
            before = self.pending.get(key)
            if before is None:
                self._keys.setdefault((key[0], key[1]), []).append(key)
            self.pending[key] = change if before is None else before + change

    async def totals(self, unit: str, period: Period) -> UnitTotals:
        return self._with(await self.store.totals(unit, period), self._changes_of(unit, period))

    async def totals_of_periods(
        self, unit: str, periods: Sequence[Period]
    ) -> dict[Period, UnitTotals]:
        stored = await self.store.totals_of_periods(unit, periods)
        return {p: self._with(stored[p], self._changes_of(unit, p)) for p in stored}

    async def totals_of_units(
        self, units: Sequence[str] | None, period: Period
    ) -> dict[str, UnitTotals]:
        stored = await self.store.totals_of_units(units, period)
        touched = {
            key[0]
            for key in self.pending
            if key[1] == period.key and (units is None or key[0] in units)
        }
        for unit in touched:
            merged = self._with(stored.get(unit, {}), self._changes_of(unit, period))
            if merged or units is not None:
                stored[unit] = merged
            else:
                stored.pop(unit, None)
        return stored

    async def flush(self) -> None:
        if self.pending:
            await self.store.add_to_totals(list(self.pending.items()))
            self.clear()

    def clear(self) -> None:
        self.pending.clear()
        self._keys.clear()

    # --- the rest, as the store has it ---------------------------------------------------------

    async def lock_units(self, units: Sequence[str]) -> None:
        await self.store.lock_units(units)

    async def lock_all(self) -> None:
        await self.store.lock_all()

    async def series(self, unit: str, element: str, year: int) -> list[tuple[Period, int]]:
        return await self.store.series(unit, element, year)

    async def current(self, unit: str, element: str, period: Period) -> int | None:
        return await self.store.current(unit, element, period)

    async def series_of(
        self, unit: str, elements: Sequence[str], year: int
    ) -> dict[str, list[tuple[Period, int]]]:
        return await self.store.series_of(unit, elements, year)

    async def current_of(self, unit: str, period: Period) -> dict[str, int]:
        return await self.store.current_of(unit, period)

    async def add_revisions(self, revisions: Sequence[Revision]) -> list[Revision]:
        return await self.store.add_revisions(revisions)

    async def history(
        self,
        units: Sequence[str],
        *,
        element: str | None = None,
        period: Period | None = None,
        limit: int = 50,
    ) -> list[Revision]:
        return await self.store.history(units, element=element, period=period, limit=limit)

    async def replace_totals(self, year: int, totals: Iterable[tuple[TotalKey, Total]]) -> None:
        raise NotImplementedError("a rebuild of the totals is not held back")

    async def current_figures(self, year: int | None = None) -> list[Figure]:
        return await self.store.current_figures(year)

    async def first_submitted(self, year: int) -> dict[tuple[str, str, Period], datetime]:
        return await self.store.first_submitted(year)


class PendingTotals:
    """`uow` seen with its totals' changes held back until `flush` (the caller commits)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self._figures = _PendingFigures(uow.figures)

    async def flush(self) -> None:
        """Write the held-back changes to the totals, in one statement where possible."""
        await self._figures.flush()

    @property
    def figures(self) -> FigureStore:
        return self._figures

    @property
    def catalogues(self) -> CatalogueStore:
        return self.uow.catalogues

    @property
    def units(self) -> UnitStore:
        return self.uow.units

    @property
    def people(self) -> PeopleStore:
        return self.uow.people

    @property
    def invites(self) -> InviteStore:
        return self.uow.invites

    @property
    def conversations(self) -> ConversationStore:
        return self.uow.conversations

    @property
    def updates(self) -> UpdateLog:
        return self.uow.updates

    @property
    def outbox(self) -> Outbox:
        return self.uow.outbox

    @property
    def chats(self) -> ChatStore:
        return self.uow.chats

    @property
    def broadcasts(self) -> BroadcastStore:
        return self.uow.broadcasts

    @property
    def alerts(self) -> AlertStore:
        return self.uow.alerts

    @property
    def schedule(self) -> ScheduleLog:
        return self.uow.schedule

    @property
    def roadmaps(self) -> RoadmapStore:
        return self.uow.roadmaps

    async def __aenter__(self) -> Self:
        raise TypeError("PendingTotals wraps an open unit of work; it is not entered")

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        raise TypeError("PendingTotals wraps an open unit of work; it is not entered")

    async def commit(self) -> None:
        """Flush, then commit the wrapped unit of work."""
        await self.flush()
        await self.uow.commit()

    async def rollback(self) -> None:
        self._figures.clear()
        await self.uow.rollback()

"""In-memory implementations of the storage ports, for service tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Self

from kpi.aggregate import Figure, Total, TotalKey
from kpi.periods import Period
from kpi.revisions import Revision
from kpi.units import UnitTree
from services.ports import StoredCatalogue, UnitSync, UnitTotals


@dataclass
class FakeState:
    catalogues: dict[str, StoredCatalogue] = field(default_factory=dict)
    units: dict[str, bool] = field(default_factory=dict)  # code → active
    revisions: list[Revision] = field(default_factory=list)
    current: dict[tuple[str, str, Period], int] = field(default_factory=dict)
    totals: dict[TotalKey, Total] = field(default_factory=dict)
    commits: int = 0


class FakeCatalogues:
    def __init__(self, state: FakeState) -> None:
        self.state = state

    async def all(self) -> list[StoredCatalogue]:
        return sorted(self.state.catalogues.values(), key=lambda c: c.year)

    async def save(self, catalogue: StoredCatalogue) -> None:
        self.state.catalogues[catalogue.code] = catalogue


class FakeUnits:
    def __init__(self, state: FakeState) -> None:
        self.state = state

    async def sync(self, tree: UnitTree) -> UnitSync:
        codes = {u.code for u in tree}
        added = len(codes - self.state.units.keys())
        gone = [c for c, active in self.state.units.items() if active and c not in codes]
        for code in codes:
            self.state.units[code] = True
        for code in gone:
            self.state.units[code] = False
        return UnitSync(added, 0, len(gone))

    async def codes(self) -> set[str]:
        return {c for c, active in self.state.units.items() if active}


class FakeFigures:
    def __init__(self, state: FakeState) -> None:
        self.state = state

    async def series(self, unit: str, element: str, year: int) -> list[tuple[Period, int]]:
        return sorted(
            (p, v)
            for (u, e, p), v in self.state.current.items()
            if u == unit and e == element and p.year == year
        )

    async def current(self, unit: str, element: str, period: Period) -> int | None:
        return self.state.current.get((unit, element, period))

    async def add_revision(self, revision: Revision) -> Revision:
        key = (revision.unit, revision.element, revision.period)
        number = 1 + sum(1 for r in self.state.revisions if (r.unit, r.element, r.period) == key)
        stored = replace(revision, number=number, previous=self.state.current.get(key))
        self.state.revisions.append(stored)
        self.state.current[key] = revision.value
        return stored

    async def history(
        self,
        units: Sequence[str],
        *,
        element: str | None = None,
        period: Period | None = None,
        limit: int = 50,
    ) -> list[Revision]:
        found = [
            r
            for r in self.state.revisions
            if r.unit in units
            and (element is None or r.element == element)
            and (period is None or r.period == period)
        ]
        return list(reversed(found))[:limit]

    async def add_to_totals(self, changes: Sequence[tuple[TotalKey, Total]]) -> None:
        for key, change in changes:
            self.state.totals[key] = self.state.totals.get(key, Total(0, 0)) + change

    async def totals(self, unit: str, period: Period) -> UnitTotals:
        return {
            (e, lvl): t
            for (u, p, e, lvl), t in self.state.totals.items()
            if u == unit and p == period.key and t.reporters
        }

    async def totals_of_units(
        self, units: Sequence[str] | None, period: Period
    ) -> dict[str, UnitTotals]:
        wanted = None if units is None else set(units)
        result: dict[str, UnitTotals] = {}
        for (u, p, e, lvl), t in self.state.totals.items():
            if p == period.key and (wanted is None or u in wanted) and t.reporters:
                result.setdefault(u, {})[(e, lvl)] = t
        return result

    async def replace_totals(self, year: int, totals: Iterable[tuple[TotalKey, Total]]) -> None:
        self.state.totals = {
            k: v for k, v in self.state.totals.items() if Period.parse(k[1]).year != year
        }
        self.state.totals.update(dict(totals))

    async def current_figures(self, year: int | None = None) -> list[Figure]:
        return [
            Figure(u, e, p, v)
            for (u, e, p), v in self.state.current.items()
            if year is None or p.year == year
        ]


class FakeUnitOfWork:
    """Copies the state on entry; writes it back only on commit."""

    def __init__(self, state: FakeState) -> None:
        self.shared = state
        self.state = state
        self.catalogues = FakeCatalogues(state)
        self.units = FakeUnits(state)
        self.figures = FakeFigures(state)

    async def __aenter__(self) -> Self:
        self.state = FakeState(
            dict(self.shared.catalogues),
            dict(self.shared.units),
            list(self.shared.revisions),
            dict(self.shared.current),
            dict(self.shared.totals),
            self.shared.commits,
        )
        self.catalogues = FakeCatalogues(self.state)
        self.units = FakeUnits(self.state)
        self.figures = FakeFigures(self.state)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        self.state.commits += 1
        self.shared.__dict__.update(self.state.__dict__)

    async def rollback(self) -> None:
        return None

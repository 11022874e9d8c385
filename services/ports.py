"""The ports services use; storage/ implements them, tests use fakes.

Every method takes and returns domain objects (codes, kpi dataclasses), never rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from kpi.aggregate import Figure, Total, TotalKey
from kpi.periods import Period
from kpi.revisions import Revision
from kpi.units import Level, UnitTree

UnitTotals = dict[tuple[str, Level], Total]


@dataclass(frozen=True, slots=True)
class StoredCatalogue:
    code: str
    year: int
    text: str  # the catalogue file as loaded (YAML)
    digest: str  # sha256 of text
    loaded_at: datetime


@dataclass(frozen=True, slots=True)
class UnitSync:
    """What syncing a unit tree changed."""

    added: int
    updated: int
    deactivated: int


class CatalogueStore(Protocol):
    async def all(self) -> list[StoredCatalogue]:
        """Every catalogue loaded, oldest year first."""

    async def save(self, catalogue: StoredCatalogue) -> None:
        """Insert or replace the catalogue with this code."""


class UnitStore(Protocol):
    async def sync(self, tree: UnitTree) -> UnitSync:
        """Make the units table match the tree (by code); units absent from it are deactivated,
        never deleted, so their figures stay."""

    async def codes(self) -> set[str]:
        """Codes of the active units."""


class FigureStore(Protocol):
    async def series(self, unit: str, element: str, year: int) -> list[tuple[Period, int]]:
        """Current values of one unit's element for every period of `year` it has."""

    async def current(self, unit: str, element: str, period: Period) -> int | None:
        """The current value for exactly this period, if any."""

    async def add_revision(self, revision: Revision) -> Revision:
        """Append a revision and make it current; returns it with `number` and `previous`."""

    async def history(
        self,
        units: Sequence[str],
        *,
        element: str | None = None,
        period: Period | None = None,
        limit: int = 50,
    ) -> list[Revision]:
        """Revisions of those units' figures, newest first."""

    async def add_to_totals(self, changes: Sequence[tuple[TotalKey, Total]]) -> None:
        """Add each change to its total (creating it at zero), in one round trip if possible."""

    async def totals(self, unit: str, period: Period) -> UnitTotals:
        """The totals of one unit's subtree for one period."""

    async def totals_of_units(
        self, units: Sequence[str] | None, period: Period
    ) -> dict[str, UnitTotals]:
        """Totals of many units (None: all) for one period, in few queries."""

    async def replace_totals(self, year: int, totals: Iterable[tuple[TotalKey, Total]]) -> None:
        """Drop every total of `year` and store these instead (a rebuild)."""

    async def current_figures(self, year: int | None = None) -> list[Figure]:
        """Every current figure (of one year, or all)."""


class UnitOfWork(Protocol):
    """One transaction: rolled back on exit unless `commit` was called."""

    @property
    def catalogues(self) -> CatalogueStore: ...

    @property
    def units(self) -> UnitStore: ...

    @property
    def figures(self) -> FigureStore: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...

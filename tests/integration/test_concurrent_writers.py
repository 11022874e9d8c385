"""Writers of one unit's figures at the same moment, on real concurrent connections: each
writer's checks and totals see what the other saved, and the totals stay those recomputed from
the current figures.

The first writer holds its transaction open (its alert check waits) until the second has
started: the second runs on its own engine in a thread with its own event loop, as a second
bot process or `chitieu figures import` would, and signals when it reaches the unit's lock (or,
without one, when it has read the unit's figures).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self, cast

import pytest

from kpi.aggregate import Total, TotalKey, rollup
from kpi.catalogue import Catalogue
from kpi.each_unit import counter_rollup
from kpi.periods import Period, canonical_periods
from kpi.revisions import Author, Source
from services.catalogue_file import DEFAULT_CATALOGUE
from services.catalogues import Catalogues, load_into_store
from services.figures import RejectedSubmissionError, submit_figures
from services.importing import import_figures
from services.ports import FigureStore, UnitOfWork
from storage import Database
from storage.unit_of_work import SqlUnitOfWork

YEAR = 2022
NOVEMBER, Q4 = Period.parse("2022-11"), Period.parse("2022-Q4")
RECEIVED = "dossiers_received"
NOW = datetime(2022, 12, 5, 9, tzinfo=UTC)
ANNA, BINH = Author("tg:1", "Anna"), Author("tg:2", "Bình")
WAIT = 30  # seconds: a bound on a hang, never reached when the code is right


@pytest.fixture
async def catalogue(database: Database) -> Catalogue:
    await load_into_store(database.unit_of_work, DEFAULT_CATALOGUE)
    async with database.unit_of_work() as uow:
        return (await Catalogues.from_store(uow)).for_year(YEAR)


def commune(catalogue: Catalogue) -> str:
    return next(u.code for u in catalogue.units if u.level == "commune")


class _Signalling:
    """The figure store, setting `reached` when the writer takes the unit's lock or has read
    the unit's figures, whichever comes first."""

    def __init__(self, store: FigureStore, reached: threading.Event) -> None:
        self._store = store
        self._reached = reached

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def lock_units(self, units: Sequence[str]) -> None:
        self._reached.set()
        await self._store.lock_units(units)

    async def series_of(self, *args: Any) -> Any:
        found = await self._store.series_of(*args)
        self._reached.set()
        return found


class _SignallingUnitOfWork(SqlUnitOfWork):
    def __init__(self, database: Database, reached: threading.Event) -> None:
        super().__init__(database.engine, database.unit_ids)
        self._reached = reached

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.figures = cast("FigureStore", _Signalling(self.figures, self._reached))
        return self


Write = Callable[[Callable[[], UnitOfWork]], Awaitable[Any]]


class _Holding:
    """An alert check that keeps the first writer's transaction open until the second writer
    has reached the unit."""

    def __init__(self, reached: threading.Event) -> None:
        self.reached = reached
        self.inside = threading.Event()  # the first writer holds its lock and has written

    async def __call__(self, *_: Any) -> int:
        await self._wait()
        return 0

    async def many(self, *_: Any) -> int:
        await self._wait()
        return 0

    async def _wait(self) -> None:
        self.inside.set()
        assert await asyncio.to_thread(self.reached.wait, WAIT), "the second writer never came"


async def overlapping(
    database: Database,
    url: str,
    first: Callable[[Callable[[], UnitOfWork], _Holding], Coroutine[Any, Any, Any]],
    second: Write,
) -> tuple[Any, BaseException | Any]:
    """Run `first` on `database`, holding its transaction until `second`, on an engine of its
    own in another thread and started once the first is inside its transaction, has reached
    the unit; both results (the second's error, if any)."""
    reached = threading.Event()
    holding = _Holding(reached)
    outcome: list[Any] = []

    def in_thread() -> None:
        async def run() -> Any:
            assert holding.inside.wait(WAIT), "the first writer never held the unit"
            async with Database.connect(url) as other:
                return await second(lambda: _SignallingUnitOfWork(other, reached))

        try:
            outcome.append(asyncio.run(run()))
        except BaseException as error:  # noqa: BLE001 (reported by the test)
            outcome.append(error)
        finally:
            reached.set()

    thread = threading.Thread(target=in_thread)
    first_task = asyncio.create_task(first(database.unit_of_work, holding))
    thread.start()
    try:
        result = await first_task
    finally:
        await asyncio.to_thread(thread.join, WAIT)
    return result, outcome[0]


async def assert_totals_are_recomputed(database: Database, catalogue: Catalogue) -> None:
    async with database.unit_of_work() as uow:
        figures = await uow.figures.current_figures(YEAR)
        expected = rollup(catalogue.units, catalogue.elements, figures)
        expected.update(counter_rollup(catalogue, expected))
        stored: dict[TotalKey, Total] = {}
        for period in canonical_periods(YEAR):
            for unit, totals in (await uow.figures.totals_of_units(None, period)).items():
                for (element, level), total in totals.items():
                    stored[unit, period.key, element, level] = total
    assert stored == {k: t for k, t in expected.items() if t.reporters}


def submitting(
    catalogue: Catalogue, unit: str, period: Period, value: int, author: Author
) -> Callable[..., Coroutine[Any, Any, Any]]:
    async def write(unit_of_work: Callable[[], UnitOfWork], alerts: Any = None) -> Any:
        return await submit_figures(
            unit_of_work,
            catalogue,
            unit,
            period,
            {RECEIVED: value},
            author,
            Source.CHAT,
            now=NOW,
            alerts=alerts,
        )

    return write


async def test_a_quarter_confirmed_while_its_month_is_being_saved_is_refused_as_overlapping(
    database: Database, database_url: str, catalogue: Catalogue
) -> None:
    unit = commune(catalogue)
    first, second = await overlapping(
        database,
        database_url,
        submitting(catalogue, unit, NOVEMBER, 40, ANNA),
        submitting(catalogue, unit, Q4, 400, BINH),
    )

    assert [r.value for r in first[1]] == [40]
    assert isinstance(second, RejectedSubmissionError), second
    assert [p.code for p in second.problems] == ["overlaps"]
    await assert_totals_are_recomputed(database, catalogue)


async def test_two_identical_confirmations_at_once_save_once_and_the_second_finds_them_saved(
    database: Database, database_url: str, catalogue: Catalogue
) -> None:
    unit = commune(catalogue)
    first, second = await overlapping(
        database,
        database_url,
        submitting(catalogue, unit, NOVEMBER, 40, ANNA),
        submitting(catalogue, unit, NOVEMBER, 40, BINH),
    )

    assert not isinstance(second, BaseException), second
    assert [r.number for r in first[1]] == [1]
    plan, revisions = second
    assert (plan.changes, plan.unchanged, revisions) == ([], [RECEIVED], [])
    await assert_totals_are_recomputed(database, catalogue)


async def test_a_different_figure_confirmed_at_the_same_moment_becomes_a_correction(
    database: Database, database_url: str, catalogue: Catalogue
) -> None:
    unit = commune(catalogue)
    _first, second = await overlapping(
        database,
        database_url,
        submitting(catalogue, unit, NOVEMBER, 40, ANNA),
        submitting(catalogue, unit, NOVEMBER, 45, BINH),
    )

    assert not isinstance(second, BaseException), second
    plan, revisions = second
    assert plan.is_correction
    assert [(r.number, r.previous, r.value) for r in revisions] == [(2, 40, 45)]
    await assert_totals_are_recomputed(database, catalogue)


async def test_an_import_of_a_quarter_while_its_month_is_confirmed_in_the_chat_is_refused(
    database: Database, database_url: str, catalogue: Catalogue, tmp_path: Path
) -> None:
    unit = commune(catalogue)
    path = tmp_path / "q4.csv"
    path.write_text(f"unit,element,period,value\n{unit},{RECEIVED},2022-Q4,400\n")

    async def importing(unit_of_work: Callable[[], UnitOfWork]) -> Any:
        return await import_figures(unit_of_work, path, BINH, now=NOW)

    _first, second = await overlapping(
        database, database_url, submitting(catalogue, unit, NOVEMBER, 40, ANNA), importing
    )

    assert "overlaps" in str(getattr(second, "errors", second)), second
    await assert_totals_are_recomputed(database, catalogue)


async def test_two_people_setting_one_roadmap_line_at_once_both_succeed_the_last_one_kept(
    database: Database, database_url: str, catalogue: Catalogue
) -> None:
    from sqlalchemy import text

    from kpi.pace import RoadmapSetting

    unit, line = commune(catalogue), "III.2"
    second_pid: list[int] = []
    started = threading.Event()

    def second() -> None:
        async def run() -> None:
            async with Database.connect(database_url) as other, other.unit_of_work() as uow:
                if other.engine.dialect.name == "postgresql":
                    connection = await uow.session.connection()
                    second_pid.append(
                        int(await connection.scalar(text("SELECT pg_backend_pid()")))
                    )
                started.set()
                await uow.roadmaps.put(unit, line, YEAR, RoadmapSetting.even_quarterly(), "2", NOW)
                await uow.commit()

        try:
            asyncio.run(run())
        finally:
            started.set()

    async with database.unit_of_work() as uow:
        await uow.roadmaps.put(unit, line, YEAR, RoadmapSetting(), "1", NOW)  # nothing stored
        await uow.roadmaps.put(unit, line, YEAR, RoadmapSetting.even_quarterly(), "1", NOW)
        outcome: list[BaseException] = []
        thread = threading.Thread(target=lambda: _catching(second, outcome))
        thread.start()
        assert await asyncio.to_thread(started.wait, WAIT)
        if second_pid:  # PostgreSQL: hold until the second is waiting for a lock
            await _until_waiting(database, second_pid[0])
        await uow.commit()
    await asyncio.to_thread(thread.join, WAIT)

    assert outcome == []
    async with database.unit_of_work() as uow:
        assert (await uow.roadmaps.of_unit(unit, YEAR)) == {line: RoadmapSetting.even_quarterly()}


def _catching(run: Callable[[], None], outcome: list[BaseException]) -> None:
    try:
        run()
    except BaseException as error:  # noqa: BLE001 (reported by the test)
        outcome.append(error)


async def _until_waiting(database: Database, pid: int) -> None:
    """Until PostgreSQL's backend `pid` waits for a lock (a condition, polled)."""
    from sqlalchemy import text

    async with database.autocommit() as probe:
        connection = await probe.session.connection()
        for _ in range(WAIT * 100):
            waiting = await connection.scalar(
                text("SELECT count(*) FROM pg_locks WHERE pid = :pid AND NOT granted"),
                {"pid": pid},
            )
            if waiting:
                return
            await asyncio.sleep(0.01)
    raise AssertionError("the second writer never waited for a lock")

"""The ports of services/ports.py on SQL tables, inside one session (one transaction).

Repositories speak kpi objects and unit codes; rows and ids stay here. Bulk paths (totals,
current figures, unit sync) use Core statements on the session's connection and return tuples,
never ORM objects, so that reading 200,000 totals stays cheap.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Delete,
    Insert,
    Select,
    Table,
    TextClause,
    bindparam,
    delete,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from kpi.access import Invite, Membership, Person, Role
from kpi.aggregate import Figure, Total, TotalKey
from kpi.errors import UnknownUnitError
from kpi.periods import Period
from kpi.revisions import Author, Revision, Source
from kpi.units import Level, UnitTree
from services.ports import StoredCatalogue, UnitSync, UnitTotals
from storage.tables import (
    NO_INTERVAL,
    catalogue_table,
    conversation_table,
    current_table,
    invite_table,
    membership_table,
    person_table,
    processed_update_table,
    revision_table,
    total_table,
    unit_table,
    utc_now,
)
from storage.transaction import AsyncpgStatement, Connections, asyncpg_of, changed_rows

# Rows per executemany batch, and ids per IN list (SQLite allows 32,766 variables).
BATCH = 10_000
IN_LIST = 5_000
COPY_BATCH = 100_000

T = TypeVar("T")


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small acyclic objects: it
    halves the time to read 200,000 totals. Use it only around code without `await`, so that
    nothing else runs meanwhile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@lru_cache(maxsize=512)
def _period(key: str) -> Period:
    return Period.parse(key)


def _upsert(connection: AsyncConnection, table: Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL alike)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


@dataclass(slots=True)
class UnitIdCache:
    """Unit code ↔ id, shared by the units of work of one Database.

    Ids never change for a code; new units (another process's `chitieu init`) are noticed by a
    cheap count/max(id) check before the whole map is used, and single codes missing from the
    cache are looked up one by one.
    """

    ids: dict[str, int] = field(default_factory=dict)
    codes: dict[int, str] = field(default_factory=dict)
    signature: tuple[int, int] | None = None  # (count, max id) when `ids` was complete

    def clear(self) -> None:
        self.ids.clear()
        self.codes.clear()
        self.signature = None


_UNIT_SIGNATURE = select(func.count(unit_table.c.id), func.coalesce(func.max(unit_table.c.id), 0))


class UnitIds:
    """Unit code → id for one unit of work, backed by the Database's shared cache."""

    def __init__(self, session: Connections, cache: UnitIdCache | None = None) -> None:
        self._session = session
        self._cache = cache if cache is not None else UnitIdCache()
        self.synced = False
        self._checked = False  # the cache was checked against the table in this unit of work

    async def _signature(self) -> tuple[int, int]:
        connection = await self._session.connection()
        row = (await connection.execute(_UNIT_SIGNATURE)).one()
        return int(row[0]), int(row[1])

    async def all(self) -> dict[str, int]:
        """Every code's id: the shared cache, checked against the table once per unit of work
        (the units change only when a catalogue is loaded, which calls `forget`)."""
        cache = self._cache
        if self._checked and cache.signature is not None:
            return cache.ids
        signature = await self._signature()
        self._checked = True
        if cache.signature != signature:
            connection = await self._session.connection()
            rows = await connection.execute(select(unit_table.c.code, unit_table.c.id))
            cache.clear()
            cache.ids.update(rows.tuples().all())
            cache.codes.update({id_: code for code, id_ in cache.ids.items()})
            cache.signature = signature
        return cache.ids

    async def id_of(self, code: str) -> int:
        cache = self._cache
        found = cache.ids.get(code)
        if found is not None:
            return found
        connection = await self._session.connection()
        row = (
            await connection.execute(select(unit_table.c.id).where(unit_table.c.code == code))
        ).first()
        if row is None:
            raise UnknownUnitError(code)
        cache.ids[code] = int(row[0])
        cache.codes[int(row[0])] = code
        return int(row[0])

    async def codes(self) -> dict[int, str]:
        """Id → code (the reverse of `all`)."""
        await self.all()
        return self._cache.codes

    def forget(self) -> None:
        self._cache.clear()
        self.synced = True
        self._checked = False


class SqlCatalogueStore:
    def __init__(self, session: Connections) -> None:
        self._session = session

    async def all(self) -> list[StoredCatalogue]:
        c = catalogue_table.c
        connection = await self._session.connection()
        rows = await connection.execute(
            select(c.code, c.year, c.text, c.digest, c.loaded_at).order_by(c.year, c.code)
        )
        return [StoredCatalogue(*row) for row in rows.tuples().all()]

    async def save(self, catalogue: StoredCatalogue) -> None:
        connection = await self._session.connection()
        values = dataclasses.asdict(catalogue)
        statement = _upsert(connection, catalogue_table).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[catalogue_table.c.code],
            set_={k: statement.excluded[k] for k in values if k != "code"},
        )
        await connection.execute(statement)


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


class SqlFigureStore:
    def __init__(self, session: Connections, ids: UnitIds) -> None:
        self._session = session
        self._ids = ids

    async def _connection(self) -> AsyncConnection:
        return await self._session.connection()

    # serialising the writers ----------------------------------------------------------------
    async def lock_units(self, units: Sequence[str]) -> None:
        """Hold these units' figures for this transaction: another writer of them (a chat
        confirmation, an import, in this process or another) waits here until the commit, so
        that the checks and the totals read next see every change made before (see
        `write_transaction`)."""
        await hold_units(self._session, [await self._ids.id_of(code) for code in units])

    async def lock_all(self) -> None:
        """Hold every unit's figures for this transaction (a rebuild of the totals)."""
        connection = await write_transaction(self._session)
        if connection.dialect.name == "postgresql":
            await connection.execute(_LOCK_EVERY_UNIT)

    async def _write_transaction(self) -> AsyncConnection:
        return await write_transaction(self._session)

    # current figures ----------------------------------------------------------------------
    async def series(self, unit: str, element: str, year: int) -> list[tuple[Period, int]]:
        c = current_table.c
        unit_id = await self._ids.id_of(unit)
        rows = await (await self._connection()).execute(
            select(c.year, c.first_month, c.last_month, c.value)
            .where(c.unit_id == unit_id, c.element_code == element, c.year == year)
            .order_by(c.first_month, c.last_month)
        )
        return [(Period(y, first, last), value) for y, first, last, value in rows.tuples().all()]

    async def current(self, unit: str, element: str, period: Period) -> int | None:
        c = current_table.c
        unit_id = await self._ids.id_of(unit)
        value = await (await self._connection()).scalar(
            select(c.value).where(
                c.unit_id == unit_id, c.element_code == element, c.period_key == period.key
            )
        )
        return None if value is None else int(value)

    async def series_of(
        self, unit: str, elements: Sequence[str], year: int
    ) -> dict[str, list[tuple[Period, int]]]:
        wanted = list(dict.fromkeys(elements))
        found: dict[str, list[tuple[Period, int]]] = {code: [] for code in wanted}
        if not wanted:
            return found
        c = current_table.c
        unit_id = await self._ids.id_of(unit)
        connection = await self._connection()
        for chunk in chunks(wanted, IN_LIST):
            rows = await connection.execute(
                select(c.element_code, c.year, c.first_month, c.last_month, c.value)
                .where(c.unit_id == unit_id, c.year == year, c.element_code.in_(chunk))
                .order_by(c.element_code, c.first_month, c.last_month)
            )
            for element, y, first, last, value in rows.tuples().all():
                found[element].append((Period(y, first, last), value))
        return found

    async def current_of(self, unit: str, period: Period) -> dict[str, int]:
        c = current_table.c
        unit_id = await self._ids.id_of(unit)
        rows = await (await self._connection()).execute(
            select(c.element_code, c.value).where(c.unit_id == unit_id, c.period_key == period.key)
        )
        return {element: int(value) for element, value in rows.tuples().all()}

    async def current_figures(self, year: int | None = None) -> list[Figure]:
        c = current_table.c
        statement = select(
            unit_table.c.code, c.element_code, c.year, c.first_month, c.last_month, c.value
        ).join(unit_table, unit_table.c.id == c.unit_id)
        if year is not None:
            statement = statement.where(c.year == year)
        rows = await (await self._connection()).execute(statement)
        return [
            Figure(unit, element, Period(y, first, last), value)
            for unit, element, y, first, last, value in rows.tuples().all()
        ]

    async def first_submitted(self, year: int) -> dict[tuple[str, str, Period], datetime]:
        fr, u = revision_table.c, unit_table.c
        first = func.min(fr.created_at).label("first")  # typed as the column: UTC, aware
        rows = await (await self._connection()).execute(
            select(u.code, fr.element_code, fr.first_month, fr.last_month, first)
            .join(unit_table, u.id == fr.unit_id)
            .where(fr.year == year)
            .group_by(u.code, fr.element_code, fr.first_month, fr.last_month)
        )
        return {
            (unit, element, Period(year, first_month, last_month)): at
            for unit, element, first_month, last_month, at in rows.tuples().all()
        }

    # revisions ----------------------------------------------------------------------------
    async def add_revision(self, revision: Revision) -> Revision:
        if revision.at.tzinfo is None:
            raise ValueError(f"a revision's time must be time-zone aware: {revision.at!r}")
        connection = await self._connection()
        unit_id = await self._ids.id_of(revision.unit)
        period = revision.period
        fc, fr = current_table.c, revision_table.c
        key = (fc.unit_id == unit_id, fc.element_code == revision.element)
        latest = (
            await connection.execute(
                select(fc.value, fr.number)
                .join(revision_table, fr.id == fc.revision_id)
                .where(*key, fc.period_key == period.key)
                .with_for_update(of=current_table)
            )
        ).first()
        previous, number = (None, 1) if latest is None else (int(latest[0]), latest[1] + 1)
        revision_id = await connection.scalar(
            revision_table.insert()
            .values(
                unit_id=unit_id,
                element_code=revision.element,
                period_key=period.key,
                year=period.year,
                first_month=period.first,
                last_month=period.last,
                value=revision.value,
                number=number,
                previous=previous,
                author_id=revision.author.id,
                author_name=revision.author.name,
                source=revision.source.value,
                reason=revision.reason,
                created_at=revision.at,
            )
            .returning(fr.id)
        )
        current = {
            "unit_id": unit_id,
            "element_code": revision.element,
            "period_key": period.key,
            "year": period.year,
            "first_month": period.first,
            "last_month": period.last,
            "value": revision.value,
            "revision_id": revision_id,
            "updated_at": revision.at,
        }
        statement = _upsert(connection, current_table).values(current)
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=list(current_table.primary_key.columns),
                set_={
                    "value": statement.excluded.value,
                    "revision_id": statement.excluded.revision_id,
                    "updated_at": statement.excluded.updated_at,
                },
            )
        )
        return dataclasses.replace(revision, number=number, previous=previous)

    async def add_revisions(self, revisions: Sequence[Revision]) -> list[Revision]:
        """Three statements for all: the current values (locked), the revisions, the current
        rows."""
        if not revisions:
            return []
        for revision in revisions:
            if revision.at.tzinfo is None:
                raise ValueError(f"a revision's time must be time-zone aware: {revision.at!r}")
        keys = [(r.unit, r.element, r.period.key) for r in revisions]
        if len(set(keys)) != len(keys):
            raise ValueError("add_revisions takes each unit, element and period at most once")
        connection = await self._connection()
        unit_ids = [await self._ids.id_of(r.unit) for r in revisions]
        fc, fr = current_table.c, revision_table.c
        latest: dict[tuple[int, str, str], tuple[int, int]] = {}
        rows = await connection.execute(
            select(fc.unit_id, fc.element_code, fc.period_key, fc.value, fr.number)
            .join(revision_table, fr.id == fc.revision_id)
            .where(
                fc.unit_id.in_(sorted(set(unit_ids))),
                fc.element_code.in_(sorted({r.element for r in revisions})),
                fc.period_key.in_(sorted({r.period.key for r in revisions})),
            )
            .with_for_update(of=current_table)
        )
        for unit_id, element, period_key, value, number in rows.tuples().all():
            latest[unit_id, element, period_key] = (int(value), int(number))
        numbered: list[tuple[int, int | None]] = []
        for unit_id, revision in zip(unit_ids, revisions, strict=True):
            found = latest.get((unit_id, revision.element, revision.period.key))
            numbered.append((1, None) if found is None else (found[1] + 1, found[0]))
        # tuples through the driver's executemany, as the totals are: SQLAlchemy's handling
        # of each row's parameters was most of an import's time in this method
        times = _TimeParameters(connection.dialect)
        dialect = connection.dialect.name
        records = [
            (
                unit_id,
                r.element,
                r.period.key,
                r.period.year,
                r.period.first,
                r.period.last,
                r.value,
                number,
                previous,
                r.author.id,
                r.author.name,
                r.source.value,
                r.reason,
                times(r.at),
            )
            for unit_id, r, (number, previous) in zip(unit_ids, revisions, numbered, strict=True)
        ]
        if dialect == "sqlite":
            # SQLite: RETURNING in parameter order makes SQLAlchemy send one INSERT per row (a
            # tenth of an import's time); with the file's write lock held, the ids that follow
            # the largest are ours to give, in one executemany
            await self._write_transaction()
            largest = await connection.scalar(select(func.max(fr.id))) or 0
            revision_ids = list(range(largest + 1, largest + 1 + len(records)))
            numbered_rows = [(i, *row) for i, row in zip(revision_ids, records, strict=True)]
            for rows_chunk in chunks(numbered_rows, BATCH):
                await connection.exec_driver_sql(_INSERT_REVISIONS[dialect], rows_chunk)
        else:
            names = REVISION_COLUMNS[1:-1]  # without the id and the time (given as it is)
            revision_ids = list(
                (
                    await connection.execute(
                        revision_table.insert().returning(fr.id, sort_by_parameter_order=True),
                        [
                            dict(zip(names, row[:-1], strict=True), created_at=r.at)
                            for row, r in zip(records, revisions, strict=True)
                        ],
                    )
                ).scalars()
            )
        current = [
            (*row[:7], revision_id, row[-1])
            for row, revision_id in zip(records, revision_ids, strict=True)
        ]
        for chunk in chunks(current, BATCH):
            await connection.exec_driver_sql(_UPSERT_CURRENT[dialect], chunk)
        return [
            Revision(
                r.unit,
                r.element,
                r.period,
                r.value,
                r.author,
                r.source,
                r.at,
                r.reason,
                number=number,
                previous=previous,
            )
            for r, (number, previous) in zip(revisions, numbered, strict=True)
        ]

    async def history(
        self,
        units: Sequence[str],
        *,
        element: str | None = None,
        period: Period | None = None,
        limit: int = 50,
    ) -> list[Revision]:
        ids = await self._ids.all()
        unit_ids = [ids[code] for code in dict.fromkeys(units) if code in ids]
        fr, u = revision_table.c, unit_table.c
        connection = await self._connection()
        found: list[Revision] = []
        for chunk in chunks(unit_ids, IN_LIST):
            statement = (
                select(
                    u.code,
                    fr.element_code,
                    fr.year,
                    fr.first_month,
                    fr.last_month,
                    fr.value,
                    fr.author_id,
                    fr.author_name,
                    fr.source,
                    fr.created_at,
                    fr.reason,
                    fr.number,
                    fr.previous,
                    fr.id,
                )
                .join(unit_table, u.id == fr.unit_id)
                .where(fr.unit_id.in_(chunk))
                .order_by(fr.created_at.desc(), fr.id.desc())
                .limit(limit)
            )
            if element is not None:
                statement = statement.where(fr.element_code == element)
            if period is not None:
                statement = statement.where(fr.period_key == period.key)
            rows = (await connection.execute(statement)).tuples()
            found.extend(_revision(row) for row in rows)
        found.sort(key=lambda r: r.at, reverse=True)  # stable: ties keep the id order
        return found[:limit]

    # totals -------------------------------------------------------------------------------
    async def add_to_totals(self, changes: Sequence[tuple[TotalKey, Total]]) -> None:
        merged: dict[TotalKey, Total] = {}
        for key, change in changes:
            before = merged.get(key)
            merged[key] = change if before is None else before + change
        if not merged:
            return
        ids = await self._ids.all()
        # in key order (the table's): two writers touching the same totals (the province's)
        # lock them in the same order, so neither waits for the other in a cycle (a deadlock)
        records = sorted(
            _total_record(ids, key, total)
            for key, total in merged.items()
            if total.value or total.reporters
        )
        connection = await self._connection()
        # the driver's executemany with tuples: SQLAlchemy's handling of each row's
        # parameters was half of an import's time
        sql = _ADD_TO_TOTALS[connection.dialect.name]
        for chunk in chunks(records, BATCH):
            await connection.exec_driver_sql(sql, chunk)

    async def totals(self, unit: str, period: Period) -> UnitTotals:
        # the statement built once (every /status reads it): only the keys are bound
        parameters = {"period_key": period.key, "unit_id": await self._ids.id_of(unit)}
        driver = await asyncpg_of(self._session)
        if driver is not None:
            arguments = _UNIT_TOTALS_ASYNCPG.arguments(parameters)
            rows: Iterable[Sequence[Any]] = await driver.fetch(
                _UNIT_TOTALS_ASYNCPG.sql, *arguments
            )
        else:
            rows = (await (await self._connection()).execute(_UNIT_TOTALS, parameters)).tuples()
        return {
            (element, level): Total(value, reporters) for element, level, value, reporters in rows
        }

    async def totals_of_periods(
        self, unit: str, periods: Sequence[Period]
    ) -> dict[Period, UnitTotals]:
        c = total_table.c
        by_key = {period.key: period for period in periods}
        found: dict[Period, UnitTotals] = {period: {} for period in by_key.values()}
        if not by_key:
            return found
        unit_id = await self._ids.id_of(unit)
        rows = await (await self._connection()).execute(
            select(c.period_key, c.element_code, c.level, c.value, c.reporters).where(
                c.unit_id == unit_id, c.period_key.in_(sorted(by_key)), c.reporters != 0
            )
        )
        for period_key, element, level, value, reporters in rows.tuples().all():
            found[by_key[period_key]][element, level] = Total(value, reporters)
        return found

    async def totals_of_units(
        self, units: Sequence[str] | None, period: Period
    ) -> dict[str, UnitTotals]:
        """Totals for one period: of every unit that has some (None), or of each unit asked
        for (an empty mapping for those without)."""
        c = total_table.c
        connection = await self._connection()
        codes = await self._ids.codes()
        result: dict[str, UnitTotals] = {}
        query = select(c.unit_id, c.element_code, c.level, c.value, c.reporters).where(
            c.period_key == period.key, c.reporters != 0
        )
        if units is None:
            statements = [query]
        else:
            wanted = [await self._ids.id_of(code) for code in dict.fromkeys(units)]
            result = {codes[unit_id]: {} for unit_id in wanted}
            statements = [query.where(c.unit_id.in_(chunk)) for chunk in chunks(wanted, IN_LIST)]
        keys: dict[tuple[str, str], tuple[str, Level]] = {}
        for statement in statements:
            found = await connection.execute(statement)
            with _gc_paused():
                for unit_id, element, level, value, reporters in found.tuples().all():
                    code = codes[unit_id]
                    totals = result.get(code)
                    if totals is None:
                        totals = result[code] = {}
                    key = keys.get((element, level))
                    if key is None:
                        key = keys[element, level] = (element, level)
                    totals[key] = Total(value, reporters)
        return result

    async def replace_totals(self, year: int, totals: Iterable[tuple[TotalKey, Total]]) -> None:
        connection = await self._connection()
        await connection.execute(delete(total_table).where(total_table.c.year == year))
        ids = await self._ids.all()
        postgres = connection.dialect.name == "postgresql"
        insert_sql = str(total_table.insert().compile(dialect=connection.dialect))
        for chunk in chunks(totals, COPY_BATCH if postgres else BATCH):
            with _gc_paused():
                records = [_total_record(ids, key, total) for key, total in chunk]
            if postgres:
                await _copy(connection, total_table, records)
            else:
                # The driver's executemany with tuples: twice as fast as dicts through Core.
                await connection.exec_driver_sql(insert_sql, records)


async def _copy(
    connection: AsyncConnection, table: Table, records: Sequence[tuple[Any, ...]]
) -> None:
    """Bulk-load records (tuples in column order) with PostgreSQL's COPY, on the asyncpg
    connection of the current transaction."""
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    columns = [column.name for column in table.columns]
    await driver.copy_records_to_table(table.name, records=records, columns=columns)


# PostgreSQL advisory locks (two int4 keys) of the figures' writers: each writer holds its
# units (FIGURES_LOCK, unit id) and "every unit" shared; a rebuild holds "every unit" alone.
FIGURES_LOCK = 0x4B50  # "KP"
EVERY_UNIT_LOCK = 0x4B51
_LOCK_UNITS = text(
    "SELECT pg_advisory_xact_lock(:namespace, u) FROM unnest(CAST(:ids AS integer[])) AS u"
).bindparams(namespace=FIGURES_LOCK)
_LOCK_EVERY_UNIT_SHARED = text(f"SELECT pg_advisory_xact_lock_shared({EVERY_UNIT_LOCK}, 0)")
_LOCK_EVERY_UNIT = text(f"SELECT pg_advisory_xact_lock({EVERY_UNIT_LOCK}, 0)")


async def write_transaction(session: Connections) -> AsyncConnection:
    """The session's connection, in a transaction that may write and sees the latest data.

    PostgreSQL: a transaction (not autocommit), locked by the caller with advisory locks (they
    end with it). SQLite: one writer at a time for the whole file; Python's sqlite3 begins a
    (deferred) transaction only at the first write, so the reads before it run on their own
    snapshots while another process may write: BEGIN IMMEDIATE takes the write lock now,
    before the reads (waiting up to the busy timeout for another process)."""
    if getattr(session, "autocommit", False):
        raise RuntimeError("units are locked inside a transaction, not in autocommit")
    connection = await session.connection()
    if connection.dialect.name == "sqlite":
        raw = await connection.get_raw_connection()
        if not raw.driver_connection.in_transaction:  # type: ignore[union-attr]
            await connection.exec_driver_sql("BEGIN IMMEDIATE")
    return connection


async def hold_units(session: Connections, unit_ids: Iterable[int]) -> None:
    """Serialise the writers of these units (their figures, their roadmaps) until the
    session's transaction ends: PostgreSQL advisory locks taken in id order (no deadlock),
    under "every unit" shared; SQLite's write lock (`write_transaction`)."""
    connection = await write_transaction(session)
    if connection.dialect.name != "postgresql":
        return
    await connection.execute(_LOCK_EVERY_UNIT_SHARED)
    await connection.execute(_LOCK_UNITS, {"ids": sorted(set(unit_ids))})


TOTAL_COLUMNS = tuple(column.name for column in total_table.columns)


def _add_to_totals_sql(placeholders: Sequence[str]) -> str:
    """INSERT … ON CONFLICT DO UPDATE adding to the total (SQLite's and PostgreSQL's alike)."""
    table = total_table.name
    key = ", ".join(column.name for column in total_table.primary_key.columns)
    return (
        f"INSERT INTO {table} ({', '.join(TOTAL_COLUMNS)})"  # noqa: S608 (our constants)
        f" VALUES ({', '.join(placeholders)}) ON CONFLICT ({key}) DO UPDATE SET"
        f" value = {table}.value + excluded.value,"
        f" reporters = {table}.reporters + excluded.reporters"
    )


_ADD_TO_TOTALS = {
    "sqlite": _add_to_totals_sql(["?"] * len(TOTAL_COLUMNS)),
    "postgresql": _add_to_totals_sql([f"${i}" for i in range(1, len(TOTAL_COLUMNS) + 1)]),
}


REVISION_COLUMNS = (
    "id",
    "unit_id",
    "element_code",
    "period_key",
    "year",
    "first_month",
    "last_month",
    "value",
    "number",
    "previous",
    "author_id",
    "author_name",
    "source",
    "reason",
    "created_at",
)
CURRENT_COLUMNS = (
    "unit_id",
    "element_code",
    "period_key",
    "year",
    "first_month",
    "last_month",
    "value",
    "revision_id",
    "updated_at",
)


def _placeholders(dialect: str, count: int) -> str:
    if dialect == "sqlite":
        return ", ".join(["?"] * count)
    return ", ".join(f"${i}" for i in range(1, count + 1))


def _insert_sql(table: str, columns: Sequence[str], dialect: str) -> str:
    return (
        f"INSERT INTO {table} ({', '.join(columns)})"  # noqa: S608 (our constants)
        f" VALUES ({_placeholders(dialect, len(columns))})"
    )


_INSERT_REVISIONS = {
    dialect: _insert_sql(revision_table.name, REVISION_COLUMNS, dialect)
    for dialect in ("sqlite", "postgresql")
}
_UPSERT_CURRENT = {
    dialect: _insert_sql(current_table.name, CURRENT_COLUMNS, dialect)
    + f" ON CONFLICT ({', '.join(c.name for c in current_table.primary_key.columns)})"
    " DO UPDATE SET value = excluded.value, revision_id = excluded.revision_id,"
    " updated_at = excluded.updated_at"
    for dialect in ("sqlite", "postgresql")
}


class _TimeParameters:
    """A time as the driver takes it for our UTC columns (SQLAlchemy's own conversion, done
    once for each distinct time: an import's revisions share one)."""

    def __init__(self, dialect: Dialect) -> None:
        # the column's type as this dialect implements it (SQLite: text such as
        # "2022-03-20 01:02:03.000004", as every other write of the column stores it)
        column = revision_table.c.created_at.type
        self._process = column.dialect_impl(dialect).bind_processor(dialect)
        self._done: dict[datetime, Any] = {}

    def __call__(self, at: datetime) -> Any:
        found = self._done.get(at)
        if found is None:
            found = self._done[at] = at if self._process is None else self._process(at)
        return found


def _total_record(ids: dict[str, int], key: TotalKey, total: Total) -> tuple[Any, ...]:
    """A figure_total row as a tuple in TOTAL_COLUMNS order."""
    unit, period_key, element, level = key
    unit_id = ids.get(unit)
    if unit_id is None:
        raise UnknownUnitError(unit)
    year = _period(period_key).year
    return (period_key, unit_id, element, str(level), year, total.value, total.reporters)


def _revision(row: tuple[Any, ...]) -> Revision:
    (
        unit,
        element,
        year,
        first,
        last,
        value,
        author_id,
        author_name,
        source,
        at,
        reason,
        number,
        previous,
        _id,
    ) = row
    return Revision(
        unit=unit,
        element=element,
        period=Period(year, first, last),
        value=value,
        author=Author(author_id, author_name),
        source=Source(source),
        at=at,
        reason=reason,
        number=number,
        previous=previous,
    )


# people ------------------------------------------------------------------------------------
_PERSON_COLUMNS = ("telegram_id", "name", "language", "is_admin", "active", "muted")


def _people_of(rows: Iterable[Sequence[Any]]) -> list[Person]:
    """People from the rows of `_people_query`."""
    width = len(_PERSON_COLUMNS)
    people: dict[int, dict[str, Any]] = {}
    memberships: dict[int, list[Membership]] = {}
    for row in rows:
        telegram_id = row[0]
        if telegram_id not in people:
            people[telegram_id] = dict(zip(_PERSON_COLUMNS, row[:width], strict=True))
            memberships[telegram_id] = []
        unit, role = row[width], row[width + 1]
        if unit is not None:
            memberships[telegram_id].append(Membership(unit, Role(role)))
    return [
        Person(**fields, memberships=tuple(memberships[id_])) for id_, fields in people.items()
    ]


def _people_query(where: ColumnElement[bool]) -> Select[Any]:
    """People and their memberships: a row per membership, or one without for a person who
    has none."""
    p, m, u = person_table.c, membership_table.c, unit_table.c
    return (
        select(*(p[name] for name in _PERSON_COLUMNS), u.code, m.role)
        .select_from(
            person_table.outerjoin(
                membership_table.join(unit_table, u.id == m.unit_id),
                m.telegram_id == p.telegram_id,
            )
        )
        .where(where)
        .order_by(p.telegram_id, u.code)
    )


_UNIT_TOTALS = select(
    total_table.c.element_code, total_table.c.level, total_table.c.value, total_table.c.reporters
).where(
    total_table.c.period_key == bindparam("period_key"),
    total_table.c.unit_id == bindparam("unit_id"),
    total_table.c.reporters != 0,
)
_UNIT_TOTALS_ASYNCPG = AsyncpgStatement.of(_UNIT_TOTALS)

_PERSON_BY_ID = _people_query(person_table.c.telegram_id == bindparam("telegram_id"))
_PERSON_BY_ID_ASYNCPG = AsyncpgStatement.of(_PERSON_BY_ID)


class SqlPeopleStore:
    def __init__(self, session: Connections, ids: UnitIds) -> None:
        self._session = session
        self._ids = ids

    async def _connection(self) -> AsyncConnection:
        return await self._session.connection()

    async def get(self, telegram_id: int) -> Person | None:
        # the statement built once (every update reads its sender): only the id is bound
        driver = await asyncpg_of(self._session)
        if driver is not None:
            found = _people_of(await driver.fetch(_PERSON_BY_ID_ASYNCPG.sql, telegram_id))
        else:
            found = await self._people(_PERSON_BY_ID, {"telegram_id": telegram_id})
        return found[0] if found else None

    async def upsert(self, telegram_id: int, name: str) -> Person:
        connection = await self._connection()
        now = utc_now()
        statement = _upsert(connection, person_table).values(
            telegram_id=telegram_id,
            name=name,
            language=None,
            is_admin=False,
            active=True,
            muted=False,
            created_at=now,
            updated_at=now,
        )
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=[person_table.c.telegram_id],
                set_={
                    "name": statement.excluded.name,
                    "updated_at": statement.excluded.updated_at,
                },
                where=person_table.c.name != statement.excluded.name,
            )
        )
        person = await self.get(telegram_id)
        assert person is not None
        return person

    async def set_language(self, telegram_id: int, language: str | None) -> None:
        await self._set(telegram_id, language=language)

    async def set_admin(self, telegram_id: int, is_admin: bool) -> None:
        await self._set(telegram_id, is_admin=is_admin)

    async def set_active(self, telegram_id: int, active: bool) -> None:
        await self._set(telegram_id, active=active)

    async def set_muted(self, telegram_id: int, muted: bool) -> None:
        await self._set(telegram_id, muted=muted)

    async def add_membership(self, telegram_id: int, unit: str, role: Role) -> None:
        unit_id = await self._ids.id_of(unit)
        connection = await self._connection()
        await self._require(connection, telegram_id)
        statement = _upsert(connection, membership_table).values(
            telegram_id=telegram_id, unit_id=unit_id, role=Role(role).value
        )
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=list(membership_table.primary_key.columns),
                set_={"role": statement.excluded.role},
            )
        )

    async def members_of(self, units: Sequence[str]) -> list[Person]:
        ids = await self._ids.all()
        unit_ids = [ids[code] for code in dict.fromkeys(units) if code in ids]
        m = membership_table.c
        connection = await self._connection()
        people: set[int] = set()
        for chunk in chunks(unit_ids, IN_LIST):
            rows = await connection.execute(select(m.telegram_id).where(m.unit_id.in_(chunk)))
            people.update(rows.scalars())
        found: list[Person] = []
        for chunk in chunks(sorted(people), IN_LIST):
            found.extend(await self._people(person_table.c.telegram_id.in_(chunk)))
        return found

    async def admins(self) -> list[Person]:
        return await self._people(person_table.c.is_admin.is_(True))

    async def _people(
        self, where: ColumnElement[bool] | Select[Any], parameters: dict[str, Any] | None = None
    ) -> list[Person]:
        """The people matching `where` (or a statement of `_people_query`), by Telegram id, each
        with their memberships by unit (one query: a row per membership, or one without for a
        person who has none)."""
        statement = where if isinstance(where, Select) else _people_query(where)
        connection = await self._connection()
        return _people_of((await connection.execute(statement, parameters)).tuples())

    async def _set(self, telegram_id: int, **values: object) -> None:
        connection = await self._connection()
        result = await connection.execute(
            update(person_table)
            .where(person_table.c.telegram_id == telegram_id)
            .values(**values, updated_at=utc_now())
        )
        if result.rowcount != 1:
            raise LookupError(f"no person has the Telegram id {telegram_id}")

    @staticmethod
    async def _require(connection: AsyncConnection, telegram_id: int) -> None:
        c = person_table.c
        if await connection.scalar(select(c.telegram_id).where(c.telegram_id == telegram_id)):
            return
        raise LookupError(f"no person has the Telegram id {telegram_id}")


# invites -----------------------------------------------------------------------------------
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
        return _changed(result) == 1


# conversations and updates -----------------------------------------------------------------
def _cacheable(statement: Insert, dialect: Dialect, columns: Sequence[str]) -> TextClause:
    """A dialect's INSERT ... ON CONFLICT as text with typed parameters, compiled once.

    SQLAlchemy 2.0 does not cache the compiled form of SQLite's ON CONFLICT inserts ("no key"):
    it would compile them again on every execution. Text is cached; its parameters keep their
    column's type (the UTC times are converted as the columns do)."""
    compiled = statement.compile(dialect=dialect, column_keys=list(columns))
    binds = [bindparam(name, type_=bind.type) for name, bind in compiled.binds.items()]
    return text(str(compiled)).bindparams(*binds)


def _by_dialect(build: Callable[[Any], Insert], columns: Sequence[str]) -> dict[str, TextClause]:
    """`build(dialect's insert)` compiled for SQLite and PostgreSQL (named parameters)."""
    sqlite_dialect: Dialect = sqlite.dialect(paramstyle="named")
    postgresql_dialect: Dialect = postgresql.dialect(paramstyle="named")  # type: ignore[no-untyped-call]
    return {
        "sqlite": _cacheable(build(sqlite.insert), sqlite_dialect, columns),
        "postgresql": _cacheable(build(postgresql.insert), postgresql_dialect, columns),
    }


def _conversation_upsert(dialect_insert: Any) -> Insert:
    statement = dialect_insert(conversation_table)
    upsert: Insert = statement.on_conflict_do_update(
        index_elements=list(conversation_table.primary_key.columns),
        set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
    )
    return upsert


def _claim(dialect_insert: Any) -> Insert:
    """Insert the claim; over an earlier one only when that is older than `since` or was of
    another update (another fingerprint): one row changed means the update is new."""
    table = processed_update_table
    statement = dialect_insert(table)
    claim: Insert = statement.on_conflict_do_update(
        index_elements=list(table.primary_key.columns),
        set_={"at": statement.excluded.at, "fingerprint": statement.excluded.fingerprint},
        where=or_(
            table.c.at < bindparam("since", type_=table.c.at.type),
            table.c.fingerprint != statement.excluded.fingerprint,
        ),
    )
    return claim


_CONVERSATION_UPSERT = _by_dialect(
    _conversation_upsert, ("namespace", "key", "value", "updated_at")
)
_CONVERSATION_DELETE: Delete = delete(conversation_table).where(
    conversation_table.c.namespace == bindparam("namespace"),
    conversation_table.c.key == bindparam("key"),
)
_CLAIM = _by_dialect(_claim, ("bot_id", "update_id", "at", "fingerprint"))
_CONVERSATION_UPSERT_ASYNCPG = AsyncpgStatement.of(_conversation_upsert(postgresql.insert))
_CONVERSATION_DELETE_ASYNCPG = AsyncpgStatement.of(_CONVERSATION_DELETE)
_CLAIM_ASYNCPG = AsyncpgStatement.of(_claim(postgresql.insert))
# Several keys deleted and written in one statement, atomic without a transaction around it.
_CONVERSATIONS_SAVE_ALL_ASYNCPG = """
WITH gone AS (
    DELETE FROM conversation_state AS c
    USING unnest($1::varchar[], $2::varchar[]) AS d(namespace, key)
    WHERE c.namespace = d.namespace AND c.key = d.key
)
INSERT INTO conversation_state (namespace, key, value, updated_at)
SELECT u.namespace, u.key, u.value, $6::timestamptz
FROM unnest($3::varchar[], $4::varchar[], $5::varchar[]) AS u(namespace, key, value)
ON CONFLICT (namespace, key)
DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
"""


class SqlConversationStore:
    """Values are kept as JSON text: tuples come back as lists, dict keys as strings."""

    def __init__(self, session: Connections) -> None:
        self._session = session

    async def load(self, namespace: str) -> dict[str, object]:
        c = conversation_table.c
        connection = await self._session.connection()
        rows = await connection.execute(
            select(c.key, c.value).where(c.namespace == namespace).order_by(c.key)
        )
        return {key: json.loads(value) for key, value in rows.tuples()}

    async def save(self, namespace: str, key: str, value: object | None) -> None:
        parameters: dict[str, Any] = {"namespace": namespace, "key": key}
        statement: Delete | dict[str, TextClause]
        if value is None:
            statement, on_asyncpg = _CONVERSATION_DELETE, _CONVERSATION_DELETE_ASYNCPG
        else:
            parameters["value"] = json.dumps(value, ensure_ascii=False, allow_nan=False)
            parameters["updated_at"] = utc_now()
            statement, on_asyncpg = _CONVERSATION_UPSERT, _CONVERSATION_UPSERT_ASYNCPG
        driver = await asyncpg_of(self._session)
        if driver is not None:
            await driver.execute(on_asyncpg.sql, *on_asyncpg.arguments(parameters))
            return
        connection = await self._session.connection()
        await connection.execute(
            statement[connection.dialect.name] if isinstance(statement, dict) else statement,
            parameters,
        )

    async def save_all(self, values: Mapping[tuple[str, str], object | None]) -> None:
        """On PostgreSQL in autocommit, one statement however many keys (deletes and upserts
        together); otherwise a statement per key, in the unit of work's transaction."""
        driver = await asyncpg_of(self._session)
        if driver is None or len(values) == 1:
            for (namespace, key), value in values.items():
                await self.save(namespace, key, value)
            return
        gone = [pair for pair, value in values.items() if value is None]
        kept = [
            (namespace, key, json.dumps(value, ensure_ascii=False, allow_nan=False))
            for (namespace, key), value in values.items()
            if value is not None
        ]
        await driver.execute(
            _CONVERSATIONS_SAVE_ALL_ASYNCPG,
            [namespace for namespace, _ in gone],
            [key for _, key in gone],
            [namespace for namespace, _, _ in kept],
            [key for _, key, _ in kept],
            [text for _, _, text in kept],
            utc_now(),
        )


class SqlUpdateLog:
    def __init__(self, session: Connections) -> None:
        self._session = session

    async def claim(
        self,
        bot_id: int,
        update_id: int,
        at: datetime,
        *,
        fingerprint: str = "",
        since: datetime | None = None,
    ) -> bool:
        parameters = {
            "bot_id": bot_id,
            "update_id": update_id,
            "at": at,
            "fingerprint": fingerprint,
            "since": since if since is not None else datetime.min.replace(tzinfo=UTC),
        }
        driver = await asyncpg_of(self._session)
        if driver is not None:
            arguments = _CLAIM_ASYNCPG.arguments(parameters)
            status = await driver.execute(_CLAIM_ASYNCPG.sql, *arguments)
            return changed_rows(status) == 1
        connection = await self._session.connection()
        result = await connection.execute(_CLAIM[connection.dialect.name], parameters)
        return _changed(result) == 1

    async def prune(self, before: datetime) -> int:
        """Forget the updates handled before `before`; returns how many."""
        result = await (await self._session.connection()).execute(
            delete(processed_update_table).where(processed_update_table.c.at < before)
        )
        return _changed(result)


def _changed(result: CursorResult[Any]) -> int:
    """Rows an INSERT, UPDATE or DELETE changed."""
    return int(result.rowcount)

"""Figures on SQL tables (services.ports.FigureStore): revisions, current values, totals.

Bulk paths (totals, current figures) use Core statements on the session's connection and return
tuples, never ORM objects, so that reading 200,000 totals stays cheap.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from kpi.aggregate import Figure, Total, TotalKey
from kpi.errors import UnknownUnitError
from kpi.periods import Period
from kpi.revisions import Author, Revision, Source
from kpi.units import Level
from services.ports import UnitTotals
from storage.sql import (
    BATCH,
    IN_LIST,
    UnitIds,
    chunks,
    gc_paused,
    hold_every_unit,
    hold_units,
    upsert,
    write_transaction,
)
from storage.tables import current_table, revision_table, total_table, unit_table
from storage.transaction import AsyncpgStatement, Connections, asyncpg_of

COPY_BATCH = 100_000


@lru_cache(maxsize=512)
def _period(key: str) -> Period:
    return Period.parse(key)


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
        await hold_every_unit(self._session)

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
        statement = upsert(connection, current_table).values(current)
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
            with gc_paused():
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
            with gc_paused():
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


_UNIT_TOTALS = select(
    total_table.c.element_code, total_table.c.level, total_table.c.value, total_table.c.reporters
).where(
    total_table.c.period_key == bindparam("period_key"),
    total_table.c.unit_id == bindparam("unit_id"),
    total_table.c.reporters != 0,
)
_UNIT_TOTALS_ASYNCPG = AsyncpgStatement.of(_UNIT_TOTALS)

"""Importing figures from a CSV or XLSX file: every row checked before any is saved.

Columns: unit, element, period, value and an optional note. A unit is given by code or name.
Every bad row is reported with its number (as a spreadsheet shows it: the header is row 1).
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from kpi.catalogue import Catalogue
from kpi.cells import cell_value
from kpi.elements import DataElement
from kpi.errors import (
    AmbiguousUnitError,
    CountError,
    DomainError,
    PeriodError,
    UnknownElementError,
    UnknownUnitError,
)
from kpi.periods import Period
from kpi.revisions import Author, Source
from kpi.units import Unit
from services.catalogues import Catalogues
from services.figures import Plan, RejectedSubmissionError, apply_plans, plan_periods
from services.pending_totals import PendingTotals
from services.ports import UnitOfWork

REQUIRED_COLUMNS = ("unit", "element", "period", "value")
COUNT_MESSAGES = {
    "empty": "the value is empty; expected a whole number such as 1.020",
    "no_number": "no number in the value; expected a whole number such as 1.020",
    "negative": "a count cannot be negative",
    "percent": "a percentage is not a count; give the raw counts and the rate is computed",
    "decimal": "a comma marks decimals in Vietnamese ('1,020' is 1.02): a count is whole;"
    " write 1.020 or 1020",
    "malformed": "not a whole number; expected digits, optionally grouped by dots (1.020)",
    "too_large": "the number is too large to be a count",
    "several": "several numbers in one value; give one",
    "notation": "powers and scientific notation (1e5, 10^20) are not read; write the digits",
    "multiplier": "a multiplier word or shorthand that is not read (5k, 5 tr); write the digits"
    " or 5 nghìn, 2 triệu",
}


@dataclass(frozen=True, slots=True)
class RowError:
    """A refused row: `reason` in English (logs, tests); `code` and `params` for the adapters
    to say it in the person's language (i18n.problems.row_error_text).

    Codes: count (text, reason), unknown_unit (text), ambiguous_unit (text, units),
    unknown_element (text), period (text), empty_unit, empty_period, no_catalogue (period,
    years), repeated (earlier), overlaps_row (period, clash, earlier), problem (problem, unit,
    period, rows: the services.figures.Problem), other (the reason only)."""

    row: int
    reason: str
    code: str = "other"
    params: Mapping[str, Any] = field(default_factory=dict)


class ImportRejectedError(DomainError):
    """Rows refused; `saved` revisions were made before (0: nothing was saved)."""

    def __init__(self, errors: list[RowError], saved: int = 0) -> None:
        if saved:
            message = (
                f"{len(errors)} problem(s) found while saving, after {saved} revision(s) were"
                " saved (another writer changed these figures meanwhile); fix them and import"
                " the file again: the rows already saved count as unchanged"
            )
        else:
            message = f"{len(errors)} problem(s); nothing was saved"
        super().__init__(message)
        self.errors = sorted(errors, key=lambda e: e.row)
        self.saved = saved


@dataclass(frozen=True, slots=True)
class ImportReport:
    rows: int
    revisions: int
    unchanged: int


@dataclass(frozen=True, slots=True)
class _Row:
    number: int
    unit: str
    element: str
    period: Period
    value: int
    note: str | None


class ImportCheck(Protocol):
    """What runs after an import's changes, in its transaction (the alert check)."""

    async def many(
        self,
        uow: UnitOfWork,
        catalogue: Catalogue,
        units: Sequence[str],
        period: Period,
        now: datetime,
    ) -> int: ...


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number, {column: cell}) for every non-empty data row of a .csv or .xlsx file,
    read as it goes (a workbook row by row)."""
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".xlsx"}:
        raise DomainError(f"{path.name}: expected a .csv or .xlsx file")
    if not path.is_file():
        raise DomainError(f"{path}: no such file")
    rows = _csv_rows(path) if suffix == ".csv" else _xlsx_rows(path)
    first = next(rows, None)
    if first is None:
        raise DomainError(f"{path.name}: the file is empty; expected a header row")
    header = _header(path, first)
    for number, cells in enumerate(rows, start=2):
        record = {
            name: cells[i] if i < len(cells) else None for i, name in enumerate(header) if name
        }
        if all(v is None or str(v).strip() == "" for v in record.values()):
            continue
        yield number, record


def _header(path: Path, cells: Sequence[Any]) -> list[str]:
    header = [str(c or "").strip().lower() for c in cells]
    twice = sorted({name for name in header if name and header.count(name) > 1})
    if twice:
        raise DomainError(
            f"{path.name}: column(s) {', '.join(twice)} appear more than once in the header;"
            " give each column once"
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise DomainError(
            f"{path.name}: missing column(s) {', '.join(missing)}; expected unit, element,"
            " period, value and optionally note"
        )
    return header


def _csv_rows(path: Path) -> Iterator[list[Any]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(f"{path.name}: expected a UTF-8 text file") from None
    try:
        yield from csv.reader(io.StringIO(text), dialect=_dialect(text))
    except csv.Error as error:
        raise DomainError(f"{path.name}: not a readable CSV file ({error})") from None


def _xlsx_rows(path: Path) -> Iterator[list[Any]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 (zip, XML and openpyxl's own errors alike)
        raise DomainError(
            f"{path.name}: not a readable .xlsx workbook ({type(error).__name__})"
        ) from None
    try:
        if not book.worksheets:
            return
        for row in book.worksheets[0].iter_rows(values_only=True):
            yield list(row)
    finally:
        book.close()


def _dialect(text: str) -> type[csv.Dialect]:
    try:
        return csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    except (csv.Error, IndexError):
        return csv.excel


# A batch of the import is one transaction: on SQLite it holds the file's only write lock, so
# the bot (its confirmations, its claim of each update) waits for it; kept about this short.
BATCH_SECONDS = 0.25


async def import_figures(
    unit_of_work: Callable[[], UnitOfWork],
    path: Path,
    author: Author,
    source: Source = Source.IMPORT,
    now: datetime | None = None,
    alerts: ImportCheck | None = None,
    *,
    batch_seconds: float = BATCH_SECONDS,
    catalogues: Catalogues | None = None,
    on_batch: Callable[[int], Awaitable[None]] | None = None,
) -> ImportReport:
    """Import every row of `path`, or raise ImportRejectedError listing every bad row.

    Every row is checked first (reading only): its cells, the file's other rows, the figures
    stored. With no problem, the figures are saved in batches of about `batch_seconds`, each a
    transaction that locks its units and checks them again (another writer may have saved
    since); `on_batch(revisions so far)` runs after each commit. A problem found then (someone
    saved an overlapping period meanwhile) stops the import: ImportRejectedError says which
    rows, and how many revisions were saved before; importing the file again saves the rest
    (the rows already saved are unchanged).

    `alerts` (services.alerts.SubmissionAlerts) then judges the units whose figures changed and
    their ancestors, once for each year imported, and queues the alerts."""
    when = now or datetime.now(UTC)
    if catalogues is None:
        async with unit_of_work() as uow:
            catalogues = await Catalogues.from_store(uow)
    groups, errors, repeated = _checked_rows(path, catalogues)
    async with unit_of_work() as uow:
        for group in groups:
            planned = await plan_periods(uow, group.catalogue, group.unit, group.submissions)
            errors.extend(group.errors(planned))
    if errors:
        raise ImportRejectedError(errors)
    saved = _Saved()
    index = 0
    while index < len(groups):
        index = await _save_batch(
            unit_of_work, groups, index, _Writing(author, source, when), batch_seconds, saved
        )
        if on_batch is not None:
            await on_batch(saved.revisions)
    if alerts is not None and saved.changed:
        async with unit_of_work() as uow:
            for catalogue, period, units in saved.changed.values():
                await alerts.many(uow, catalogue, list(units), period, when)
            await uow.commit()
    rows = sum(len(r) for g in groups for r in g.rows.values()) + repeated
    return ImportReport(rows, saved.revisions, saved.unchanged)


@dataclass(slots=True)
class _Group:
    """The rows of one unit and year, by period."""

    unit: str
    year: int
    catalogue: Catalogue
    rows: dict[Period, list[_Row]] = field(default_factory=dict)

    @property
    def submissions(self) -> dict[Period, dict[str, int]]:
        return {p: {r.element: r.value for r in rows} for p, rows in self.rows.items()}

    @property
    def notes(self) -> dict[tuple[Period, str], str | None]:
        return {(p, r.element): r.note for p, rows in self.rows.items() for r in rows}

    def errors(self, planned: Mapping[Period, Plan | RejectedSubmissionError]) -> list[RowError]:
        found: list[RowError] = []
        for period, plan in planned.items():
            if not isinstance(plan, RejectedSubmissionError):
                continue
            rows = self.rows[period]
            by_element = {r.element: r.number for r in rows}
            for problem in plan.problems:
                context = {"problem": problem, "unit": self.unit, "period": period}
                if problem.element is not None:
                    found.append(
                        RowError(
                            by_element[problem.element],
                            problem.message,
                            "problem",
                            {**context, "rows": ""},
                        )
                    )
                else:
                    numbers = ", ".join(str(r.number) for r in rows)
                    found.append(
                        RowError(
                            rows[0].number,
                            f"{problem.message} (unit {self.unit}, {period.key}, rows {numbers})",
                            "problem",
                            {**context, "rows": numbers},
                        )
                    )
        return found


@dataclass(frozen=True, slots=True)
class _Writing:
    author: Author
    source: Source
    when: datetime


@dataclass(slots=True)
class _Saved:
    revisions: int = 0
    unchanged: int = 0
    # per year: the catalogue, the latest period saved, the units whose figures changed
    changed: dict[int, tuple[Catalogue, Period, dict[str, None]]] = field(default_factory=dict)

    def add(self, catalogue: Catalogue, plans: Sequence[Plan], revisions: int) -> None:
        self.revisions += revisions
        for plan in plans:
            self.unchanged += len(plan.unchanged)
            if plan.changes:
                self.changed_units(catalogue, plan.period, {plan.unit: None})

    def changed_units(self, catalogue: Catalogue, period: Period, units: dict[str, None]) -> None:
        _, latest, known = self.changed.get(period.year, (catalogue, period, {}))
        if period.last > latest.last:
            latest = period
        known.update(units)
        self.changed[period.year] = (catalogue, latest, known)

    def merge(self, other: _Saved) -> None:
        self.revisions += other.revisions
        self.unchanged += other.unchanged
        for catalogue, period, units in other.changed.values():
            self.changed_units(catalogue, period, units)


def _checked_rows(path: Path, catalogues: Catalogues) -> tuple[list[_Group], list[RowError], int]:
    """Every row read and checked on its own and against the file's other rows (in time
    linear in the rows), grouped by unit and period, in unit order; and how many rows gave a
    figure an earlier row gave (with the same value)."""
    errors: list[RowError] = []
    repeated = 0
    groups: dict[tuple[str, int], _Group] = {}
    # per unit and element: the periods given, each with its row and value
    given: dict[tuple[str, str], dict[Period, tuple[int, int]]] = {}
    lookups = _Lookups(catalogues)
    for number, record in read_rows(path):
        try:
            row = _parse(number, record, lookups)
        except (DomainError, LookupError) as error:
            errors.append(_row_error(number, error))
            continue
        periods = given.setdefault((row.unit, row.element), {})
        earlier = periods.get(row.period)
        if earlier is not None:
            if earlier[1] != row.value:
                errors.append(
                    RowError(
                        number,
                        f"row {earlier[0]} gives another value for the same figure",
                        "repeated",
                        {"earlier": earlier[0]},
                    )
                )
            repeated += 1  # the same figure again, with the same value
            continue
        clash = next((p for p in periods if p.overlaps(row.period)), None)
        if clash is not None:
            errors.append(
                RowError(
                    number,
                    f"{row.period.key} overlaps {clash.key} given in row {periods[clash][0]}"
                    " for the same unit and element; give one or the other",
                    "overlaps_row",
                    {"period": row.period, "clash": clash, "earlier": periods[clash][0]},
                )
            )
            continue
        periods[row.period] = (number, row.value)
        year = row.period.year
        group = groups.get((row.unit, year))
        if group is None:
            group = groups[row.unit, year] = _Group(row.unit, year, catalogues.for_year(year))
        group.rows.setdefault(row.period, []).append(row)
    # in unit order: two imports lock their units in the same order (no deadlock)
    ordered = sorted(groups.values(), key=lambda g: (g.unit, g.year))
    return ordered, errors, repeated


async def _save_batch(
    unit_of_work: Callable[[], UnitOfWork],
    groups: Sequence[_Group],
    start: int,
    writing: _Writing,
    seconds: float,
    saved: _Saved,
) -> int:
    """Save the groups from `start` in one transaction of about `seconds` (at least one
    group); the index of the next group."""
    index = start
    done = _Saved()
    async with unit_of_work() as uow:
        pending = PendingTotals(uow)  # the batch's totals, written once at its end
        began = time.monotonic()
        while index < len(groups) and (index == start or time.monotonic() - began < seconds):
            group = groups[index]
            await uow.figures.lock_units([group.unit])
            planned = await plan_periods(uow, group.catalogue, group.unit, group.submissions)
            errors = group.errors(planned)
            if errors:
                await pending.commit()  # the groups before it, checked again and saved
                saved.merge(done)
                raise ImportRejectedError(errors, saved.revisions)
            plans = [p for p in planned.values() if not isinstance(p, RejectedSubmissionError)]
            made = await apply_plans(
                uow,
                group.catalogue,
                plans,
                writing.author,
                writing.source,
                writing.when,
                group.notes,
                pending=pending,
            )
            done.add(group.catalogue, plans, made)
            index += 1
        await pending.commit()
    saved.merge(done)
    return index


@lru_cache(maxsize=256)
def _period(text: str) -> Period:
    return Period.parse(text)


def figure_years(catalogues: Catalogues) -> set[int]:
    """The years an import takes figures for: each catalogue's, and the year before it (the
    baseline the decision's targets start from, 2021 for the 2022 decision)."""
    return {y for year in catalogues.by_year for y in (year, year - 1)}


class _Lookups:
    """The catalogue's answers for the texts of a file, each text looked up once."""

    def __init__(self, catalogues: Catalogues) -> None:
        self.catalogues = catalogues
        self.years = figure_years(catalogues)
        self._units: dict[tuple[int, str], Unit] = {}
        self._elements: dict[tuple[int, str], DataElement] = {}

    def unit(self, catalogue: Catalogue, text: str) -> Unit:
        key = (catalogue.year, text)
        found = self._units.get(key)
        if found is None:
            found = self._units[key] = catalogue.units.find(text)
        return found

    def element(self, catalogue: Catalogue, text: str) -> DataElement:
        key = (catalogue.year, text)
        found = self._elements.get(key)
        if found is None:
            found = self._elements[key] = catalogue.element(text)
        return found


def _parse(number: int, record: dict[str, Any], lookups: _Lookups) -> _Row:
    unit_text = str(record.get("unit") or "").strip()
    if not unit_text:
        raise _RowProblemError("the unit is empty; expected a unit code or name", "empty_unit")
    period_text = str(record.get("period") or "").strip()
    if not period_text:
        raise _RowProblemError(
            "the period is empty; expected 2022-03, 2022-Q1, 2022-H1, 2022-9M or 2022",
            "empty_period",
        )
    try:
        period = _period(period_text)
    except PeriodError as error:
        raise _RowProblemError(str(error), "period", {"text": period_text}) from None
    if period.year not in lookups.years:
        years = ", ".join(str(y) for y in sorted(lookups.years)) or "no year"
        raise _RowProblemError(
            f"{period.key}: no catalogue is loaded for {period.year}; figures are taken for"
            f" {years}",
            "no_catalogue",
            {"period": period, "years": years},
        )
    catalogue = lookups.catalogues.for_year(period.year)
    unit = lookups.unit(catalogue, unit_text)
    element = lookups.element(catalogue, str(record.get("element") or "").strip())
    value = cell_value(record.get("value"), element.kind)
    note = record.get("note")
    return _Row(
        number, unit.code, element.code, period, value, str(note).strip() if note else None
    )


class _RowProblemError(DomainError):
    """A row's problem found while reading it, with its code and params (RowError)."""

    def __init__(self, reason: str, code: str, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.params = dict(params or {})


def _row_error(number: int, error: Exception) -> RowError:
    """The RowError of an exception raised while reading row `number`."""
    if isinstance(error, _RowProblemError):
        return RowError(number, str(error), error.code, error.params)
    if isinstance(error, CountError):
        reason = f"value {error.text!r}: {COUNT_MESSAGES.get(error.reason, error.reason)}"
        return RowError(number, reason, "count", {"text": error.text, "reason": error.reason})
    if isinstance(error, AmbiguousUnitError):
        units = [u.code for u in error.candidates]
        return RowError(number, str(error), "ambiguous_unit", {"text": error.text, "units": units})
    if isinstance(error, UnknownUnitError):
        return RowError(number, str(error), "unknown_unit", {"text": error.text})
    if isinstance(error, UnknownElementError):
        return RowError(number, str(error), "unknown_element", {"text": error.code})
    return RowError(number, str(error))


async def plan_import(
    uow: UnitOfWork, path: Path, catalogues: Catalogues
) -> list[tuple[Plan, Catalogue, dict[str, str | None]]]:
    """Every row of `path` checked as `import_figures` checks it (its cells, the file's other
    rows, the rules over the figures stored), planned by unit and period, nothing saved: each
    plan with its catalogue and its notes by element. ImportRejectedError lists every bad row.
    (The bot's file check: it shows the plans, and saves them on Confirm.)"""
    groups, errors, _ = _checked_rows(path, catalogues)
    plans: list[tuple[Plan, Catalogue, dict[str, str | None]]] = []
    for group in groups:
        planned = await plan_periods(uow, group.catalogue, group.unit, group.submissions)
        errors.extend(group.errors(planned))
        notes = group.notes
        plans.extend(
            (plan, group.catalogue, {e: n for (p, e), n in notes.items() if p == period})
            for period, plan in planned.items()
            if not isinstance(plan, RejectedSubmissionError)
        )
    if errors:
        raise ImportRejectedError(errors)
    return plans

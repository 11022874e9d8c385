"""Importing figures from a CSV or XLSX file: all rows or none.

Columns: unit, element, period, value and an optional note. A unit is given by code or name.
Every bad row is reported with its number (as a spreadsheet shows it: the header is row 1).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from kpi.catalogue import Catalogue
from kpi.elements import ElementKind
from kpi.errors import AmbiguousUnitError, CountError, DomainError
from kpi.numbers import parse_count, parse_flag
from kpi.periods import Period
from kpi.revisions import Author, Source
from services.catalogues import Catalogues
from services.figures import Plan, RejectedSubmissionError, apply_plan, plan_submission
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
}


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    reason: str


class ImportRejectedError(DomainError):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s); nothing was saved")
        self.errors = sorted(errors, key=lambda e: e.row)


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
    """(row number, {column: cell}) for every non-empty data row of a .csv or .xlsx file."""
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".xlsx"}:
        raise DomainError(f"{path.name}: expected a .csv or .xlsx file")
    if not path.is_file():
        raise DomainError(f"{path}: no such file")
    if suffix == ".csv":
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DomainError(f"{path.name}: expected a UTF-8 text file") from None
        reader = csv.reader(io.StringIO(text), dialect=_dialect(text))
        rows = list(reader)
    elif suffix == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
    else:
        raise DomainError(f"{path.name}: expected a .csv or .xlsx file")
    if not rows:
        raise DomainError(f"{path.name}: the file is empty; expected a header row")
    header = [str(c or "").strip().lower() for c in rows[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise DomainError(
            f"{path.name}: missing column(s) {', '.join(missing)}; expected unit, element,"
            " period, value and optionally note"
        )
    for number, cells in enumerate(rows[1:], start=2):
        record = {name: cells[i] if i < len(cells) else None for i, name in enumerate(header)}
        if all(v is None or str(v).strip() == "" for v in record.values()):
            continue
        yield number, record


def _dialect(text: str) -> type[csv.Dialect]:
    try:
        return csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    except (csv.Error, IndexError):
        return csv.excel


def _value(cell: Any, kind: ElementKind) -> int:
    if isinstance(cell, bool):
        return int(cell)
    if isinstance(cell, int):
        if cell < 0:
            raise CountError("negative", str(cell))
        return cell
    if isinstance(cell, float):
        if not cell.is_integer():
            raise CountError("decimal", str(cell))
        return _value(int(cell), kind)
    text = "" if cell is None else str(cell)
    return parse_flag(text) if kind is ElementKind.FLAG else parse_count(text)


async def import_figures(
    unit_of_work: Callable[[], UnitOfWork],
    path: Path,
    author: Author,
    source: Source = Source.IMPORT,
    now: datetime | None = None,
    alerts: ImportCheck | None = None,
) -> ImportReport:
    """Import every row of `path`, or raise ImportRejectedError listing every bad row.

    `alerts` (services.alerts.SubmissionAlerts) then judges the units whose figures changed and
    their ancestors, once for each year imported, and queues the alerts in the same
    transaction."""
    errors: list[RowError] = []
    parsed: list[_Row] = []
    async with unit_of_work() as uow:
        catalogues = await Catalogues.from_store(uow)
        seen: dict[tuple[str, str, str], tuple[int, int]] = {}
        for number, record in read_rows(path):
            try:
                row = _parse(number, record, catalogues)
                _check_no_overlap(row, parsed)
            except (DomainError, LookupError) as error:
                errors.append(RowError(number, _reason(error)))
                continue
            key = (row.unit, row.element, row.period.key)
            if key in seen and seen[key][1] != row.value:
                errors.append(
                    RowError(number, f"row {seen[key][0]} gives another value for the same figure")
                )
                continue
            seen[key] = (number, row.value)
            parsed.append(row)
        groups: dict[tuple[str, Period], list[_Row]] = defaultdict(list)
        for row in parsed:
            groups[(row.unit, row.period)].append(row)
        plans: list[tuple[Plan, list[_Row], Catalogue]] = []
        for (unit, period), rows in groups.items():
            catalogue = catalogues.for_year(period.year)
            values = {r.element: r.value for r in rows}
            try:
                plans.append(
                    (await plan_submission(uow, catalogue, unit, period, values), rows, catalogue)
                )
            except RejectedSubmissionError as rejected:
                by_element = {r.element: r.number for r in rows}
                for problem in rejected.problems:
                    if problem.element is not None:
                        errors.append(RowError(by_element[problem.element], problem.message))
                    else:
                        numbers = ", ".join(str(r.number) for r in rows)
                        errors.append(
                            RowError(
                                rows[0].number,
                                f"{problem.message} (unit {unit}, {period.key}, rows {numbers})",
                            )
                        )
        if errors:
            raise ImportRejectedError(errors)
        revisions, unchanged = await _apply(
            uow, plans, author, source, now or datetime.now(UTC), alerts
        )
        await uow.commit()
    return ImportReport(len(parsed), revisions, unchanged)


async def _apply(
    uow: UnitOfWork,
    plans: list[tuple[Plan, list[_Row], Catalogue]],
    author: Author,
    source: Source,
    when: datetime,
    alerts: ImportCheck | None,
) -> tuple[int, int]:
    """Save the checked plans (and run the alert check); how many revisions were made and how
    many figures were unchanged."""
    revisions = unchanged = 0
    changed: dict[int, tuple[Catalogue, Period, dict[str, None]]] = {}
    for plan, rows, catalogue in plans:
        if plan.changes:  # per year: the units changed and the latest period imported
            _, latest, units = changed.get(plan.period.year, (catalogue, plan.period, {}))
            if plan.period.last > latest.last:
                latest = plan.period
            units[plan.unit] = None
            changed[plan.period.year] = (catalogue, latest, units)
        notes = {r.element: r.note for r in rows}
        for change in plan.changes:
            single = type(plan)(plan.unit, plan.period, [change])
            revisions += len(
                await apply_plan(
                    uow, catalogue, single, author, source, notes.get(change.element), when
                )
            )
        unchanged += len(plan.unchanged)
    if alerts is not None:
        for catalogue, period, units in changed.values():
            await alerts.many(uow, catalogue, list(units), period, when)
    return revisions, unchanged


def _check_no_overlap(row: _Row, earlier: list[_Row]) -> None:
    for other in earlier:
        if (
            other.unit == row.unit
            and other.element == row.element
            and other.period != row.period
            and other.period.overlaps(row.period)
        ):
            raise DomainError(
                f"{row.period.key} overlaps {other.period.key} given in row {other.number}"
                f" for the same unit and element; give one or the other"
            )


def _parse(number: int, record: dict[str, Any], catalogues: Catalogues) -> _Row:
    unit_text = str(record.get("unit") or "").strip()
    if not unit_text:
        raise DomainError("the unit is empty; expected a unit code or name")
    period_text = str(record.get("period") or "").strip()
    if not period_text:
        raise DomainError(
            "the period is empty; expected 2022-03, 2022-Q1, 2022-H1, 2022-9M or 2022"
        )
    period = Period.parse(period_text)
    catalogue = catalogues.for_year(period.year)
    unit = catalogue.units.find(unit_text)
    element = catalogue.element(str(record.get("element") or "").strip())
    value = _value(record.get("value"), element.kind)
    note = record.get("note")
    return _Row(
        number, unit.code, element.code, period, value, str(note).strip() if note else None
    )


def _reason(error: Exception) -> str:
    if isinstance(error, CountError):
        return f"value {error.text!r}: {COUNT_MESSAGES.get(error.reason, error.reason)}"
    if isinstance(error, AmbiguousUnitError):
        return str(error)
    return str(error)


async def plan_import(
    uow: UnitOfWork, path: Path, catalogues: Catalogues
) -> list[tuple[Plan, Catalogue, dict[str, str | None]]]:
    """Every row of `path` checked as `import_figures` checks it (its cells, the file's other
    rows, the rules over the figures stored), planned by unit and period, nothing saved: each
    plan with its catalogue and its notes by element. ImportRejectedError lists every bad row.
    (The bot's file check: it shows the plans, and saves them on Confirm.)"""
    errors: list[RowError] = []
    parsed: list[_Row] = []
    seen: dict[tuple[str, str, str], tuple[int, int]] = {}
    for number, record in read_rows(path):
        try:
            row = _parse(number, record, catalogues)
            _check_no_overlap(row, parsed)
        except (DomainError, LookupError) as error:
            errors.append(RowError(number, _reason(error)))
            continue
        key = (row.unit, row.element, row.period.key)
        if key in seen:
            if seen[key][1] != row.value:
                errors.append(
                    RowError(number, f"row {seen[key][0]} gives another value for the same figure")
                )
            continue
        seen[key] = (number, row.value)
        parsed.append(row)
    groups: dict[tuple[str, Period], list[_Row]] = defaultdict(list)
    for row in parsed:
        groups[(row.unit, row.period)].append(row)
    plans: list[tuple[Plan, Catalogue, dict[str, str | None]]] = []
    for (unit, period), rows in groups.items():
        catalogue = catalogues.for_year(period.year)
        try:
            plan = await plan_submission(
                uow, catalogue, unit, period, {r.element: r.value for r in rows}
            )
        except RejectedSubmissionError as rejected:
            by_element = {r.element: r.number for r in rows}
            errors.extend(
                RowError(
                    by_element.get(p.element, rows[0].number) if p.element else rows[0].number,
                    p.message,
                )
                for p in rejected.problems
            )
            continue
        plans.append((plan, catalogue, {r.element: r.note for r in rows}))
    if errors:
        raise ImportRejectedError(errors)
    return plans

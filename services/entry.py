"""Entering figures quickly: which periods a unit may still report, and what is already filed.

A unit reports an element either month by month or for a longer period (a quarter, 6 months),
never both for overlapping periods. These reads tell the form which period choices would be
refused (so they are never offered) and which stored periods a chosen one clashes with (so the
refusal names them), before a single question is asked.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from kpi.catalogue import Catalogue
from kpi.errors import DomainError
from kpi.periods import Period
from kpi.revisions import Author, Revision, Source
from services.catalogues import Catalogues
from services.figures import (
    Plan,
    RejectedSubmissionError,
    SubmissionCheck,
    apply_plan,
    plan_submission,
)
from services.importing import REQUIRED_COLUMNS, plan_import
from services.pending_totals import PendingTotals, _PendingFigures
from services.ports import FigureStore, UnitOfWork

MAX_FILE_BYTES: Final = 2_000_000  # a province's year of figures is far smaller
FILE_SUFFIXES: Final = (".xlsx", ".csv")


async def clashing_periods(
    uow: UnitOfWork, unit: str, elements: Sequence[str], period: Period
) -> list[Period]:
    """The periods, other than `period`, for which the unit already filed one of `elements` and
    which overlap `period`, in calendar order."""
    if not elements:
        return []
    series = await uow.figures.series_of(unit, list(elements), period.year)
    clashes = {
        stored
        for values in series.values()
        for stored, _value in values
        if stored != period and stored.overlaps(period)
    }
    return sorted(clashes, key=lambda p: (p.first, p.last))


async def free_periods(
    uow: UnitOfWork, unit: str, elements: Sequence[str], periods: Sequence[Period]
) -> list[Period]:
    """Those of `periods` the unit may report without clashing with figures already filed."""
    by_year: dict[int, list[tuple[Period, int]]] = {}
    for year in {p.year for p in periods}:
        series = await uow.figures.series_of(unit, list(elements), year) if elements else {}
        by_year[year] = [item for values in series.values() for item in values]
    return [
        p
        for p in periods
        if not any(stored != p and stored.overlaps(p) for stored, _v in by_year[p.year])
    ]


def figures_moved(plan: Plan, answers: Mapping[str, int], shown: Mapping[str, int]) -> list[str]:
    """The answered elements whose stored value is no longer the one the person was shown
    (`shown`, the stored values when the summary was made): someone saved meanwhile."""
    stored: dict[str, int | None] = {c.element: c.old for c in plan.changes}
    stored.update({code: answers[code] for code in plan.unchanged})
    return [code for code in answers if stored.get(code) != shown.get(code)]


async def correctable_periods(
    uow: UnitOfWork, unit: str, elements: Sequence[str], period: Period
) -> list[Period]:
    """The periods whose figures one corrects to change what `period` shows: `period` itself
    if the unit filed for it (or filed nothing within it), else those filed within it (the
    months of a quarter reported month by month), in calendar order."""
    if not elements:
        return [period]
    series = await uow.figures.series_of(unit, list(elements), period.year)
    filed = {stored for values in series.values() for stored, _value in values}
    if period in filed:
        return [period]
    within = sorted(
        (p for p in filed if p.first >= period.first and p.last <= period.last),
        key=lambda p: (p.first, p.last),
    )
    return within or [period]


# --- figures sent as a file -------------------------------------------------------------------


class NotYourUnitsError(DomainError):
    """A file that would change the figures of units the person does not report for."""

    def __init__(self, units: Sequence[str]) -> None:
        super().__init__(f"the file changes the figures of {', '.join(units)}")
        self.units = list(units)


@dataclass(frozen=True, slots=True)
class FileGroup:
    """The figures a file gives one unit for one period, with the values stored when checked."""

    unit: str
    period: Period
    values: dict[str, int]
    notes: dict[str, str | None]
    old: dict[str, int | None]  # the stored value of each changed element, as shown

    @property
    def changed(self) -> dict[str, int]:
        return {code: self.values[code] for code in self.old}


async def check_file(
    uow: UnitOfWork,
    catalogues: Catalogues,
    path: Path,
    folder: Path,
    may_change: Callable[[str], bool],
) -> list[FileGroup]:
    """What the file would change, checked as `chitieu figures import` checks it (all rows or
    none: ImportRejectedError), refused with NotYourUnitsError if it changes the figures of a
    unit `may_change` refuses (rows repeating what is stored are let through: an exported
    district's workbook holds its communes' rows). `folder` takes a converted copy of a
    workbook whose figures are not on its first sheet (the one /export makes)."""
    plans = await plan_import(ReadOnce(uow, catalogues), readable(path, folder), catalogues)
    foreign = sorted({p.unit for p, _c, _n in plans if p.changes and not may_change(p.unit)})
    if foreign:
        raise NotYourUnitsError(foreign)
    return [
        FileGroup(
            plan.unit,
            plan.period,
            {c.element: c.new for c in plan.changes}
            | {code: v for code in plan.unchanged if (v := plan.values.get(code)) is not None},
            notes,
            {c.element: c.old for c in plan.changes},
        )
        for plan, _catalogue, notes in plans
    ]


class _SeriesReadOnce(_PendingFigures):
    """The figure store with each unit's year of figures read once (every element at once):
    the checks of a file's many (unit, period) groups then cost one query per unit and year
    instead of two per group. For reading only: nothing is written through it."""

    def __init__(self, store: FigureStore, catalogues: Catalogues) -> None:
        super().__init__(store)
        self.catalogues = catalogues
        self.cache: dict[tuple[str, int], dict[str, list[tuple[Period, int]]]] = {}

    async def _year(self, unit: str, year: int) -> dict[str, list[tuple[Period, int]]]:
        key = (unit, year)
        if key not in self.cache:
            codes = list(self.catalogues.for_year(year).elements)
            self.cache[key] = await self.store.series_of(unit, codes, year)
        return self.cache[key]

    async def series_of(
        self, unit: str, elements: Sequence[str], year: int
    ) -> dict[str, list[tuple[Period, int]]]:
        series = await self._year(unit, year)
        missing = [code for code in elements if code not in series]
        if missing:  # not an element of that year's catalogue: ask the store
            series = {**series, **await self.store.series_of(unit, missing, year)}
        return {code: series.get(code, []) for code in elements}

    async def current_of(self, unit: str, period: Period) -> dict[str, int]:
        series = await self._year(unit, period.year)
        return {code: v for code, values in series.items() for p, v in values if p == period}


class ReadOnce(PendingTotals):
    """`uow` for checking many groups of figures: each unit's year of figures read once."""

    def __init__(self, uow: UnitOfWork, catalogues: Catalogues) -> None:
        super().__init__(uow)
        self._figures = _SeriesReadOnce(uow.figures, catalogues)


def readable(path: Path, folder: Path) -> Path:
    """`path`, or for a workbook whose first sheet lacks the import columns, its first sheet
    that has them (unit, element, period, value in the first row) as a CSV in `folder`."""
    if path.suffix.lower() != ".xlsx":
        return path
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - any unreadable workbook is the sender's problem
        raise DomainError(f"{path.name}: not a workbook that can be read ({error})") from None
    try:
        for index, sheet in enumerate(book.worksheets):
            rows = sheet.iter_rows(values_only=True)
            header = [str(c or "").strip().lower() for c in next(rows, ())]
            if not all(column in header for column in REQUIRED_COLUMNS):
                continue
            if index == 0:
                return path
            copy = folder / (path.stem + ".csv")
            with copy.open("w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(header)
                writer.writerows([_cell(c) for c in row] for row in rows)
            return copy
    finally:
        book.close()
    return path  # the import's reading names the missing columns


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


async def replan(
    uow: UnitOfWork, catalogues: Catalogues, groups: Sequence[FileGroup]
) -> list[FileGroup]:
    """The groups again, with the values stored now (after someone saved meanwhile)."""
    fresh = []
    for group in groups:
        catalogue = catalogues.for_year(group.period.year)
        plan = await plan_submission(uow, catalogue, group.unit, group.period, group.values)
        old = {c.element: c.old for c in plan.changes}
        fresh.append(FileGroup(group.unit, group.period, group.values, group.notes, old))
    return fresh


@dataclass(frozen=True, slots=True)
class FileSaved:
    revisions: list[Revision]
    moved: list[tuple[str, Period, str]]  # (unit, period, element) stored since the check


async def save_file(
    uow: UnitOfWork,
    catalogues: Catalogues,
    groups: Sequence[FileGroup],
    author: Author,
    file_name: str,
    now: datetime,
    alerts: SubmissionCheck | None = None,
) -> FileSaved:
    """Save the groups checked by `check_file` through /submit's plan, each revision's reason
    naming the file (and the row's note); nothing if a figure moved since the check (the
    caller then rolls back and shows the new summary) or a rule now fails
    (RejectedSubmissionError). The caller commits."""
    planned: list[tuple[Plan, Catalogue, FileGroup]] = []
    moved: list[tuple[str, Period, str]] = []
    # held in unit order (two writers never wait on each other crosswise), before any check
    await uow.figures.lock_units(sorted({group.unit for group in groups}))
    for group in groups:
        catalogue = catalogues.for_year(group.period.year)
        plan = await plan_submission(uow, catalogue, group.unit, group.period, group.values)
        now_old = {c.element: c.old for c in plan.changes}
        if now_old != group.old:
            moved.extend(
                (group.unit, group.period, code)
                for code in sorted(set(now_old) | set(group.old))
                if now_old.get(code, -1) != group.old.get(code, -1)
            )
        planned.append((plan, catalogue, group))
    if moved:
        return FileSaved([], moved)
    revisions: list[Revision] = []
    for plan, catalogue, group in planned:
        by_reason: dict[str, list[str]] = {}
        for change in plan.changes:
            note = group.notes.get(change.element)
            reason = f"{file_name}: {note}" if note else file_name
            by_reason.setdefault(reason, []).append(change.element)
        for reason, codes in by_reason.items():
            part = Plan(
                plan.unit,
                plan.period,
                [c for c in plan.changes if c.element in codes],
                [],
                plan.values,
            )
            revisions.extend(
                await apply_plan(
                    uow, catalogue, part, author, Source.IMPORT, reason, now, alerts=alerts
                )
            )
    return FileSaved(revisions, [])


__all__ = [
    "FILE_SUFFIXES",
    "MAX_FILE_BYTES",
    "FileGroup",
    "FileSaved",
    "NotYourUnitsError",
    "RejectedSubmissionError",
    "check_file",
    "clashing_periods",
    "correctable_periods",
    "figures_moved",
    "free_periods",
    "readable",
    "replan",
    "save_file",
]

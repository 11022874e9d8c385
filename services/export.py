"""The quarterly report of a unit's subtree, as plain data for a workbook or a CSV file.

    report = await build_report(uow, catalogue, "dak-glei", Period.parse("2022-Q2"), now)

One sheet per section of the annex: the units judged on the section's indicators as rows (the
unit itself, then its children, then the children of each child grouped under it, and so on),
each with the lines `chitieu status` gives for it. Then the Government Office's form for
dossiers: received (total, online, in person or by post) and resolved (total, early, on time,
late) per unit, from the same totals. Every line is `evaluate_unit` on the unit's totals, the
very computation behind `unit_status`: the report and `chitieu status` cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from kpi.aggregate import Figure
from kpi.catalogue import Catalogue, Section
from kpi.evaluation import Line, UnitTotals, evaluate_unit
from kpi.indicators import Indicator
from kpi.periods import Period
from kpi.units import Level, Unit, UnitTree
from services.ports import UnitOfWork

LineKey = tuple[str, Level | None]  # (indicator code, level of a by-level line, or None)


# The Government Office's form for dossiers, read from these data elements.
RECEIVED = "dossiers_received"
RECEIVED_ONLINE = "dossiers_received_online"
RESOLVED = "dossiers_resolved"
RESOLVED_EARLY = "dossiers_resolved_early"
RESOLVED_ON_TIME = "dossiers_resolved_on_time"
RESOLVED_LATE = "dossiers_resolved_late"
DOSSIER_ELEMENTS = (
    RECEIVED,
    RECEIVED_ONLINE,
    RESOLVED,
    RESOLVED_EARLY,
    RESOLVED_ON_TIME,
    RESOLVED_LATE,
)


@dataclass(frozen=True, slots=True)
class Column:
    """One line of an indicator, shown as a group of columns: the indicator, and the level of
    units it covers when its targets differ by level (V.1), else None."""

    indicator: Indicator
    level: Level | None

    @property
    def key(self) -> LineKey:
        return (self.indicator.code, self.level)


@dataclass(frozen=True, slots=True)
class UnitRow:
    """A unit of the report with its lines on one section's indicators."""

    unit: Unit
    depth: int  # 0 for the report's unit, 1 for its children...
    lines: Mapping[LineKey, Line]


@dataclass(frozen=True, slots=True)
class SectionSheet:
    section: Section
    columns: tuple[Column, ...]
    rows: tuple[UnitRow, ...]


@dataclass(frozen=True, slots=True)
class DossierRow:
    """A unit's dossiers for the period, summed over its subtree (None: nothing reported)."""

    unit: Unit
    depth: int
    received: int | None
    received_online: int | None
    resolved: int | None
    resolved_early: int | None
    resolved_on_time: int | None
    resolved_late: int | None

    @property
    def received_in_person_or_post(self) -> int | None:
        """Received otherwise than online: the total less those received online."""
        if self.received is None:
            return None
        return self.received - (self.received_online or 0)


@dataclass(frozen=True, slots=True)
class Report:
    catalogue: Catalogue
    unit: Unit
    period: Period
    generated_at: datetime  # aware
    sections: tuple[SectionSheet, ...]  # sections without any unit judged are left out
    dossiers: tuple[DossierRow, ...]
    # the figures filed within the period by the units of the report, as the import reads them
    # (edited and sent back to the bot, the workbook corrects them)
    figures: tuple[Figure, ...] = ()


def report_units(tree: UnitTree, code: str) -> list[tuple[Unit, int]]:
    """The unit, its children, then each child's children grouped under it (level by level):
    what a provincial office reads: itself, the units it oversees side by side, then theirs."""
    root = tree.get(code)
    ordered: list[tuple[Unit, int]] = [(root, 0)]
    parents = [(root, 0)]
    while parents:
        parent, depth = parents.pop(0)
        children = [(child, depth + 1) for child in tree.children(parent.code)]
        ordered.extend(children)
        parents.extend(children)
    return ordered


def element_total(totals: UnitTotals, element: str) -> int | None:
    """An element's value over the unit's subtree (every contributing level); None when no unit
    reported it."""
    found = [t for (code, _level), t in totals.items() if code == element and t.reporters]
    return sum(t.value for t in found) if found else None


def section_sheets(
    catalogue: Catalogue, units: Sequence[tuple[Unit, int]], lines: Mapping[str, list[Line]]
) -> tuple[SectionSheet, ...]:
    sheets = []
    for section in catalogue.sections:
        rows = []
        columns: dict[LineKey, Column] = {}
        for unit, depth in units:
            mine = {
                (line.indicator.code, line.level): line
                for line in lines[unit.code]
                if line.indicator.section == section.code
            }
            if not mine:
                continue
            rows.append(UnitRow(unit, depth, mine))
            for key, line in mine.items():
                columns.setdefault(key, Column(line.indicator, line.level))
        if not rows:
            continue
        order = {code: i for i, code in enumerate(catalogue.indicators)}
        ordered = sorted(
            columns.values(),
            key=lambda c: (
                order[c.indicator.code],
                -1 if c.level is None else catalogue.units.level_order.index(c.level),
            ),
        )
        sheets.append(SectionSheet(section, tuple(ordered), tuple(rows)))
    return tuple(sheets)


def dossier_rows(
    catalogue: Catalogue, units: Sequence[tuple[Unit, int]], totals: Mapping[str, UnitTotals]
) -> tuple[DossierRow, ...]:
    """Units whose subtree reports dossiers (by the elements' levels), with their sums."""
    reporting = {
        level
        for code in DOSSIER_ELEMENTS
        if code in catalogue.elements
        for level in catalogue.elements[code].levels
    }
    rows = []
    for unit, depth in units:
        if not reporting & set(catalogue.units.levels_in_subtree(unit.code)):
            continue
        mine = totals.get(unit.code, {})
        values = [element_total(mine, code) for code in DOSSIER_ELEMENTS]
        rows.append(DossierRow(unit, depth, *values))
    return tuple(rows)


async def build_report(
    uow: UnitOfWork, catalogue: Catalogue, unit_code: str, period: Period, now: datetime
) -> Report:
    """The report of `unit_code`'s subtree for `period`, from one read of its units' totals."""
    tree = catalogue.units
    units = report_units(tree, unit_code)
    totals = await uow.figures.totals_of_units([u.code for u, _ in units], period)
    lines = {u.code: evaluate_unit(catalogue, u, totals.get(u.code, {})) for u, _ in units}
    order = {u.code: i for i, (u, _depth) in enumerate(units)}
    elements = {code: i for i, code in enumerate(catalogue.elements)}
    figures = sorted(
        (
            f
            for f in await uow.figures.current_figures(period.year)
            if f.unit in order and period.first <= f.period.first and f.period.last <= period.last
        ),
        key=lambda f: (order[f.unit], f.period.first, f.period.last, elements.get(f.element, 0)),
    )
    return Report(
        catalogue=catalogue,
        unit=tree.get(unit_code),
        period=period,
        generated_at=now,
        sections=section_sheets(catalogue, units, lines),
        dossiers=dossier_rows(catalogue, units, totals),
        figures=tuple(figures),
    )


__all__ = [
    "DOSSIER_ELEMENTS",
    "Column",
    "DossierRow",
    "LineKey",
    "Report",
    "SectionSheet",
    "UnitRow",
    "build_report",
    "dossier_rows",
    "element_total",
    "report_units",
    "section_sheets",
]

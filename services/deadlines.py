"""A unit's report deadlines in a catalogue year: when each is due and whether it is made."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kpi.catalogue import Catalogue
from kpi.periods import Period
from kpi.reporting import Series, missing
from services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class Deadline:
    """One report due: its period, the day it is due and what is still missing."""

    period: Period
    due: date
    days_left: int  # negative: overdue by that many days
    reported: bool
    missing: list[str]  # element codes, in the order of the unit's form

    @property
    def overdue(self) -> bool:
        return self.days_left < 0 and not self.reported


async def deadlines_for(
    uow: UnitOfWork, catalogue: Catalogue, unit_code: str, today: date
) -> list[Deadline]:
    """The reports of the catalogue year the unit has still to think about, the next one first.

    Every report due today or later (made or not), then the overdue ones not yet made, the most
    recent first; past reports already made are left out. A unit asked for nothing (no
    indicator judges it) has no deadlines.
    """
    unit = catalogue.units.get(unit_code)
    elements = catalogue.elements_for(unit)
    if not elements:
        return []
    required = [e.code for e in elements]
    latest = {e.code for e in elements if e.latest_wins}
    figures: dict[str, Series] = {
        code: await uow.figures.series(unit.code, code, catalogue.year) for code in required
    }
    calendar = catalogue.calendar
    coming: list[Deadline] = []
    overdue: list[Deadline] = []
    for period in calendar.due_periods(catalogue.year):
        due = calendar.deadline(period, unit.level)
        lacking = missing(required, figures, period, latest=latest)
        deadline = Deadline(period, due, (due - today).days, not lacking, lacking)
        if deadline.days_left >= 0:
            coming.append(deadline)
        elif not deadline.reported:
            overdue.append(deadline)
    return sorted(coming, key=lambda d: d.due) + sorted(overdue, key=lambda d: d.due, reverse=True)

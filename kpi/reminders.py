"""Reminders before and after a report's deadline, escalation up the tree, and the provincial
summary: when each goes out and to which units. Pure: the caller says who has reported.

Every report due (Q1, H1, 9M, the year) has, for each level that reports figures, a series of
fire times at `on_day_at` local time: `days_before` days before the level's deadline, on the day,
and `days_after` days after it (7, 3 and 1 before, the day, 1 and 3 after, by default).

- a reminder goes to every unit of the level that has not reported the period;
- after the deadline, each district also hears which of its communes have not (escalation);
- after the last deadline of the levels below the province, the provincial office gets the
  summary: how many of all those units have not reported, and which.

A fire time stays useful until the next one of its series (the last: for a day), so a fire
time missed while the bot was down is made up on start while it is useful, and never later.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from kpi.catalogue import Catalogue, ReminderSettings
from kpi.periods import Period
from kpi.units import Level, Unit

LAST_USEFUL = timedelta(days=1)  # how long the last fire time of a series stays useful


class SlotKind(StrEnum):
    REMINDERS = "reminders"  # the units of one level (and, after the deadline, escalation)
    SUMMARY = "summary"  # the provincial office: every unit below the province


@dataclass(frozen=True, slots=True)
class Slot:
    """One fire time: the reminders of one report for one level, or the summary."""

    kind: SlotKind
    period: Period
    level: Level | None  # None for the summary
    offset: int  # days from the deadline: -7, -3, -1, 0, +1, +3
    deadline: date
    at: datetime  # aware, local time
    until: datetime  # useful until then (exclusive): the next fire time of its series

    @property
    def name(self) -> str:
        """Stable: "reminders:2022-Q1:district:-7", "summary:2022-Q1:+1"."""
        if self.level is None:
            return f"{self.kind}:{self.period.key}:{self.offset:+d}"
        return f"{self.kind}:{self.period.key}:{self.level}:{self.offset:+d}"

    @property
    def after_deadline(self) -> bool:
        return self.offset > 0

    def useful(self, now: datetime) -> bool:
        """Due and not yet stale."""
        return self.at <= now < self.until


def offsets(settings: ReminderSettings) -> list[int]:
    """Days from the deadline, in order: [-7, -3, -1, 0, 1, 3] by default."""
    before = sorted({-d for d in settings.days_before if d > 0})
    after = sorted({d for d in settings.days_after if d > 0})
    return [*before, 0, *after]


def _series(
    kind: SlotKind,
    period: Period,
    level: Level | None,
    deadline: date,
    days: Sequence[int],
    at: time,
    zone: tzinfo,
) -> list[Slot]:
    moments = [datetime.combine(deadline + timedelta(days=d), at, tzinfo=zone) for d in days]
    ends = [*moments[1:], moments[-1] + LAST_USEFUL] if moments else []
    return [
        Slot(kind, period, level, d, deadline, moment, end)
        for d, moment, end in zip(days, moments, ends, strict=True)
    ]


def reporting_levels(catalogue: Catalogue) -> list[Level]:
    """The levels present in the tree with a unit asked for some figure (kpi.scope)."""
    asking = {u.level for u in catalogue.units if catalogue.elements_for(u)}
    present = catalogue.units.levels_in_subtree(catalogue.units.root.code)
    return [level for level in present if level in asking]


def summary_deadline(catalogue: Catalogue, period: Period) -> date | None:
    """The last deadline of the levels below the province: the summary counts from it."""
    root = catalogue.units.root.level
    levels = [lvl for lvl in reporting_levels(catalogue) if lvl != root]
    if not levels:
        return None
    return max(catalogue.calendar.deadline(period, lvl) for lvl in levels)


def slots(catalogue: Catalogue, zone: tzinfo) -> list[Slot]:
    """Every fire time of the catalogue year, in time order."""
    calendar = catalogue.calendar
    settings = calendar.reminders
    days = offsets(settings)
    after = [d for d in days if d > 0]
    found: list[Slot] = []
    for period in calendar.due_periods(catalogue.year):
        for level in reporting_levels(catalogue):
            deadline = calendar.deadline(period, level)
            found.extend(
                _series(
                    SlotKind.REMINDERS, period, level, deadline, days, settings.on_day_at, zone
                )
            )
        last = summary_deadline(catalogue, period)
        if last is not None and after:
            found.extend(
                _series(SlotKind.SUMMARY, period, None, last, after, settings.on_day_at, zone)
            )
    return sorted(found, key=lambda s: (s.at, s.name))


def due_slots(all_slots: Iterable[Slot], now: datetime) -> list[Slot]:
    """The fire times due at `now` that are still useful (at most one per series)."""
    return [s for s in all_slots if s.useful(now)]


@dataclass(frozen=True, slots=True)
class Overdue:
    """Units that have not reported a period after their deadline, with how many were due."""

    period: Period
    units: tuple[Unit, ...]  # in tree order
    due: int  # units expected to report


@dataclass(frozen=True, slots=True)
class SlotPlan:
    """What one fire time sends: reminders to units, escalations to parents, a summary."""

    slot: Slot
    reminders: tuple[Unit, ...] = ()  # units of the slot's level that have not reported
    escalations: Mapping[str, tuple[Unit, ...]] | None = None  # parent → its overdue units
    summary: Overdue | None = None


def plan_slot(catalogue: Catalogue, slot: Slot, reported: Collection[str]) -> SlotPlan:
    """Who hears what at `slot`, given the codes of the units that have reported its period."""
    tree = catalogue.units
    if slot.kind is SlotKind.SUMMARY:
        root = tree.root
        levels = set(reporting_levels(catalogue)) - {root.level}
        expected = [
            u
            for u in tree
            if u.level in levels and u.code != root.code and catalogue.elements_for(u)
        ]
        late = tuple(u for u in expected if u.code not in reported)
        return SlotPlan(slot, summary=Overdue(slot.period, late, len(expected)))
    late = tuple(
        u
        for u in tree
        if u.level == slot.level and u.code not in reported and catalogue.elements_for(u)
    )
    escalations: dict[str, tuple[Unit, ...]] | None = None
    if slot.after_deadline and slot.level in tree.level_order and tree.levels is not None:
        escalates = tree.levels.get(slot.level).escalates
    else:
        escalates = False
    if escalates:
        grouped: dict[str, list[Unit]] = {}
        for unit in late:
            if unit.parent is not None:
                grouped.setdefault(unit.parent, []).append(unit)
        escalations = {parent: tuple(units) for parent, units in grouped.items()}
    return SlotPlan(slot, late, escalations)

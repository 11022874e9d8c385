"""Submitting figures: checked against the catalogue and its rules, kept as revisions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from kpi.aggregate import Total, TotalKey, total_changes
from kpi.catalogue import Catalogue
from kpi.each_unit import counter_changes, each_unit_indicators
from kpi.errors import FigureError
from kpi.evaluation import UnitTotals
from kpi.periods import Period
from kpi.revisions import Author, Revision, Source
from kpi.rules import RuleViolation, violations
from kpi.scope import judges
from kpi.units import Level
from services.pending_totals import PendingTotals
from services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a figure cannot be kept; `code` is stable for translation."""

    code: str  # not_reported_by_level | invalid_value | overlaps | rule
    message: str
    element: str | None = None
    violation: RuleViolation | None = None


class RejectedSubmissionError(FigureError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Change:
    element: str
    old: int | None
    new: int


@dataclass(slots=True)
class Plan:
    """What a submission would do: the changes, and the values the rules were checked on."""

    unit: str
    period: Period
    changes: list[Change] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    values: dict[str, int | None] = field(default_factory=dict)

    @property
    def is_correction(self) -> bool:
        return any(c.old is not None for c in self.changes)


async def plan_submission(
    uow: UnitOfWork,
    catalogue: Catalogue,
    unit_code: str,
    period: Period,
    values: Mapping[str, int],
) -> Plan:
    """Check `values` for one unit and period; raise RejectedSubmissionError with every problem."""
    unit = catalogue.units.get(unit_code)
    problems: list[Problem] = []
    plan = Plan(unit.code, period)
    allowed: list[tuple[str, int]] = []
    asked = catalogue.elements_for(unit)  # kpi.scope: what the indicators judging it read
    asked_codes = {e.code for e in asked}
    for code, value in values.items():
        element = catalogue.element(code)
        if code not in asked_codes:
            problems.append(
                Problem(
                    "not_reported_by_level",
                    f"{code} is not asked of {unit.code} (a {unit.level} unit):"
                    " no indicator that judges it reads it",
                    code,
                )
            )
            continue
        try:
            element.check_value(value)
        except FigureError as error:
            problems.append(Problem("invalid_value", str(error), code))
            continue
        allowed.append((code, value))
    stored = await uow.figures.series_of(unit.code, [code for code, _ in allowed], period.year)
    for code, value in allowed:
        series = stored[code]
        clash = next((p for p, _ in series if p != period and p.overlaps(period)), None)
        if clash is not None:
            problems.append(
                Problem(
                    "overlaps",
                    f"{code} is already reported for {clash.key}, which overlaps {period.key};"
                    f" correct {clash.key} instead",
                    code,
                )
            )
            continue
        old = next((v for p, v in series if p == period), None)
        if old == value:
            plan.unchanged.append(code)
        else:
            plan.changes.append(Change(code, old, value))
    # the rules see the new values over the unit's other current values for the same period
    current = await uow.figures.current_of(unit.code, period)
    for element in asked:
        plan.values[element.code] = current.get(element.code)
    plan.values.update(values)
    problems.extend(
        Problem("rule", v.rule.message.en, None, v)
        for v in violations(catalogue.rules, plan.values)
    )
    if problems:
        raise RejectedSubmissionError(problems)
    return plan


async def apply_plan(
    uow: UnitOfWork,
    catalogue: Catalogue,
    plan: Plan,
    author: Author,
    source: Source,
    reason: str | None,
    now: datetime,
    *,
    alerts: SubmissionCheck | None = None,
) -> list[Revision]:
    """Record the plan's changes as revisions and move the totals; the caller commits.
    `alerts` (services.alerts.SubmissionAlerts) then judges the unit and its ancestors and
    queues the alerts in the same transaction."""
    # the totals' changes are written last, just before the caller commits: the rows of the
    # units above (the province's) are locked from then on, not while the alerts are judged
    pending = PendingTotals(uow)
    await _move_totals(pending, catalogue, plan)
    revisions = await uow.figures.add_revisions(
        [
            Revision(plan.unit, c.element, plan.period, c.new, author, source, now, reason)
            for c in plan.changes
        ]
    )
    if alerts is not None and plan.changes:
        await alerts(pending, catalogue, plan.unit, plan.period, now)
    await pending.flush()
    return revisions


async def preview_plan(uow: UnitOfWork, catalogue: Catalogue, plan: Plan) -> UnitOfWork:
    """`uow` as it would read once the plan is saved: the totals moved in memory, nothing
    written (no revision, no row locked), for the summary before Confirm."""
    pending = PendingTotals(uow)
    await _move_totals(pending, catalogue, plan)
    return pending


async def _move_totals(pending: PendingTotals, catalogue: Catalogue, plan: Plan) -> None:
    """Move the totals of the plan's unit and of the units above it by the plan's changes,
    and the counters of units meeting a binding indicator, held in `pending`."""
    unit = catalogue.units.get(plan.unit)
    changed = {c.element for c in plan.changes}
    judged = [
        i
        for i in each_unit_indicators(catalogue)
        if judges(catalogue, i, unit) and changed & set(i.elements)
    ]
    periods = plan.period.supersets() if judged else ()
    verdicts_before = {p: await _own_totals(pending, unit.code, unit.level, p) for p in periods}
    series = await pending.figures.series_of(
        plan.unit, [c.element for c in plan.changes], plan.period.year
    )
    moved: list[tuple[TotalKey, Total]] = []
    for change in plan.changes:
        before = series[change.element]
        after = [(p, v) for p, v in before if p != plan.period] + [(plan.period, change.new)]
        moved.extend(
            total_changes(
                catalogue.units, catalogue.element(change.element), plan.unit, before, after
            )
        )
    await pending.figures.add_to_totals(moved)
    counted: list[tuple[TotalKey, Total]] = []
    for period, own_before in verdicts_before.items():
        own_after = await _own_totals(pending, unit.code, unit.level, period)
        counted.extend(
            counter_changes(catalogue, unit, period.key, own_before, own_after, changed)
        )
    if counted:
        await pending.figures.add_to_totals(counted)


class SubmissionCheck(Protocol):
    """What runs after a submission's changes, in its transaction (the alert check)."""

    async def __call__(
        self, uow: UnitOfWork, catalogue: Catalogue, unit: str, period: Period, now: datetime
    ) -> int: ...


async def _own_totals(uow: UnitOfWork, unit: str, level: Level, period: Period) -> UnitTotals:
    """The unit's own figures for `period`, as totals (its row at its own level)."""
    totals = await uow.figures.totals(unit, period)
    return {key: total for key, total in totals.items() if key[1] == level}


async def submit_figures(
    unit_of_work: Callable[[], UnitOfWork],
    catalogue: Catalogue,
    unit_code: str,
    period: Period,
    values: Mapping[str, int],
    author: Author,
    source: Source,
    reason: str | None = None,
    now: datetime | None = None,
    *,
    alerts: SubmissionCheck | None = None,
) -> tuple[Plan, list[Revision]]:
    """Check and save one unit's figures for one period, all or nothing."""
    async with unit_of_work() as uow:
        plan = await plan_submission(uow, catalogue, unit_code, period, values)
        revisions = await apply_plan(
            uow, catalogue, plan, author, source, reason, now or datetime.now(UTC), alerts=alerts
        )
        await uow.commit()
    return plan, revisions

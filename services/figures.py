"""Submitting figures: checked against the catalogue and its rules, kept as revisions."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from kpi.aggregate import Total, TotalKey, total_changes
from kpi.catalogue import Catalogue
from kpi.each_unit import counter_changes, each_unit_indicators
from kpi.errors import FigureError
from kpi.periods import Period
from kpi.revisions import Author, Revision, Source
from kpi.rules import RuleViolation, violations
from kpi.scope import judges
from kpi.units import Unit
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
    planned = (await plan_periods(uow, catalogue, unit_code, {period: values}))[period]
    if isinstance(planned, RejectedSubmissionError):
        raise planned
    return planned


async def plan_periods(
    uow: UnitOfWork,
    catalogue: Catalogue,
    unit_code: str,
    submissions: Mapping[Period, Mapping[str, int]],
) -> dict[Period, Plan | RejectedSubmissionError]:
    """`plan_submission` for several periods of one unit and one year (an import), on one
    read of the unit's figures: by period, its plan or why it is refused. Each period is
    checked against the figures stored, not against the others given with it."""
    unit = catalogue.units.get(unit_code)
    years = {period.year for period in submissions}
    if len(years) != 1:
        raise ValueError("plan_periods takes the periods of one year")
    for values in submissions.values():
        for code in values:
            catalogue.element(code)  # an unknown element is an error, as it always was
    asked_elements = [e.code for e in catalogue.elements_for(unit)]  # kpi.scope
    codes = set(asked_elements)
    codes.update(code for values in submissions.values() for code in values)
    stored = await uow.figures.series_of(unit.code, sorted(codes), years.pop())
    planned: dict[Period, Plan | RejectedSubmissionError] = {}
    for period, values in submissions.items():
        try:
            planned[period] = _plan(catalogue, unit, asked_elements, period, values, stored)
        except RejectedSubmissionError as rejected:
            planned[period] = rejected
    return planned


def _plan(
    catalogue: Catalogue,
    unit: Unit,
    asked_elements: Sequence[str],
    period: Period,
    values: Mapping[str, int],
    stored: Mapping[str, list[tuple[Period, int]]],
) -> Plan:
    """The checks of a submission, on the unit's stored figures of the year (by element: every
    element asked of it, `asked_elements`, and every one submitted)."""
    problems: list[Problem] = []
    plan = Plan(unit.code, period)
    allowed: list[tuple[str, int]] = []
    asked_codes = set(asked_elements)
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
    for code, value in allowed:
        series = stored[code]
        clash = next((p for p, _ in series if p.overlaps(period) and p != period), None)
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
    for code in asked_elements:
        plan.values[code] = next((v for p, v in stored.get(code, ()) if p == period), None)
    plan.values.update(values)
    problems.extend(
        Problem("rule", v.rule.message.en, None, v)
        for v in violations(catalogue.rules, plan.values)
    )
    if problems:
        raise RejectedSubmissionError(problems)
    return plan


async def plan_for_saving(
    uow: UnitOfWork,
    catalogue: Catalogue,
    unit_code: str,
    period: Period,
    values: Mapping[str, int],
) -> Plan:
    """`plan_submission` in a unit of work that will save it: the unit's figures are locked
    first (`FigureStore.lock_units`), so that another writer of the unit (a second person
    confirming, an import) waits for this one's commit and then checks against its figures;
    the checks and the totals read here see what this unit of work changes."""
    await uow.figures.lock_units([catalogue.units.get(unit_code).code])
    return await plan_submission(uow, catalogue, unit_code, period, values)


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
    The plan was made by `plan_for_saving` in the same unit of work.
    `alerts` (services.alerts.SubmissionAlerts) then judges the unit and its ancestors and
    queues the alerts in the same transaction."""
    # the totals' changes are written last, just before the caller commits: the rows of the
    # units above (the province's) are locked from then on, not while the alerts are judged
    pending = PendingTotals(uow)
    await _move_totals(pending, catalogue, [plan])
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


async def apply_plans(
    uow: UnitOfWork,
    catalogue: Catalogue,
    plans: Sequence[Plan],
    author: Author,
    source: Source,
    now: datetime,
    reasons: Mapping[tuple[Period, str], str | None],
    *,
    pending: PendingTotals | None = None,
) -> int:
    """`apply_plan` for the plans of one unit and one year (made by `plan_periods` after
    `lock_units`), with a reason by period and element (an import's notes): the totals moved
    once for all; how many revisions were made. With `pending` (on `uow`), the totals' changes
    are held there for the caller to flush before it commits (several units' at once)."""
    changed = [plan for plan in plans if plan.changes]
    if not changed:
        return 0
    held = PendingTotals(uow) if pending is None else pending
    await _move_totals(held, catalogue, changed)
    revisions = await uow.figures.add_revisions(
        [
            Revision(
                plan.unit,
                c.element,
                plan.period,
                c.new,
                author,
                source,
                now,
                reasons.get((plan.period, c.element)),
            )
            for plan in changed
            for c in plan.changes
        ]
    )
    if pending is None:
        await held.flush()
    return len(revisions)


async def preview_plan(uow: UnitOfWork, catalogue: Catalogue, plan: Plan) -> UnitOfWork:
    """`uow` as it would read once the plan is saved: the totals moved in memory, nothing
    written (no revision, no row locked), for the summary before Confirm."""
    pending = PendingTotals(uow)
    await _move_totals(pending, catalogue, [plan])
    return pending


async def _move_totals(
    pending: PendingTotals, catalogue: Catalogue, plans: Sequence[Plan]
) -> None:
    """Move the totals of the plans' unit (one unit, one year) and of the units above it by
    the plans' changes, and the counters of units meeting a binding indicator, held in
    `pending`: each element's figures of the year read once, its totals moved once."""
    if not plans:
        return
    unit = catalogue.units.get(plans[0].unit)
    year = plans[0].period.year
    new_values: dict[str, dict[Period, int]] = {}
    for plan in plans:
        for change in plan.changes:
            new_values.setdefault(change.element, {})[plan.period] = change.new
    changed = set(new_values)
    judged = [
        i
        for i in each_unit_indicators(catalogue)
        if judges(catalogue, i, unit) and changed & set(i.elements)
    ]
    periods = sorted({p for plan in plans for p in plan.period.supersets()}) if judged else []
    verdicts_before = {
        period: {key: total for key, total in totals.items() if key[1] is unit.level}
        for period, totals in (await pending.figures.totals_of_periods(unit.code, periods)).items()
    }
    series = await pending.figures.series_of(unit.code, list(new_values), year)
    moved: list[tuple[TotalKey, Total]] = []
    for element, values in new_values.items():
        before = series[element]
        after = [(p, v) for p, v in before if p not in values] + list(values.items())
        moved.extend(
            total_changes(catalogue.units, catalogue.element(element), unit.code, before, after)
        )
    await pending.figures.add_to_totals(moved)
    # the unit's own rows after: those before, moved by the changes just held (no read)
    own_moves: dict[str, list[tuple[str, Total]]] = {}
    for (target, period_key, element, level), step in moved:
        if target == unit.code and level is unit.level:
            own_moves.setdefault(period_key, []).append((element, step))
    counted: list[tuple[TotalKey, Total]] = []
    for period, own_before in verdicts_before.items():
        own_after = dict(own_before)
        for element, step in own_moves.get(period.key, ()):
            known = own_after.get((element, unit.level))
            total = step if known is None else known + step
            if total.reporters:  # as the store reads them: totals nobody reports are absent
                own_after[element, unit.level] = total
            else:
                own_after.pop((element, unit.level), None)
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
        plan = await plan_for_saving(uow, catalogue, unit_code, period, values)
        revisions = await apply_plan(
            uow, catalogue, plan, author, source, reason, now or datetime.now(UTC), alerts=alerts
        )
        await uow.commit()
    return plan, revisions

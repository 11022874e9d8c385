"""Attainment: rate, status and how many more items are needed, in exact arithmetic."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction
from functools import cache

from kpi.indicators import NeededMode


class Status(StrEnum):
    MET = "met"
    BELOW_TARGET = "below_target"
    BELOW_FLOOR = "below_floor"
    NO_DATA = "no_data"
    NOTHING_AROSE = "nothing_arose"  # reported, but 0 of 0: nothing to judge (not "no data")
    NO_TARGET = "no_target"

    @property
    def severity(self) -> int:
        """0 for met or untracked, 1 below target, 2 below floor: higher is worse."""
        return {Status.BELOW_TARGET: 1, Status.BELOW_FLOOR: 2}.get(self, 0)


UNJUDGED = frozenset({Status.NO_DATA, Status.NOTHING_AROSE, Status.NO_TARGET})


@cache
def percent_fraction(percent: Decimal) -> Fraction:
    """99 (percent, as a Decimal) → Fraction(99, 100)."""
    return Fraction(percent) / 100


@dataclass(frozen=True, slots=True)
class Attainment:
    """Where a unit (or a line of units) stands on one indicator for one period."""

    numerator: int | None
    denominator: int | None
    target: Decimal | None
    floor: Decimal | None
    status: Status
    needed: int | None
    reachable: bool
    units_judged: int | None = None  # each-unit indicators: units with data
    units_met: int | None = None
    not_answered: int | None = None  # coverage: units judged that have not answered yet

    @property
    def rate(self) -> Fraction | None:
        """numerator / denominator, exact; None without data."""
        if self.numerator is None or not self.denominator:
            return None
        return Fraction(self.numerator, self.denominator)

    def rate_percent(self, decimals: int = 2) -> Decimal | None:
        """The rate in percent, rounded half-up to `decimals`."""
        rate = self.rate
        return None if rate is None else round_percent(rate, decimals)

    def display_decimals(self, minimum: int = 2, maximum: int = 6) -> int:
        """Decimals enough that a rate below its target (or floor) never reads as equal."""
        rate = self.rate
        if rate is None:
            return minimum
        decimals = minimum
        for limit in (self.target, self.floor):
            if limit is None or rate >= percent_fraction(limit):
                continue
            while decimals < maximum and round_percent(rate, decimals) >= limit:
                decimals += 1
        return decimals


def round_percent(rate: Fraction, decimals: int) -> Decimal:
    exact = Decimal(rate.numerator * 100) / Decimal(rate.denominator)
    quantum = Decimal(1).scaleb(-decimals)
    # Decimal division above keeps 28 significant digits: far beyond any display.
    return exact.quantize(quantum, rounding=ROUND_HALF_UP)


def needed_to_reach(
    numerator: int, denominator: int, target: Fraction, mode: NeededMode
) -> tuple[int | None, bool]:
    """How many more items, all good, lift numerator/denominator to `target`.

    ADD: the least whole x with (a + x) / (b + x) ≥ t, i.e. ceil((t·b − a) / (1 − t)); with
    t = 100 % and a < b no x exists: the target is no longer reachable in this period.
    CONVERT: the least whole x ≤ b − a with (a + x) / b ≥ t, i.e. ceil(t·b − a).
    Returns (needed, reachable); needed is None when unreachable.
    """
    p, q = target.numerator, target.denominator  # t = p / q, in lowest terms
    if denominator > 0 and numerator * q >= p * denominator:
        return 0, True
    short = p * denominator - q * numerator  # (t·b − a)·q, > 0 here
    if mode is NeededMode.CONVERT:
        return max(0, -(-short // q)), True
    if p >= q:
        return (0, True) if numerator >= denominator else (None, False)
    return max(0, -(-short // (q - p))), True  # ceil(((t·b − a)·q) / ((1 − t)·q))


def judge(
    numerator: int | None,
    denominator: int | None,
    target: Decimal | None,
    floor: Decimal | None,
    mode: NeededMode,
) -> Attainment:
    """The attainment of one unit or line from its raw sums."""
    has_data = numerator is not None and bool(denominator)
    if target is None:
        return Attainment(numerator, denominator, None, floor, Status.NO_TARGET, None, True)
    if denominator == 0 and not numerator:  # reported, and nothing arose (0 of 0)
        return Attainment(numerator, denominator, target, floor, Status.NOTHING_AROSE, None, True)
    if not has_data:
        return Attainment(numerator, denominator, target, floor, Status.NO_DATA, None, True)
    assert numerator is not None
    assert denominator is not None
    goal = percent_fraction(target)
    # integer cross-multiplication: no Fraction is built on the common path (the sweep)
    below_target = numerator * goal.denominator < goal.numerator * denominator
    needed: int | None = 0
    reachable = True
    if below_target:
        needed, reachable = needed_to_reach(numerator, denominator, goal, mode)
    if floor is not None and below_target:
        limit = percent_fraction(floor)
        below_floor = numerator * limit.denominator < limit.numerator * denominator
    else:
        below_floor = False
    if below_floor:
        status = Status.BELOW_FLOOR
    elif below_target:
        status = Status.BELOW_TARGET
    else:
        status = Status.MET
    return Attainment(numerator, denominator, target, floor, status, needed, reachable)


def judge_each(aggregate: Attainment, units: Sequence[Attainment]) -> Attainment:
    """An aggregate line of an indicator that binds every unit separately, from the units'
    own attainments (the counted form, kept as totals, is `judge_counts`)."""
    judged = [u for u in units if u.status not in UNJUDGED]
    return judge_counts(
        aggregate,
        len(judged),
        sum(u.status is Status.MET for u in judged),
        sum(u.status is Status.BELOW_FLOOR for u in judged),
        sum(u.needed or 0 for u in judged),
        sum(not u.reachable for u in judged),
    )


def judge_counts(
    aggregate: Attainment,
    judged: int,
    met: int,
    below_floor: int,
    needed: int,
    unreachable: int,
) -> Attainment:
    """An aggregate line of an indicator that binds every unit, from the units' counts: the rate
    shown is the aggregate's; the status is the worst of the units' (met only when every unit
    with data meets); `needed` sums what the units below target need."""
    if aggregate.target is None:
        return aggregate
    if not judged:
        status = (
            Status.NOTHING_AROSE if aggregate.status is Status.NOTHING_AROSE else Status.NO_DATA
        )
        reachable, total_needed = True, None
    else:
        status = (
            Status.BELOW_FLOOR
            if below_floor
            else Status.MET
            if met == judged
            else Status.BELOW_TARGET
        )
        reachable = unreachable == 0
        total_needed = needed if reachable else None
    return Attainment(
        aggregate.numerator,
        aggregate.denominator,
        aggregate.target,
        aggregate.floor,
        status,
        total_needed,
        reachable,
        judged,
        met,
        aggregate.not_answered,
    )

"""Pace to target (Article 2.1 of the decision): the year's target spread into a roadmap of
milestones, whether a unit is on pace, and where its year ends at the current pace.

Exact arithmetic throughout (Fraction and int); rates are fractions of 1, targets percentages as
Decimal (as in kpi.attainment).

A milestone is the year-to-date rate expected by the cut-off of a reporting month (1..12). The
even roadmap (the default; monthly, or quarterly at months 3, 6, 9, 12) spreads the target
according to what the indicator measures, read from its NeededMode:

- CONVERT, a *state* built up during the year (procedures put online, units offering a
  service): linear from the starting point at the start of the year to the target at the end of
  month 12, where the starting point is the indicator's 2021 baseline rate (the level's variant
  baseline on a by-level line). Without a baseline below the target there is nothing to ramp
  from: flat. Row I.1 (an increase over the baseline) is the case the ramp is made for.
- ADD, a *share of the year's flow* (dossiers, payments): flat, the target at every milestone.
  Every item of the year counts the same in the year's share, so the share must stay at the
  target all year for the year to end there; a ramp would call a unit "on pace" that is bound
  to miss.

A custom roadmap (set by a unit head) gives its own milestones; its last must reach the target.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction

from kpi.attainment import Attainment, needed_to_reach, percent_fraction
from kpi.errors import CountError
from kpi.indicators import Indicator, NeededMode
from kpi.periods import Period
from kpi.units import Level

MONTHS = 12
MONTHLY: tuple[int, ...] = tuple(range(1, MONTHS + 1))
QUARTERLY: tuple[int, ...] = (3, 6, 9, 12)
BASIS_POINTS = 10_000  # a stored milestone is a whole number of hundredths of a percent
MAX_DECIMALS = 2  # a milestone typed by a person: at most 2 decimals of a percent


def line_key(indicator: str, level: Level | None) -> str:
    """The key of a unit's line of an indicator: "III.2", or "V.1@commune" on a by-level line."""
    return indicator if level is None else f"{indicator}@{level}"


# --- roadmaps ---------------------------------------------------------------------------------


class Cadence(StrEnum):
    MONTHLY = "monthly"  # even, a milestone every month (the default)
    QUARTERLY = "quarterly"  # even, a milestone every quarter
    CUSTOM = "custom"  # milestones set by the unit's head


class Spread(StrEnum):
    RAMP = "ramp"  # linear from the starting point to the target
    FLAT = "flat"  # the target at every milestone


@dataclass(frozen=True, slots=True)
class Milestone:
    month: int  # reporting month of the year (1..12): due by its cut-off
    rate: Fraction  # the year-to-date rate expected by then, a fraction of 1


@dataclass(frozen=True, slots=True)
class Roadmap:
    """The milestones of one line for one year, months increasing, the last at month 12."""

    cadence: Cadence
    milestones: tuple[Milestone, ...]

    def __post_init__(self) -> None:
        months = [m.month for m in self.milestones]
        if not months or months[-1] != MONTHS or months != sorted(set(months)) or months[0] < 1:
            raise ValueError(f"milestone months {months} must increase and end at {MONTHS}")
        if any(not 0 <= m.rate <= 1 for m in self.milestones):
            raise ValueError("a milestone is a rate between 0 and 100 %")

    def due(self, elapsed: int) -> Milestone:
        """The milestone due by the end of month `elapsed`: the latest one passed, or the first
        (the one being worked toward) while none has passed."""
        passed = [m for m in self.milestones if m.month <= elapsed]
        return passed[-1] if passed else self.milestones[0]

    @property
    def year_end(self) -> Milestone:
        return self.milestones[-1]


def spread_of(mode: NeededMode, start: Fraction | None, target: Fraction) -> Spread:
    """How the even roadmap spreads the target (see the module's docstring)."""
    if mode is NeededMode.CONVERT and start is not None and start < target:
        return Spread.RAMP
    return Spread.FLAT


def even_rate(month: int, target: Fraction, start: Fraction | None, mode: NeededMode) -> Fraction:
    """The even roadmap's rate by the end of `month`: start + (target − start)·month/12, or the
    target where the spread is flat."""
    if spread_of(mode, start, target) is Spread.FLAT or start is None:
        return target
    return start + (target - start) * Fraction(month, MONTHS)


def even_roadmap(
    target: Fraction,
    start: Fraction | None = None,
    mode: NeededMode = NeededMode.ADD,
    cadence: Cadence = Cadence.MONTHLY,
) -> Roadmap:
    """The even roadmap: monthly (the default) or quarterly."""
    months = QUARTERLY if cadence is Cadence.QUARTERLY else MONTHLY
    return Roadmap(
        Cadence.QUARTERLY if cadence is Cadence.QUARTERLY else Cadence.MONTHLY,
        tuple(Milestone(m, even_rate(m, target, start, mode)) for m in months),
    )


def starting_point(indicator: Indicator, level: Level | None = None) -> Fraction | None:
    """Where a state indicator's ramp starts: its 2021 baseline rate (the level's variant's on a
    by-level line), from the raw counts, else as printed; None without one."""
    baseline = indicator.baseline
    if level is not None:
        variant = next((v for v in indicator.variants if v.level == level), None)
        if variant is not None and variant.baseline is not None:
            baseline = variant.baseline
    if baseline is None:
        return None
    if baseline.rate is not None:
        return baseline.rate
    printed = baseline.printed_percent
    return None if printed is None else percent_fraction(printed)


@dataclass(frozen=True, slots=True)
class RoadmapSetting:
    """What a unit's head chose for one line and year, as stored.

    No milestones: even monthly (the default, nothing stored). Milestones whose rate is None:
    the even rate at those months (even quarterly is months 3, 6, 9, 12 with None). Otherwise a
    custom roadmap, rates in whole basis points.
    """

    milestones: tuple[tuple[int, Fraction | None], ...] = ()

    @classmethod
    def even_monthly(cls) -> RoadmapSetting:
        return cls()

    @classmethod
    def even_quarterly(cls) -> RoadmapSetting:
        return cls(tuple((m, None) for m in QUARTERLY))

    @classmethod
    def custom(cls, months: Sequence[int], percents: Sequence[Decimal]) -> RoadmapSetting:
        return cls(tuple((m, Fraction(p) / 100) for m, p in zip(months, percents, strict=True)))

    @property
    def cadence(self) -> Cadence:
        if not self.milestones:
            return Cadence.MONTHLY
        if all(rate is None for _, rate in self.milestones):
            months = tuple(m for m, _ in self.milestones)
            return Cadence.QUARTERLY if months == QUARTERLY else Cadence.CUSTOM
        return Cadence.CUSTOM


def resolve(
    setting: RoadmapSetting | None,
    target: Fraction,
    start: Fraction | None,
    mode: NeededMode,
) -> Roadmap:
    """The roadmap a line is judged on: the setting's, else even monthly."""
    if setting is None or not setting.milestones:
        return even_roadmap(target, start, mode)
    return Roadmap(
        setting.cadence,
        tuple(
            Milestone(m, even_rate(m, target, start, mode) if rate is None else rate)
            for m, rate in setting.milestones
        ),
    )


def to_basis_points(rate: Fraction) -> int:
    """A stored milestone: 0.625 → 6250; refuses a rate finer than a basis point."""
    scaled = rate * BASIS_POINTS
    if scaled.denominator != 1:
        raise ValueError(f"{rate} is not a whole number of basis points")
    return scaled.numerator


def from_basis_points(value: int) -> Fraction:
    return Fraction(value, BASIS_POINTS)


# --- milestones typed by a person -------------------------------------------------------------


class MilestoneProblem(StrEnum):
    EMPTY = "empty"
    NOT_A_PERCENT = "not_a_percent"
    WRONG_DECIMAL_MARK = "wrong_decimal_mark"  # "62.5" typed in Vietnamese
    TOO_PRECISE = "too_precise"  # more than two decimals
    OUT_OF_RANGE = "out_of_range"  # below 0 or above 100
    DECREASING = "decreasing"  # below the milestone before it
    BELOW_TARGET = "below_target"  # the year-end milestone below the year's target


_PERCENT = re.compile(r"^(?P<number>[+-]?\d+(?:[.,]\d+)?)\s*%?$")


def parse_percent(text: str, decimal_mark: str = ",") -> Decimal:
    """A percentage typed by a person: "62,5", "62,5 %", "70" (Vietnamese: the comma is the
    decimal mark; "62.5" is refused rather than read as 625). Raises CountError whose `reason`
    is a MilestoneProblem value."""
    stripped = text.strip().replace("\u00a0", " ")
    if not stripped:
        raise CountError(MilestoneProblem.EMPTY, text)
    match = _PERCENT.match(stripped)
    if match is None:
        raise CountError(MilestoneProblem.NOT_A_PERCENT, text)
    number = match.group("number")
    other = "." if decimal_mark == "," else ","
    if other in number:
        raise CountError(MilestoneProblem.WRONG_DECIMAL_MARK, text)
    try:
        value = Decimal(number.replace(decimal_mark, "."))
    except InvalidOperation as error:  # pragma: no cover - the pattern admits only numbers
        raise CountError(MilestoneProblem.NOT_A_PERCENT, text) from error
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_DECIMALS:
        raise CountError(MilestoneProblem.TOO_PRECISE, text)
    if not 0 <= value <= 100:
        raise CountError(MilestoneProblem.OUT_OF_RANGE, text)
    return value


def check_milestone(
    value: Decimal, previous: Decimal | None, *, last: bool, target: Decimal | None
) -> MilestoneProblem | None:
    """Milestones never decrease (a roadmap climbs toward its target, or holds it), and the
    year-end milestone reaches the year's target at least."""
    if not 0 <= value <= 100:
        return MilestoneProblem.OUT_OF_RANGE
    if previous is not None and value < previous:
        return MilestoneProblem.DECREASING
    if last and target is not None and value < target:
        return MilestoneProblem.BELOW_TARGET
    return None


def check_milestones(values: Sequence[Decimal], target: Decimal | None) -> MilestoneProblem | None:
    """The first problem of a whole custom roadmap (values in milestone order), or None."""
    previous = None
    for index, value in enumerate(values):
        problem = check_milestone(value, previous, last=index == len(values) - 1, target=target)
        if problem is not None:
            return problem
        previous = value
    return None


# --- pace -------------------------------------------------------------------------------------


class PaceStatus(StrEnum):
    ON_PACE = "on_pace"  # the year-to-date rate is at the milestone due, or above
    BEHIND = "behind"  # below the milestone due
    UNREACHABLE = "unreachable"  # the year's target can no longer be reached at all
    NO_DATA = "no_data"  # nothing reported yet, or no month of the year has ended


class ProjectionBasis(StrEnum):
    """What a year-end projection extrapolates (said beside it: "theo nhịp quý 1/2022")."""

    RECENT = "recent"  # the run-rate of the recent stretch (the last quarter ended)
    YEAR = "year"  # the run-rate of the year so far
    GROWTH = "growth"  # a state's monthly growth since its starting point
    FLAT = "flat"  # a state without a known starting point: today's level held


@dataclass(frozen=True, slots=True)
class RunRate:
    """A recent stretch of the year (e.g. the last quarter ended): its sums and length."""

    numerator: int
    denominator: int
    months: int


@dataclass(frozen=True, slots=True)
class Pace:
    """Where a line stands against its roadmap, and where its year ends at the current pace."""

    status: PaceStatus
    elapsed: int  # reporting months of the year ended
    milestone: Milestone  # due by now
    cadence: Cadence  # of the roadmap the milestone is from
    target: Fraction
    rate: Fraction | None  # year to date
    projected_numerator: Fraction | None
    projected_denominator: Fraction | None
    reachable: bool
    basis: ProjectionBasis = ProjectionBasis.YEAR  # what the projection extrapolates

    @property
    def projected_rate(self) -> Fraction | None:
        if self.projected_numerator is None or not self.projected_denominator:
            return None
        return self.projected_numerator / self.projected_denominator

    @property
    def projected_to_meet(self) -> bool | None:
        """Whether the year ends at the target or above at this pace (None without data)."""
        rate = self.projected_rate
        return None if rate is None else rate >= self.target


def months_elapsed(year: int, current_month: Period) -> int:
    """Reporting months of `year` whose cut-off has passed, seen from `current_month` (the
    reporting month that counts today): all 12 for a past year, none for a future one."""
    if current_month.year > year:
        return MONTHS
    if current_month.year < year:
        return 0
    return current_month.first - 1


def pace(
    numerator: int | None,
    denominator: int | None,
    elapsed: int,
    roadmap: Roadmap,
    target: Decimal,
    mode: NeededMode,
    *,
    start: Fraction | None = None,
    recent: RunRate | None = None,
) -> Pace:
    """Pace of one line from its year-to-date sums after `elapsed` months (0..12).

    On pace: the year-to-date rate is at least the milestone due by now (`Roadmap.due`).
    Unreachable: `needed_to_reach` finds no way to the year's target (a 100 % target once one
    item is bad: one late dossier ends a 100 % on-time year).

    The year-end projection extrapolates the monthly run-rate over the months left, r = 12 − e:

    - ADD (a share of a flow): each side grows by its run-rate, N = a + r·(n / m) and
      D = b + r·(d / m), where n / d over m months is the `recent` stretch when given (and it
      has items), else the year so far (n, d, m = a, b, e; then the projected rate is today's).
    - CONVERT (a state): the denominator stays (the procedures are there), the numerator keeps
      its monthly growth since the starting point: N = min(b, a + r·g / e) with
      g = max(0, a − start·b); without a starting point, no growth is known and N = a.
    """
    goal = percent_fraction(target)
    elapsed = max(0, min(MONTHS, elapsed))
    milestone = roadmap.due(elapsed)
    if numerator is None or not denominator or elapsed == 0:
        return Pace(
            PaceStatus.NO_DATA,
            elapsed,
            milestone,
            roadmap.cadence,
            goal,
            None,
            None,
            None,
            reachable=True,
        )
    rate = Fraction(numerator, denominator)
    _needed, reachable = needed_to_reach(numerator, denominator, goal, mode)
    left = MONTHS - elapsed
    basis = ProjectionBasis.YEAR
    if mode is NeededMode.ADD:
        if recent is not None and recent.denominator > 0 and recent.months > 0:
            basis = ProjectionBasis.RECENT
            per_month = (
                Fraction(recent.numerator, recent.months),
                Fraction(recent.denominator, recent.months),
            )
        else:
            per_month = Fraction(numerator, elapsed), Fraction(denominator, elapsed)
        projected_numerator = numerator + left * per_month[0]
        projected_denominator = denominator + left * per_month[1]
    else:
        growth = (
            Fraction(0) if start is None else max(Fraction(0), numerator - start * denominator)
        )
        basis = ProjectionBasis.FLAT if start is None else ProjectionBasis.GROWTH
        projected_numerator = min(Fraction(denominator), numerator + growth * left / elapsed)
        projected_denominator = Fraction(denominator)
    if not reachable:
        status = PaceStatus.UNREACHABLE
    elif rate >= milestone.rate:
        status = PaceStatus.ON_PACE
    else:
        status = PaceStatus.BEHIND
    return Pace(
        status,
        elapsed,
        milestone,
        roadmap.cadence,
        goal,
        rate,
        projected_numerator,
        projected_denominator,
        reachable,
        basis,
    )


def line_pace(
    indicator: Indicator,
    level: Level | None,
    attainment: Attainment,
    elapsed: int,
    setting: RoadmapSetting | None = None,
    recent: RunRate | None = None,
    *,
    baseline: bool = True,
) -> Pace | None:
    """The pace of one line of a unit (its year-to-date attainment) against its roadmap (the
    stored setting, else even monthly); None for a line without a target.

    `baseline`: whether the indicator's 2021 baseline is this line's own starting point. The
    catalogue's baselines are the province's: pass False for any other unit, whose state lines
    are then spread flat and projected without growth (`services.status` does).
    """
    if attainment.target is None:
        return None
    mode = indicator.needed_mode
    start = starting_point(indicator, level) if baseline else None
    roadmap = resolve(setting, percent_fraction(attainment.target), start, mode)
    return pace(
        attainment.numerator,
        attainment.denominator,
        elapsed,
        roadmap,
        attainment.target,
        mode,
        start=start,
        recent=recent,
    )


__all__ = [
    "MONTHLY",
    "QUARTERLY",
    "Cadence",
    "Milestone",
    "MilestoneProblem",
    "Pace",
    "PaceStatus",
    "ProjectionBasis",
    "Roadmap",
    "RoadmapSetting",
    "RunRate",
    "Spread",
    "check_milestone",
    "check_milestones",
    "even_rate",
    "even_roadmap",
    "from_basis_points",
    "line_key",
    "line_pace",
    "months_elapsed",
    "pace",
    "parse_percent",
    "resolve",
    "spread_of",
    "starting_point",
    "to_basis_points",
]

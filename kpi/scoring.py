"""A preview of the annual reform scoring, and the ranking of units by indicators met.

Article 2.3 of the decision sends each unit's results to the provincial council that scores
administrative-procedure reform; the annex (row V.1, after Decision 1149/QĐ-BNV) says the one rule
it fixes: "below 95 % [of dossiers resolved on time in the year] there are no points". The
council's point table is not in the decision, so the preview counts each criterion (one line
that judges the unit) as 1 point and reads it this way:

- met (rate ≥ target): the full point;
- below target but at or above the floor: the share of the way from the floor to the target,
  (rate − floor) / (target − floor): a department at 98 % against 99 % with its 95 % floor
  scores 3/4. This proportional reading is ours (it is how the Ministry's methodology grades
  the ranges it scores); where an indicator has no floor, the target is all or nothing;
- below the floor: zero, whatever the other criteria;
- no data, or tracked without a target: not scored (and not counted as judged).

The ranking orders the units of one level by their score (the preview's points, most first),
then by the share of their judged criteria below the floor (fewest first), criteria met (most
first) and name; units of equal score share a rank, and the next score takes the place after
them (competition ranking: 1, 2, 2, 4). Units with no judged criterion at all are listed after
the ranked ones, unranked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from kpi.attainment import Attainment, Status, percent_fraction
from kpi.evaluation import Line
from kpi.units import Level, fold_name

FULL: Fraction = Fraction(1)
NONE: Fraction = Fraction(0)


def criterion_share(attainment: Attainment) -> Fraction | None:
    """The share of its point a criterion earns (0 to 1); None when it is not scored."""
    status = attainment.status
    if status is Status.MET:
        return FULL
    if status is Status.BELOW_FLOOR:
        return NONE
    if status is not Status.BELOW_TARGET:
        return None
    rate, target, floor = attainment.rate, attainment.target, attainment.floor
    if rate is None or target is None or floor is None:
        return NONE
    low, high = percent_fraction(floor), percent_fraction(target)
    if high <= low:
        return NONE
    return min(FULL, max(NONE, (rate - low) / (high - low)))


@dataclass(frozen=True, slots=True)
class Criterion:
    """One line that judges a unit, with the share of its point."""

    indicator: str
    level: Level | None
    status: Status
    share: Fraction | None  # None: not scored (no data, no target)


@dataclass(frozen=True, slots=True)
class UnitScore:
    """How a unit stands on the criteria that judge it, and the points they would give."""

    criteria: tuple[Criterion, ...]

    def _count(self, status: Status) -> int:
        return sum(1 for c in self.criteria if c.status is status)

    @property
    def met(self) -> int:
        return self._count(Status.MET)

    @property
    def below_target(self) -> int:
        return self._count(Status.BELOW_TARGET)

    @property
    def below_floor(self) -> int:
        return self._count(Status.BELOW_FLOOR)

    @property
    def no_data(self) -> int:
        return self._count(Status.NO_DATA)

    @property
    def judged(self) -> int:
        """Criteria with a target and data: met, below target or below floor."""
        return self.met + self.below_target + self.below_floor

    @property
    def points(self) -> Fraction:
        """The preview's points, one possible per judged criterion."""
        return sum((c.share for c in self.criteria if c.share is not None), NONE)

    @property
    def zeroed(self) -> tuple[Criterion, ...]:
        """The criteria below their floor: they score zero."""
        return tuple(c for c in self.criteria if c.status is Status.BELOW_FLOOR)

    @property
    def floor_breach_share(self) -> Fraction:
        """Criteria below the floor over judged criteria (0 when nothing is judged)."""
        return Fraction(self.below_floor, self.judged) if self.judged else NONE


def judging_lines(level: Level, lines: Sequence[Line]) -> list[Line]:
    """The lines that judge a unit of `level` itself (kpi.scope): its own lines, and on an
    indicator seen level by level (V.1) the line of its own level, not its communes'."""
    return [line for line in lines if line.own and (line.level is None or line.level == level)]


def score_unit(level: Level, lines: Sequence[Line]) -> UnitScore:
    """The unit's score from its status lines (services.status.unit_status or sweep)."""
    return UnitScore(
        tuple(
            Criterion(
                line.indicator.code,
                line.level,
                line.attainment.status,
                criterion_share(line.attainment),
            )
            for line in judging_lines(level, lines)
            if line.attainment.status is not Status.NO_TARGET
        )
    )


@dataclass(frozen=True, slots=True)
class Ranked:
    """A unit's place: `rank` is shared by units of equal score; None for a unit with nothing
    judged."""

    rank: int | None
    unit: str
    name: str
    score: UnitScore


def rank_units(entries: Sequence[tuple[str, str, UnitScore]]) -> list[Ranked]:
    """(unit code, name, score) in ranking order (see the module)."""
    judged = [e for e in entries if e[2].judged]
    unjudged = [e for e in entries if not e[2].judged]

    def order(entry: tuple[str, str, UnitScore]) -> tuple[Fraction, Fraction, int, str, str]:
        code, name, score = entry
        return (-score.points, score.floor_breach_share, -score.met, fold_name(name), code)

    ranked: list[Ranked] = []
    previous: Fraction | None = None
    rank = 0
    for position, (code, name, score) in enumerate(sorted(judged, key=order), start=1):
        standing = score.points
        if standing != previous:
            rank, previous = position, standing
        ranked.append(Ranked(rank, code, name, score))
    ranked.extend(
        Ranked(None, code, name, score)
        for code, name, score in sorted(unjudged, key=lambda e: (fold_name(e[1]), e[0]))
    )
    return ranked

"""Evaluation: a unit's lines of attainment on its indicators, from totals."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from kpi.aggregate import Total
from kpi.attainment import Attainment, judge, judge_counts
from kpi.catalogue import Catalogue
from kpi.indicators import Binding, Indicator, IndicatorKind
from kpi.units import Level, Unit

UnitTotals = Mapping[tuple[str, Level], Total]  # (element, contributing level) → total

# Counters of indicators that bind each unit, kept as totals (see kpi.each_unit).
COUNTERS = ("judged", "met", "below_target", "below_floor", "needed", "unreachable")


def counter_code(indicator: str, counter: str) -> str:
    return f"@{indicator}:{counter}"


def read_counter(indicator: str, counter: str, totals: UnitTotals, levels: Sequence[Level]) -> int:
    code = counter_code(indicator, counter)
    return sum(totals[(code, lvl)].value for lvl in levels if (code, lvl) in totals)


@dataclass(frozen=True, slots=True)
class Line:
    """One indicator for one unit; `level` is set when the line covers one level of units."""

    indicator: Indicator
    level: Level | None
    attainment: Attainment


def line_levels(catalogue: Catalogue, unit: Unit, indicator: Indicator) -> list[Level | None]:
    """The lines in which `unit` sees `indicator`: one, or one per level when targets differ."""
    present = [
        lvl for lvl in catalogue.units.levels_in_subtree(unit.code) if lvl in indicator.levels
    ]
    if not present:
        return []
    if indicator.targets_differ_by_level:
        return list(present)
    return [None]


def sums(
    indicator: Indicator,
    totals: UnitTotals,
    levels: Sequence[Level],
    own_only: Callable[[str], bool] = lambda _: False,
    own_level: Level | None = None,
) -> tuple[int | None, int | None]:
    """Numerator and denominator of `indicator` from totals of the given levels.

    Elements for which `own_only` holds are read at `own_level` alone (a stock that does not roll
    up, on a line that judges the unit itself).
    """

    def levels_of(code: str) -> Sequence[Level]:
        return [own_level] if own_level is not None and own_only(code) else levels

    def add(codes: Sequence[str], *, reporters: bool = False) -> int | None:
        found = [totals[(c, lvl)] for c in codes for lvl in levels_of(c) if (c, lvl) in totals]
        if not found or all(t.reporters == 0 for t in found):
            return None
        return sum(t.reporters if reporters else t.value for t in found)

    if indicator.kind is IndicatorKind.COVERAGE:
        assert indicator.flag is not None
        return add([indicator.flag]), add([indicator.flag], reporters=True)
    return add(indicator.numerator), add(indicator.denominator)


def evaluate_line(
    catalogue: Catalogue,
    unit: Unit,
    indicator: Indicator,
    level: Level | None,
    totals: UnitTotals,
) -> Line:
    subtree_levels = catalogue.units.levels_in_subtree(unit.code)
    judged_itself = unit.level in indicator.levels
    by_level = level is not None and indicator.targets_differ_by_level
    if by_level:
        assert level is not None
        levels = [level]  # one level of units against its own target
    elif judged_itself:
        levels = subtree_levels  # its own figures and, where the element says so, its subtree's
    else:
        levels = [lvl for lvl in subtree_levels if lvl in indicator.levels]  # a subtree's view

    def own_only(code: str) -> bool:
        return (
            judged_itself and not by_level and not catalogue.elements[code].aggregates_over_subtree
        )

    numerator, denominator = sums(indicator, totals, levels, own_only, unit.level)
    target = indicator.target_for(level or unit.level, unit, catalogue.settings.increase_reading)
    if level is None and unit.level not in indicator.levels and indicator.target.by_level:
        target = None
    attainment = judge(numerator, denominator, target, indicator.floor, indicator.needed_mode)
    if indicator.binding is Binding.EACH_UNIT:
        judged_levels = [lvl for lvl in levels if lvl in indicator.levels]

        def count(counter: str) -> int:
            return read_counter(indicator.code, counter, totals, judged_levels)

        attainment = judge_counts(
            attainment,
            count("judged"),
            count("met"),
            count("below_floor"),
            count("needed"),
            count("unreachable"),
        )
    return Line(indicator, level, attainment)


def evaluate_unit(catalogue: Catalogue, unit: Unit, totals: UnitTotals) -> list[Line]:
    """Every line of `unit`, in catalogue order."""
    return [
        evaluate_line(catalogue, unit, indicator, level, totals)
        for indicator in catalogue.indicators_for(unit)
        for level in line_levels(catalogue, unit, indicator)
    ]


def own_attainment(
    catalogue: Catalogue, unit: Unit, indicator: Indicator, own: UnitTotals
) -> Attainment:
    """`unit` judged on its own figures alone (for indicators that bind each unit)."""
    numerator, denominator = sums(indicator, own, [unit.level])
    target = indicator.target_for(unit.level, unit, catalogue.settings.increase_reading)
    return judge(numerator, denominator, target, indicator.floor, indicator.needed_mode)

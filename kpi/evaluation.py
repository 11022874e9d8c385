"""Evaluation: a unit's lines of attainment on its indicators, from totals."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from kpi.aggregate import Total
from kpi.attainment import Attainment, judge, judge_each
from kpi.catalogue import Catalogue
from kpi.indicators import Binding, Indicator, IndicatorKind
from kpi.units import Level, Unit

UnitTotals = Mapping[tuple[str, Level], Total]  # (element, contributing level) → total


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
    each_unit: Callable[[Indicator], Sequence[Attainment]] | None = None,
) -> Line:
    levels = (
        [level]
        if level is not None and indicator.targets_differ_by_level
        else [
            lvl for lvl in catalogue.units.levels_in_subtree(unit.code) if lvl in indicator.levels
        ]
    )
    numerator, denominator = sums(indicator, totals, levels)
    target = indicator.target_for(level or unit.level, unit, catalogue.settings.increase_reading)
    if level is None and unit.level not in indicator.levels and indicator.target.by_level:
        target = None
    attainment = judge(numerator, denominator, target, indicator.floor, indicator.needed_mode)
    if indicator.binding is Binding.EACH_UNIT and each_unit is not None:
        attainment = judge_each(attainment, each_unit(indicator))
    return Line(indicator, level, attainment)


def evaluate_unit(
    catalogue: Catalogue,
    unit: Unit,
    totals: UnitTotals,
    each_unit: Callable[[Indicator], Sequence[Attainment]] | None = None,
) -> list[Line]:
    """Every line of `unit`, in catalogue order."""
    return [
        evaluate_line(catalogue, unit, indicator, level, totals, each_unit)
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

"""Evaluation: a unit's lines of attainment on its indicators, from totals."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from kpi.aggregate import Total
from kpi.attainment import Attainment, judge, judge_counts
from kpi.catalogue import Catalogue
from kpi.indicators import Binding, Indicator, IndicatorKind
from kpi.scope import judged_count, judged_levels, judges, judging
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
    """One indicator for one unit; `level` is set when the line covers one level of units;
    `own` when the line judges the unit itself (not only units of its subtree)."""

    indicator: Indicator
    level: Level | None
    attainment: Attainment
    own: bool = True


def line_levels(catalogue: Catalogue, unit: Unit, indicator: Indicator) -> list[Level | None]:
    """The lines in which `unit` sees `indicator`: one, or one per level of the units judged
    when the catalogue says so (targets that differ by level, or `by_level`)."""
    present = judged_levels(catalogue, unit, indicator)
    if not present:
        return []
    if indicator.lines_by_level:
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


Key = tuple[str, Level]
# An element read by the catalogue's `own_or_children` rule: the unit's own total when it filed
# one, else its children's (the levels below it that the indicator judges).
Choice = tuple[Key, tuple[Key, ...]]


@dataclass(frozen=True, slots=True)
class LinePlan:
    """How to read one line from a unit's totals; the same for every unit of one shape."""

    indicator: Indicator
    level: Level | None
    numerator: tuple[Key, ...]
    denominator: tuple[Key, ...]
    coverage: bool  # the denominator counts the units judged (kpi.scope.judged_count)
    target: Decimal | None
    target_level: Level | None
    judged_levels: tuple[Level, ...]  # each-unit indicators: whose counters are read
    numerator_choices: tuple[Choice, ...] = ()
    denominator_choices: tuple[Choice, ...] = ()
    own: bool = True  # the line judges the unit itself


def plan_line(
    catalogue: Catalogue, unit: Unit, indicator: Indicator, level: Level | None
) -> LinePlan:
    """Which totals a line of `unit` reads: the subtree's, a level's, or the unit's own."""
    subtree_levels = catalogue.units.levels_in_subtree(unit.code)
    in_scope = judged_levels(catalogue, unit, indicator)
    judged_itself = judges(catalogue, indicator, unit)
    by_level = level is not None and indicator.lines_by_level
    if by_level:
        assert level is not None
        levels = [level]  # one level of units against its own target
    elif judged_itself:
        levels = subtree_levels  # its own figures and, where the element says so, its subtree's
    else:
        levels = [lvl for lvl in subtree_levels if lvl in in_scope]  # a subtree's view
    below = [lvl for lvl in subtree_levels if lvl != unit.level]  # its children's sum

    def keys(codes: Sequence[str]) -> tuple[tuple[Key, ...], tuple[Choice, ...]]:
        plain: list[Key] = []
        choices: list[Choice] = []
        for code in codes:
            own_or_children = (
                judged_itself
                and not by_level
                and not catalogue.elements[code].aggregates_over_subtree
            )
            if own_or_children:
                choices.append(((code, unit.level), tuple((code, lvl) for lvl in below)))
            else:
                plain.extend((code, lvl) for lvl in levels)
        return tuple(plain), tuple(choices)

    coverage = indicator.kind is IndicatorKind.COVERAGE
    if coverage:
        assert indicator.flag is not None
        numerator = denominator = keys([indicator.flag])
    else:
        numerator, denominator = keys(indicator.numerator), keys(indicator.denominator)
    target_level = level or unit.level
    target = indicator.target_for(target_level, None, catalogue.settings.increase_reading)
    if level is None and not judged_itself and indicator.target.by_level:
        target = None
    judged = tuple(lvl for lvl in levels if lvl in in_scope)
    own = judged_itself and (level is None or level == unit.level)
    return LinePlan(
        indicator,
        level,
        numerator[0],
        denominator[0],
        coverage,
        target,
        target_level,
        judged,
        numerator[1],
        denominator[1],
        own,
    )


_PLANS: dict[int, tuple[Catalogue, dict[tuple[object, ...], tuple[LinePlan, ...]]]]
_PLANS = {}
_SHAPES: dict[int, tuple[Catalogue, dict[str, tuple[object, ...]]]] = {}


def _shape(catalogue: Catalogue, unit: Unit) -> tuple[object, ...]:
    """What a unit's plans depend on: its level, the levels below it, and which indicators
    judge it and which levels of its subtree each judges."""
    entry = _SHAPES.get(id(catalogue))
    if entry is None or entry[0] is not catalogue:
        entry = (catalogue, {})
        _SHAPES[id(catalogue)] = entry
    shape = entry[1].get(unit.code)
    if shape is None:
        shape = (
            unit.level,
            tuple(catalogue.units.levels_in_subtree(unit.code)),
            tuple(i.code for i in judging(catalogue, unit)),
            tuple(
                (i.code, tuple(judged_levels(catalogue, unit, i)))
                for i in catalogue.indicators_for(unit)
            ),
        )
        entry[1][unit.code] = shape
    return shape


def plans_for(catalogue: Catalogue, unit: Unit) -> tuple[LinePlan, ...]:
    """The lines of `unit`, planned once per catalogue and shape (see `_shape`)."""
    entry = _PLANS.get(id(catalogue))
    if entry is None or entry[0] is not catalogue:
        entry = (catalogue, {})
        _PLANS[id(catalogue)] = entry
    shape = _shape(catalogue, unit)
    plans = entry[1].get(shape)
    if plans is None:
        plans = tuple(
            plan_line(catalogue, unit, indicator, level)
            for indicator in catalogue.indicators_for(unit)
            for level in line_levels(catalogue, unit, indicator)
        )
        entry[1][shape] = plans
    return plans


def _read(
    keys: tuple[Key, ...], choices: tuple[Choice, ...], totals: UnitTotals, reporters: bool
) -> int | None:
    value = 0
    seen = False
    for key in keys:
        total = totals.get(key)
        if total is not None:
            seen = seen or total.reporters != 0
            value += total.reporters if reporters else total.value
    for own, children in choices:
        total = totals.get(own)
        if total is not None and total.reporters:
            seen = True
            value += total.reporters if reporters else total.value
            continue
        for key in children:
            total = totals.get(key)
            if total is not None:
                seen = seen or total.reporters != 0
                value += total.reporters if reporters else total.value
    return value if seen else None


def evaluate_plan(catalogue: Catalogue, unit: Unit, plan: LinePlan, totals: UnitTotals) -> Line:
    indicator = plan.indicator
    target = plan.target
    if unit.code in indicator.target.unit_targets and target is not None:
        target = indicator.target_for(plan.target_level, unit, catalogue.settings.increase_reading)
    if plan.coverage:
        # units whose flag is yes, over every unit judged; a unit that has not answered is
        # not yet covered
        judged = judged_count(catalogue, unit, indicator, plan.judged_levels)
        answered = _read(plan.denominator, plan.denominator_choices, totals, reporters=True) or 0
        yes = _read(plan.numerator, plan.numerator_choices, totals, reporters=False)
        attainment = judge(
            yes if answered else None, judged, target, indicator.floor, indicator.needed_mode
        )
        attainment = replace(attainment, not_answered=max(0, judged - answered))
    else:
        numerator = _read(plan.numerator, plan.numerator_choices, totals, reporters=False)
        denominator = _read(plan.denominator, plan.denominator_choices, totals, reporters=False)
        attainment = judge(numerator, denominator, target, indicator.floor, indicator.needed_mode)
    if indicator.binding is Binding.EACH_UNIT:

        def count(counter: str) -> int:
            return read_counter(indicator.code, counter, totals, plan.judged_levels)

        attainment = judge_counts(
            attainment,
            count("judged"),
            count("met"),
            count("below_floor"),
            count("needed"),
            count("unreachable"),
        )
    return Line(indicator, plan.level, attainment, plan.own)


def evaluate_line(
    catalogue: Catalogue,
    unit: Unit,
    indicator: Indicator,
    level: Level | None,
    totals: UnitTotals,
) -> Line:
    return evaluate_plan(catalogue, unit, plan_line(catalogue, unit, indicator, level), totals)


def evaluate_unit(catalogue: Catalogue, unit: Unit, totals: UnitTotals) -> list[Line]:
    """Every line of `unit`, in catalogue order."""
    return [evaluate_plan(catalogue, unit, plan, totals) for plan in plans_for(catalogue, unit)]


def own_attainment(
    catalogue: Catalogue, unit: Unit, indicator: Indicator, own: UnitTotals
) -> Attainment:
    """`unit` judged on its own figures alone (for indicators that bind each unit)."""
    numerator, denominator = sums(indicator, own, [unit.level])
    target = indicator.target_for(unit.level, unit, catalogue.settings.increase_reading)
    return judge(numerator, denominator, target, indicator.floor, indicator.needed_mode)

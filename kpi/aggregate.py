"""Aggregation of figures over periods and over the unit tree.

A unit's own value for a period P comes from its figures whose period lies within P: flows are
summed, stocks and flags take the latest (the figure whose period ends last). Every unit's own
value is added into the totals of the unit and of each of its ancestors, under the level of the
unit it came from: key (unit, period, element, level). A unit's own value is then its row at its
own level (levels strictly descend in the tree), a level's aggregate is its row at that level,
and whether a stock "rolls up" is decided when totals are read (kpi.evaluation), not here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kpi.elements import DataElement
from kpi.periods import Period
from kpi.units import Level, UnitTree


@dataclass(frozen=True, slots=True)
class Figure:
    """The current value of one data element for one unit and period."""

    unit: str
    element: str
    period: Period
    value: int


@dataclass(frozen=True, slots=True)
class Total:
    """A subtree's value of one element for one period, from the units at one level.

    `value` is the sum (for flags, the number of units that said yes); `reporters` the number
    of units that contributed a figure.
    """

    value: int
    reporters: int

    def __add__(self, other: Total) -> Total:
        return Total(self.value + other.value, self.reporters + other.reporters)


TotalKey = tuple[str, str, str, Level]  # unit code, period key, element code, level


def own_value(
    element: DataElement, figures: Iterable[tuple[Period, int]], within: Period
) -> int | None:
    """The unit's own value of `element` over `within`, from its (period, value) figures."""
    inside = [(p, v) for p, v in figures if within.contains(p)]
    if not inside:
        return None
    if element.latest_wins:
        return max(inside, key=lambda pv: (pv[0].last, -pv[0].first))[1]
    return sum(v for _, v in inside)


def own_values(element: DataElement, figures: list[tuple[Period, int]]) -> dict[Period, int]:
    """The unit's own value for every canonical period that has data (figures of one year):
    `own_value` of each, each figure visited once (it counts in the periods containing it)."""
    if element.latest_wins:
        latest: dict[Period, tuple[tuple[int, int], int]] = {}
        for period, value in figures:
            rank = (period.last, -period.first)
            for within in period.supersets():
                known = latest.get(within)
                if known is None or rank > known[0]:
                    latest[within] = (rank, value)
        return {within: value for within, (_, value) in latest.items()}
    sums: dict[Period, int] = {}
    for period, value in figures:
        for within in period.supersets():
            sums[within] = sums.get(within, 0) + value
    return sums


def contributions(
    tree: UnitTree, element: DataElement, unit: str, value: int | None
) -> list[tuple[str, Total]]:
    """The (unit, total) pairs to which `unit`'s own value contributes."""
    if value is None:
        return []
    del element  # every kind is added up the tree; reading decides what counts
    total = Total(value, 1)
    return [(code, total) for code in (unit, *(a.code for a in tree.ancestors(unit)))]


def rollup(
    tree: UnitTree,
    elements: Mapping[str, DataElement],
    figures: Iterable[Figure],
    successors: Mapping[str, str] | None = None,
) -> dict[TotalKey, Total]:
    """Every total, computed from scratch (the reference for incremental updates). A unit no
    longer in the tree that `successors` names (merged into another) counts in its successor's
    totals and those above, at the successor's level; its figures stay its own."""
    successors = successors or {}
    by_series: dict[tuple[str, str], list[tuple[Period, int]]] = defaultdict(list)
    for figure in figures:
        by_series[(figure.unit, figure.element)].append((figure.period, figure.value))
    # per year: a unit's figures of different years never mix
    totals: dict[TotalKey, Total] = {}
    for (figure_unit, element_code), series in by_series.items():
        element = elements[element_code]
        unit_code = (
            figure_unit if figure_unit in tree else successors.get(figure_unit, figure_unit)
        )
        level = tree.get(unit_code).level
        years: dict[int, list[tuple[Period, int]]] = defaultdict(list)
        for period, value in series:
            years[period.year].append((period, value))
        for year_series in years.values():
            for period, value in own_values(element, year_series).items():
                for target, total in contributions(tree, element, unit_code, value):
                    key = (target, period.key, element_code, level)
                    previous = totals.get(key)
                    totals[key] = total if previous is None else previous + total
    return totals


def delta(old: int | None, new: int | None) -> Total:
    """How a unit's change of own value from `old` to `new` moves the totals it feeds."""
    return Total((new or 0) - (old or 0), (new is not None) - (old is not None))


def total_changes(
    tree: UnitTree,
    element: DataElement,
    unit: str,
    before: list[tuple[Period, int]],
    after: list[tuple[Period, int]],
) -> list[tuple[TotalKey, Total]]:
    """How the totals move when a unit's figures of one element (one year) go from `before` to
    `after`: the incremental counterpart of `rollup`."""
    old, new = own_values(element, before), own_values(element, after)
    level = tree.get(unit).level
    targets = (unit, *(a.code for a in tree.ancestors(unit)))
    changes: list[tuple[TotalKey, Total]] = []
    for period in sorted(old.keys() | new.keys(), key=_order):
        moved = delta(old.get(period), new.get(period))
        if moved.value or moved.reporters:
            changes.extend(((t, period.key, element.code, level), moved) for t in targets)
    return changes


def _order(period: Period) -> tuple[int, int, int]:
    return (period.year, period.first, period.last)

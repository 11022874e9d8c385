"""Indicators that bind each unit separately (III.4.b): counts kept as totals up the tree.

For such an indicator, every unit of its levels is judged on its own figures. So that a district
or the province can say "7 of 12 units meet it" without reading every unit, each unit's verdict
is added into its ancestors' totals as pseudo-elements `@<indicator>:<counter>`, under the unit's
level, exactly like figures: kept up to date on every submission, rebuilt from scratch with the
rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kpi.aggregate import Total, TotalKey
from kpi.attainment import UNJUDGED, Attainment, Status
from kpi.catalogue import Catalogue
from kpi.evaluation import COUNTERS, UnitTotals, counter_code, own_attainment, read_counter
from kpi.indicators import Binding, Indicator
from kpi.scope import judges
from kpi.units import Level, Unit

__all__ = ["COUNTERS", "Counts", "counter_changes", "counter_code", "counter_rollup"]


def is_counter(code: str) -> bool:
    return code.startswith("@")


@dataclass(frozen=True, slots=True)
class Counts:
    judged: int = 0
    met: int = 0
    below_target: int = 0
    below_floor: int = 0
    needed: int = 0  # summed over the units below target that can still reach it
    unreachable: int = 0

    @classmethod
    def of(cls, attainment: Attainment) -> Counts:
        status = attainment.status
        if status in UNJUDGED:
            return cls()
        return cls(
            judged=1,
            met=int(status is Status.MET),
            below_target=int(status is Status.BELOW_TARGET),
            below_floor=int(status is Status.BELOW_FLOOR),
            needed=attainment.needed or 0,
            unreachable=int(not attainment.reachable),
        )

    @classmethod
    def read(cls, indicator: str, totals: UnitTotals, levels: list[Level]) -> Counts:
        return cls(*(read_counter(indicator, c, totals, levels) for c in COUNTERS))


def each_unit_indicators(catalogue: Catalogue) -> list[Indicator]:
    return [i for i in catalogue.indicators.values() if i.binding is Binding.EACH_UNIT]


def counter_changes(
    catalogue: Catalogue,
    unit: Unit,
    period_key: str,
    before: UnitTotals,
    after: UnitTotals,
    elements: set[str] | None = None,
) -> list[tuple[TotalKey, Total]]:
    """How `unit`'s verdicts move its and its ancestors' counters when its own totals for one
    period go from `before` to `after` (only indicators reading `elements`, if given)."""
    changes: list[tuple[TotalKey, Total]] = []
    targets = (unit.code, *(a.code for a in catalogue.units.ancestors(unit.code)))
    for indicator in each_unit_indicators(catalogue):
        if not judges(catalogue, indicator, unit):
            continue
        if elements is not None and not elements & set(indicator.elements):
            continue
        old = Counts.of(own_attainment(catalogue, unit, indicator, before))
        new = Counts.of(own_attainment(catalogue, unit, indicator, after))
        if old == new:
            continue
        moved = new.judged - old.judged
        for counter in COUNTERS:
            diff = getattr(new, counter) - getattr(old, counter)
            if diff or moved:
                code = counter_code(indicator.code, counter)
                changes.extend(
                    ((t, period_key, code, unit.level), Total(diff, moved)) for t in targets
                )
    return changes


def counter_rollup(
    catalogue: Catalogue, totals: Mapping[TotalKey, Total]
) -> dict[TotalKey, Total]:
    """Every counter, from scratch, given the totals of the figures (see kpi.aggregate.rollup)."""
    own: dict[tuple[str, str], dict[tuple[str, Level], Total]] = {}
    for (unit, period, element, level), total in totals.items():
        if level == catalogue.units.get(unit).level:
            own.setdefault((unit, period), {})[(element, level)] = total
    result: dict[TotalKey, Total] = {}
    for (unit, period), mine in own.items():
        for key, change in counter_changes(catalogue, catalogue.units.get(unit), period, {}, mine):
            previous = result.get(key)
            result[key] = change if previous is None else previous + change
    return result

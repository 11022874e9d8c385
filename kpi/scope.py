"""Who is judged on what: the units an indicator judges, and so what each unit is asked.

The catalogue says, for each indicator, which units it judges (DOMAIN, "Who is judged on what"):
units of some levels, narrowed, where it says so, to named units (the lead department of a
sector row) and to the units having every listed property (a property the catalogue declares,
such as "handles land dossiers"). Everything that asks, reminds, counts "missing", shows lines,
counts coverage or scores reads this one module:

- `judges(catalogue, indicator, unit)`: whether `indicator` judges `unit` itself;
- `asked_of(catalogue, unit)`: the elements `unit` is asked for: those the indicators judging
  it read, and the other elements of a breakdown rule (an `==` rule) one of them is part of;
- `indicators_seen(catalogue, unit)`: indicators judging `unit` or some unit of its subtree;
- `judged_count(catalogue, unit, indicator, levels)`: how many units of `levels` in `unit`'s
  subtree the indicator judges (the denominator of a coverage rate).

Pure: computed once per catalogue and kept (keyed by the catalogue's identity).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kpi.rules import Comparison
from kpi.text import LocalText

if TYPE_CHECKING:
    from kpi.catalogue import Catalogue
    from kpi.elements import DataElement
    from kpi.indicators import Indicator
    from kpi.units import Unit


FORM_ORDER = ("procedures", "services", "dossiers", "certification", "payments")


@dataclass(frozen=True, slots=True)
class UnitProperty:
    """A property of units the catalogue declares: every unit of `levels`, and the named
    `units`, have it ("handles land dossiers": the districts and one department)."""

    code: str
    name: LocalText
    levels: frozenset[str] = frozenset()
    units: frozenset[str] = frozenset()

    def holds_for(self, unit: Unit) -> bool:
        return unit.level in self.levels or unit.code in self.units


@dataclass(frozen=True, slots=True)
class Scope:
    """The units an indicator judges: of `levels`; if `units` is given, only those; if
    `having` is given, only those with every property named."""

    levels: frozenset[str]
    units: frozenset[str] = frozenset()
    having: frozenset[str] = frozenset()

    def judges(self, unit: Unit, properties: Mapping[str, UnitProperty]) -> bool:
        if unit.level not in self.levels:
            return False
        if self.units and unit.code not in self.units:
            return False
        return all(properties[p].holds_for(unit) for p in self.having)

    @property
    def narrowed(self) -> bool:
        """Whether the scope names units or properties (not every unit of its levels)."""
        return bool(self.units or self.having)


@dataclass(slots=True)
class ScopeIndex:
    """Scope facts of one catalogue, computed once."""

    judged: dict[str, tuple[str, ...]] = field(default_factory=dict)  # unit → indicators
    asked: dict[str, tuple[str, ...]] = field(default_factory=dict)  # unit → elements, form order
    seen: dict[str, tuple[str, ...]] = field(default_factory=dict)  # unit → indicators
    counts: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)


_INDEX: dict[int, tuple[Catalogue, ScopeIndex]] = {}


def _form_order(catalogue: Catalogue, codes: Collection[str]) -> tuple[str, ...]:
    order = {code: i for i, code in enumerate(catalogue.elements)}

    def key(code: str) -> tuple[int, int]:
        form = catalogue.elements[code].form
        return (FORM_ORDER.index(form) if form in FORM_ORDER else 99, order[code])

    return tuple(sorted(codes, key=key))


def elements_read(catalogue: Catalogue, indicators: Collection[str]) -> set[str]:
    """The elements the indicators read, and the rest of every breakdown rule they touch."""
    wanted = {code for i in indicators for code in catalogue.indicators[i].elements}
    for rule in catalogue.rules:
        if rule.op is Comparison.EQUAL and rule.elements & wanted:
            wanted |= rule.elements
    return wanted


def _build(catalogue: Catalogue) -> ScopeIndex:
    index = ScopeIndex()
    tree = catalogue.units
    properties = catalogue.properties
    for unit in tree:
        judged = tuple(
            i.code for i in catalogue.indicators.values() if i.scope.judges(unit, properties)
        )
        index.judged[unit.code] = judged
        index.asked[unit.code] = _form_order(catalogue, elements_read(catalogue, judged))
    for unit in reversed(tree.units):  # children before parents
        for code in index.judged[unit.code]:
            for target in (unit, *tree.ancestors(unit.code)):
                by_level = index.counts.setdefault((target.code, code), {})
                by_level[unit.level] = by_level.get(unit.level, 0) + 1
    for unit in tree:
        index.seen[unit.code] = tuple(
            code for code in catalogue.indicators if (unit.code, code) in index.counts
        )
    return index


def scope_index(catalogue: Catalogue) -> ScopeIndex:
    entry = _INDEX.get(id(catalogue))
    if entry is None or entry[0] is not catalogue:
        entry = (catalogue, _build(catalogue))
        _INDEX[id(catalogue)] = entry
    return entry[1]


def judges(catalogue: Catalogue, indicator: Indicator, unit: Unit) -> bool:
    """Whether `indicator` judges `unit` itself."""
    return indicator.code in scope_index(catalogue).judged[unit.code]


def judging(catalogue: Catalogue, unit: Unit) -> list[Indicator]:
    """The indicators that judge `unit` itself, in catalogue order."""
    return [catalogue.indicators[c] for c in scope_index(catalogue).judged[unit.code]]


def asked_of(catalogue: Catalogue, unit: Unit) -> list[DataElement]:
    """The elements `unit` is asked for, in the order its form asks them."""
    return [catalogue.elements[c] for c in scope_index(catalogue).asked[unit.code]]


def indicators_seen(catalogue: Catalogue, unit: Unit) -> list[Indicator]:
    """The indicators that judge `unit` or a unit of its subtree, in catalogue order."""
    return [catalogue.indicators[c] for c in scope_index(catalogue).seen[unit.code]]


def judged_count(
    catalogue: Catalogue, unit: Unit, indicator: Indicator, levels: Collection[str]
) -> int:
    """How many units of `levels` in `unit`'s subtree (itself included) `indicator` judges."""
    found = scope_index(catalogue).counts.get((unit.code, indicator.code), {})
    return sum(n for level, n in found.items() if level in levels)


def judged_levels(catalogue: Catalogue, unit: Unit, indicator: Indicator) -> list[str]:
    """The levels, top down, of the units in `unit`'s subtree that `indicator` judges."""
    found = scope_index(catalogue).counts.get((unit.code, indicator.code), {})
    return [lvl for lvl in catalogue.units.levels_in_subtree(unit.code) if found.get(lvl)]


__all__ = [
    "FORM_ORDER",
    "Scope",
    "ScopeIndex",
    "UnitProperty",
    "asked_of",
    "elements_read",
    "indicators_seen",
    "judged_count",
    "judged_levels",
    "judges",
    "judging",
    "scope_index",
]

"""A synthetic country-sized unit tree and a year of figures that satisfy the catalogue's rules.

The catalogue (elements, rules, indicators) is the real one; only its unit tree is replaced.
Values are drawn from a seeded `random.Random`, so two runs load the same data.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from dataclasses import dataclass

from kpi.aggregate import Figure
from kpi.catalogue import Catalogue
from kpi.elements import DataElement, ElementKind
from kpi.periods import Period
from kpi.rules import Comparison, violations
from kpi.text import LocalText
from kpi.units import Level, Levels, Unit, UnitTree

YEAR = 2022
MONTHS = tuple(Period.month(YEAR, m) for m in range(1, 13))

# Shares of a 10,000-unit tree on the Kon Tum catalogue's four levels (top, side, middle, leaf):
# 60 departments, 100 middle units (Kon Tum's districts), the rest leaves under them.
DEPARTMENT_SHARE = 0.006
MIDDLE_SHARE = 0.01


@dataclass(frozen=True, slots=True)
class Shape:
    departments: int
    middles: int
    leaves: int

    @property
    def units(self) -> int:
        return 1 + self.departments + self.middles + self.leaves


def shape(size: int) -> Shape:
    """How `size` units split into the root, departments, middle units and leaves."""
    departments = max(1, round(size * DEPARTMENT_SHARE))
    middles = max(1, round(size * MIDDLE_SHARE))
    leaves = size - 1 - departments - middles
    if leaves < middles:
        raise ValueError(f"{size} units are too few for a three-level tree")
    return Shape(departments, middles, leaves)


def _name(vi: str, en: str) -> LocalText:
    return LocalText(vi=vi, en=en)


def four_levels(levels: Levels) -> tuple[Level, Level, Level, Level]:
    """The catalogue's levels as the synthetic tree uses them: top, side, middle, leaf."""
    if len(levels) != 4:
        raise ValueError(f"the synthetic tree needs four levels, got {list(levels.codes)}")
    top, side, middle, leaf = levels.codes
    return top, side, middle, leaf


def build_tree(size: int, levels: Levels) -> UnitTree:
    """1 root, then departments and middle units under it, leaves spread over the middles."""
    s = shape(size)
    top, side, middle, leaf = four_levels(levels)
    units = [Unit("p", top, _name("Tỉnh Tổng hợp", "Synthetic Province"))]
    units.extend(
        Unit(f"dep-{i:03d}", side, _name(f"Sở {i}", f"Department {i}"), "p")
        for i in range(1, s.departments + 1)
    )
    units.extend(
        Unit(f"dis-{i:03d}", middle, _name(f"Huyện {i}", f"Middle {i}"), "p")
        for i in range(1, s.middles + 1)
    )
    units.extend(
        Unit(
            f"com-{i:05d}",
            leaf,
            _name(f"Xã {i}", f"Leaf {i}"),
            f"dis-{(i - 1) % s.middles + 1:03d}",
        )
        for i in range(1, s.leaves + 1)
    )
    tree = UnitTree(tuple(units), levels)
    assert len(tree) == size
    return tree


def synthetic_catalogue(catalogue: Catalogue, size: int) -> Catalogue:
    assert catalogue.units.levels is not None
    return dataclasses.replace(catalogue, units=build_tree(size, catalogue.units.levels))


class _Plan:
    """For one unit (and every unit asked the same): its elements in an order where every
    `part_of` whole comes first, and the rules that split a whole into parts exactly
    (resolved = early + on time + late)."""

    def __init__(self, catalogue: Catalogue, unit: Unit) -> None:
        self.elements = catalogue.elements_for(unit)
        codes = {e.code for e in self.elements}
        ordered: list[DataElement] = []
        placed: set[str] = set()

        def place(element: DataElement) -> None:
            if element.code in placed:
                return
            if element.part_of in codes:
                place(catalogue.elements[element.part_of])
            placed.add(element.code)
            ordered.append(element)

        for element in self.elements:
            place(element)
        self.ordered = ordered
        self.rules = catalogue.rules_for(codes)
        # wholes split exactly into parts: the last part takes whatever the others leave
        self.split: dict[str, tuple[str, ...]] = {}
        self.in_split: set[str] = set()
        for rule in self.rules:
            if rule.op is Comparison.EQUAL and len(rule.right) == 1 and len(rule.left) > 1:
                self.split[rule.right[0]] = rule.left
                self.in_split.update(rule.left)


def _month_values(
    plan: _Plan, rng: random.Random, quality: float, month: int, base: dict[str, int]
) -> dict[str, int]:
    """One unit's figures for one month: wholes first, parts a share of their whole."""
    values: dict[str, int] = {}
    for element in plan.ordered:
        code = element.code
        if element.kind is ElementKind.FLAG:
            values[code] = 1 if rng.random() < quality + 0.05 * month / 12 else 0
            continue
        if code in plan.in_split:
            continue  # filled in when its whole is split, below
        whole = element.part_of if element.part_of in values else None
        if whole is None:
            if element.kind is ElementKind.STOCK:
                values[code] = base[code] + month // 4  # a stock creeps up over the year
            else:
                values[code] = rng.randint(5, 120)
        else:
            share = min(1.0, max(0.0, rng.gauss(quality, 0.08)))
            values[code] = round(values[whole] * share)
        parts = plan.split.get(code)
        if parts:
            left = values[code]
            for part in parts[:-1]:
                values[part] = rng.randint(0, left)
                left -= values[part]
            values[parts[-1]] = left
    return values


def figures(catalogue: Catalogue, seed: int = 2022) -> Iterator[Figure]:
    """Every element each unit is asked for (kpi.scope), for the twelve months of 2022.

    Each unit has a quality in [0.1, 1]: the share its parts take of their wholes, and the
    chance of a flag being yes; about a third of units fall below the 30-50% targets.
    """
    rng = random.Random(seed)
    plans: dict[tuple[str, ...], _Plan] = {}
    for unit in catalogue.units:
        asked = tuple(e.code for e in catalogue.elements_for(unit))
        plan = plans.get(asked)
        if plan is None:
            plan = plans[asked] = _Plan(catalogue, unit)
        quality = rng.uniform(0.1, 1.0)
        base = {e.code: rng.randint(20, 400) for e in plan.ordered}
        for month, period in enumerate(MONTHS, start=1):
            values = _month_values(plan, rng, quality, month, base)
            broken = violations(plan.rules, values)
            if broken:
                raise AssertionError(f"synthetic figures break {broken[0].rule.code}: {values}")
            for element in plan.elements:
                yield Figure(unit.code, element.code, period, values[element.code])

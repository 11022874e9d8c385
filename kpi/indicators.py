"""Indicators: a numerator over a denominator of data elements, with a target."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from kpi.scope import Scope
from kpi.text import LocalText
from kpi.units import Level, Unit


class IndicatorKind(StrEnum):
    RATIO = "ratio"  # sum of elements / sum of elements
    COVERAGE = "coverage"  # units whose flag is yes / units that reported the flag


class Binding(StrEnum):
    AGGREGATE = "aggregate"  # the subtree's total is judged
    EACH_UNIT = "each_unit"  # every unit of the indicator's levels is judged on its own figures


class NeededMode(StrEnum):
    ADD = "add"  # reached by new items, all good: both sides grow (dossiers)
    CONVERT = "convert"  # reached by turning existing items good: the numerator grows alone


class IncreaseReading(StrEnum):
    POINTS = "points"  # 58 % + 20 → 78 %
    RELATIVE = "relative"  # 58 % × 1.20 → 69.6 %


@dataclass(frozen=True, slots=True)
class Baseline:
    year: int
    numerator: int | None = None
    denominator: int | None = None
    printed: str | None = None
    note: LocalText | None = None
    scope: LocalText | None = None  # which units the baseline's counts cover, when not all

    @property
    def rate(self) -> Fraction | None:
        """The baseline rate (a fraction of 1) from its raw counts."""
        if self.numerator is None or not self.denominator:
            return None
        return Fraction(self.numerator, self.denominator)

    @property
    def printed_percent(self) -> Decimal | None:
        """The rate as the decision prints it ("67,64%" → 67.64)."""
        if not self.printed:
            return None
        text = self.printed.replace("%", "").replace(" ", "").replace(",", ".")
        return Decimal(text)


@dataclass(frozen=True, slots=True)
class Target:
    """How an indicator's target is set; percentages as Decimal (99 means 99 %)."""

    percent: Decimal | None = None
    by_level: Mapping[Level, Decimal] = field(default_factory=dict)
    increase_over_baseline: Decimal | None = None
    unit_targets: Mapping[str, Decimal] = field(default_factory=dict)

    @property
    def is_set(self) -> bool:
        return (
            self.percent is not None
            or bool(self.by_level)
            or self.increase_over_baseline is not None
            or bool(self.unit_targets)
        )


@dataclass(frozen=True, slots=True)
class Variant:
    """A sub-bullet of an indicator for one level (row V.1)."""

    level: Level
    name: LocalText
    lead: LocalText
    coordinating: LocalText | None
    baseline: Baseline | None


@dataclass(frozen=True, slots=True)
class Indicator:
    code: str
    section: str
    name: LocalText
    short: LocalText
    kind: IndicatorKind
    levels: frozenset[Level]
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] = ()
    flag: str | None = None
    group: str | None = None
    binding: Binding = Binding.AGGREGATE
    needed_mode: NeededMode = NeededMode.ADD
    target: Target = field(default_factory=Target)
    floor: Decimal | None = None
    lead: LocalText = field(default_factory=lambda: LocalText.same(""))
    coordinating: LocalText | None = None
    legal_basis: LocalText = field(default_factory=lambda: LocalText.same(""))
    baseline: Baseline | None = None
    variants: tuple[Variant, ...] = ()
    units: frozenset[str] = frozenset()  # the scope's named units, if any (kpi.scope)
    having: frozenset[str] = frozenset()  # the unit properties the scope requires
    by_level: bool = False  # one line per level even with one target (III.4.a)

    @property
    def scope(self) -> Scope:
        """The units this indicator judges (kpi.scope)."""
        return Scope(frozenset(self.levels), self.units, self.having)

    @property
    def lines_by_level(self) -> bool:
        """Whether a subtree sees one line per level of units judged."""
        return self.by_level or self.targets_differ_by_level

    @property
    def elements(self) -> tuple[str, ...]:
        """Every data element the indicator reads."""
        if self.kind is IndicatorKind.COVERAGE:
            return (self.flag,) if self.flag else ()
        return tuple(dict.fromkeys((*self.numerator, *self.denominator)))

    @property
    def targets_differ_by_level(self) -> bool:
        return bool(self.target.by_level)

    def target_for(
        self,
        level: Level | None,
        unit: Unit | None = None,
        reading: IncreaseReading = IncreaseReading.POINTS,
    ) -> Decimal | None:
        """The target (percent) that binds `unit`, or a line of units at `level`."""
        target = self.target
        if unit is not None and unit.code in target.unit_targets:
            return target.unit_targets[unit.code]
        if level is not None and level in target.by_level:
            return target.by_level[level]
        if target.percent is not None:
            return target.percent
        if target.increase_over_baseline is not None and self.baseline is not None:
            base = self.baseline.printed_percent
            if base is None and self.baseline.rate is not None:
                base = Decimal(self.baseline.rate.numerator * 100) / self.baseline.rate.denominator
            if base is None:
                return None
            increase = target.increase_over_baseline
            if reading is IncreaseReading.POINTS:
                return min(base + increase, Decimal(100))
            return min(base * (1 + increase / 100), Decimal(100))
        return None

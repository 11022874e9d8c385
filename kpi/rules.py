"""Validation rules between data elements, checked on every submission."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from kpi.text import LocalText


class Comparison(StrEnum):
    EQUAL = "=="
    AT_MOST = "<="


@dataclass(frozen=True, slots=True)
class ValidationRule:
    """`sum(left) op sum(right)`, e.g. early + on time + late == resolved."""

    code: str
    left: tuple[str, ...]
    op: Comparison
    right: tuple[str, ...]
    message: LocalText

    @property
    def elements(self) -> frozenset[str]:
        return frozenset(self.left) | frozenset(self.right)

    def applies_to(self, values: Mapping[str, int | None]) -> bool:
        """A rule is checked once every element it names has a value."""
        return all(values.get(code) is not None for code in self.elements)

    def holds(self, values: Mapping[str, int | None]) -> bool:
        left = sum(values[c] or 0 for c in self.left)
        right = sum(values[c] or 0 for c in self.right)
        return left == right if self.op is Comparison.EQUAL else left <= right


@dataclass(frozen=True, slots=True)
class RuleViolation:
    rule: ValidationRule
    left: int
    right: int


def violations(
    rules: tuple[ValidationRule, ...], values: Mapping[str, int | None]
) -> list[RuleViolation]:
    """The rules that `values` break, among those whose elements all have a value."""
    broken: list[RuleViolation] = []
    for rule in rules:
        if rule.applies_to(values) and not rule.holds(values):
            broken.append(
                RuleViolation(
                    rule,
                    sum(values[c] or 0 for c in rule.left),
                    sum(values[c] or 0 for c in rule.right),
                )
            )
    return broken

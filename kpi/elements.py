"""Data elements: the raw counts people report."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kpi.text import LocalText
from kpi.units import Level


class TotalRule(StrEnum):
    """How a unit's total of an element is made from its own figure and its subtree's."""

    SUM = "sum"  # its own figure plus its subtree's: distinct items at every level (dossiers)
    OWN_OR_CHILDREN = "own_or_children"  # its own figure when it files one (the province's
    # list of distinct procedures), else its children's sum: never both


class ElementKind(StrEnum):
    FLOW = "flow"  # counted over a period: summed over months and over a subtree
    STOCK = "stock"  # a count at a moment: the latest value within a period
    FLAG = "flag"  # yes (1) or no (0): counted over the units of a subtree


@dataclass(frozen=True, slots=True)
class DataElement:
    code: str
    kind: ElementKind
    name: LocalText
    short: LocalText
    measure: LocalText
    levels: frozenset[Level]
    rolls_up: bool = True
    part_of: str | None = None
    form: str = "dossiers"
    aliases: tuple[str, ...] = ()  # other words people use for it (free-text figures)
    total: TotalRule | None = None  # None: `sum`, but `own_or_children` for a stock that
    # does not roll up

    @property
    def total_rule(self) -> TotalRule:
        """The catalogue's rule for this element's totals (see TotalRule)."""
        if self.total is not None:
            return self.total
        if self.kind is ElementKind.STOCK and not self.rolls_up:
            return TotalRule.OWN_OR_CHILDREN
        return TotalRule.SUM

    @property
    def aggregates_over_subtree(self) -> bool:
        """Whether a parent's value includes its subtree's along with its own."""
        return self.total_rule is TotalRule.SUM

    @property
    def latest_wins(self) -> bool:
        """Whether a period's value is the latest figure in it rather than their sum."""
        return self.kind is not ElementKind.FLOW

    def check_value(self, value: int) -> None:
        from kpi.errors import FigureError

        if value < 0:
            raise FigureError(f"{self.code}: a count cannot be negative ({value})")
        if self.kind is ElementKind.FLAG and value not in (0, 1):
            raise FigureError(f"{self.code}: a yes/no figure is 1 or 0, not {value}")

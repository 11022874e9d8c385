"""A unit's attainment on its indicators for a period, and the sweep over every unit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kpi.catalogue import Catalogue
from kpi.evaluation import Line, evaluate_unit
from kpi.periods import Period
from services.ports import UnitOfWork, UnitTotals


async def unit_status(
    uow: UnitOfWork, catalogue: Catalogue, unit_code: str, period: Period
) -> list[Line]:
    """Every line of the unit's indicators for `period`, aggregated over its subtree.

    One read of the unit's totals: subtree sums and each-unit counters are kept up to date on
    every submission, so the cost does not grow with the subtree.
    """
    unit = catalogue.units.get(unit_code)
    return evaluate_unit(catalogue, unit, await uow.figures.totals(unit.code, period))


async def sweep(uow: UnitOfWork, catalogue: Catalogue, period: Period) -> dict[str, list[Line]]:
    """Every unit's lines for `period`, from one read of all totals (what the alert sweep does)."""
    everything = await uow.figures.totals_of_units(None, period)
    return {
        unit.code: evaluate_unit(catalogue, unit, everything.get(unit.code, {}))
        for unit in catalogue.units
    }


@dataclass(frozen=True, slots=True)
class StatusRow:
    """A line as plain data, for JSON and tables."""

    indicator: str
    name: str
    level: str | None
    numerator: int | None
    denominator: int | None
    rate: Decimal | None
    target: Decimal | None
    floor: Decimal | None
    status: str
    needed: int | None
    reachable: bool
    units_judged: int | None
    units_met: int | None

    def as_json(self) -> dict[str, Any]:
        def number(value: Decimal | None) -> float | int | None:
            if value is None:
                return None
            return int(value) if value == value.to_integral_value() else float(value)

        return {
            "indicator": self.indicator,
            "name": self.name,
            "level": self.level,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "rate": number(self.rate),
            "target": number(self.target),
            "floor": number(self.floor),
            "status": self.status,
            "needed": self.needed,
            "reachable": self.reachable,
            "units_judged": self.units_judged,
            "units_met": self.units_met,
        }


def status_rows(lines: Sequence[Line], language: str = "vi") -> list[StatusRow]:
    rows = []
    for line in lines:
        a = line.attainment
        rows.append(
            StatusRow(
                indicator=line.indicator.code,
                name=line.indicator.short.get(language),
                level=line.level.value if line.level else None,
                numerator=a.numerator,
                denominator=a.denominator,
                rate=a.rate_percent(2),
                target=a.target,
                floor=a.floor,
                status=a.status.value,
                needed=a.needed,
                reachable=a.reachable,
                units_judged=a.units_judged,
                units_met=a.units_met,
            )
        )
    return rows


__all__ = ["StatusRow", "UnitTotals", "status_rows", "sweep", "unit_status"]

"""Roadmaps (Article 2.1): which lines of a unit have one, what each is, and setting one.

The store is a port (`services.ports.RoadmapStore`, `uow.roadmaps`): storage.roadmaps on SQL,
tests/fakes.py in memory. Setting a roadmap commits the unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from kpi.attainment import percent_fraction
from kpi.catalogue import Catalogue
from kpi.errors import DomainError
from kpi.evaluation import LinePlan, plans_for
from kpi.pace import (
    QUARTERLY,
    MilestoneProblem,
    Roadmap,
    RoadmapSetting,
    check_milestones,
    line_key,
    resolve,
    starting_point,
)
from services.ports import RoadmapStore, UnitOfWork


class RoadmapError(DomainError):
    """A roadmap that cannot be set: an unknown line, or custom milestones that do not hold."""

    def __init__(self, reason: MilestoneProblem | str, line: str) -> None:
        super().__init__(f"{line}: {reason}")
        self.reason = reason
        self.line = line


@dataclass(frozen=True, slots=True)
class LineRoadmap:
    """One line of a unit that has a target, with its setting and the roadmap it resolves to."""

    plan: LinePlan
    key: str
    setting: RoadmapSetting
    roadmap: Roadmap

    @property
    def target(self) -> Decimal:
        assert self.plan.target is not None
        return self.plan.target


def roadmap_plans(catalogue: Catalogue, unit_code: str) -> list[LinePlan]:
    """The unit's lines that can have a roadmap: those with a target."""
    unit = catalogue.units.get(unit_code)
    return [plan for plan in plans_for(catalogue, unit) if plan.target is not None]


def roadmap_of(
    plan: LinePlan, setting: RoadmapSetting | None, *, baseline: bool = True
) -> LineRoadmap:
    """The line's roadmap; `baseline`: whether the 2021 baseline (the province's) is the line's
    starting point, i.e. the unit is the province (see kpi.pace.line_pace)."""
    assert plan.target is not None
    setting = setting or RoadmapSetting.even_monthly()
    indicator = plan.indicator
    roadmap = resolve(
        setting,
        percent_fraction(plan.target),
        starting_point(indicator, plan.level) if baseline else None,
        indicator.needed_mode,
    )
    return LineRoadmap(plan, line_key(indicator.code, plan.level), setting, roadmap)


async def unit_roadmaps(
    store: RoadmapStore, catalogue: Catalogue, unit_code: str
) -> list[LineRoadmap]:
    """Every line of the unit with a target, with its roadmap for the catalogue's year."""
    settings = await store.of_unit(unit_code, catalogue.year)
    own = is_province(catalogue, unit_code)
    return [
        roadmap_of(plan, settings.get(line_key(plan.indicator.code, plan.level)), baseline=own)
        for plan in roadmap_plans(catalogue, unit_code)
    ]


def find_line(catalogue: Catalogue, unit_code: str, key: str) -> LinePlan | None:
    return next(
        (
            plan
            for plan in roadmap_plans(catalogue, unit_code)
            if line_key(plan.indicator.code, plan.level) == key
        ),
        None,
    )


async def set_roadmap(
    uow: UnitOfWork,
    store: RoadmapStore,
    catalogue: Catalogue,
    unit_code: str,
    key: str,
    setting: RoadmapSetting,
    by: str,
    at: datetime,
) -> LineRoadmap:
    """Check and save a line's roadmap for the catalogue's year; commits. Raises RoadmapError.

    Custom milestones are quarterly (months 3, 6, 9, 12), between 0 and 100 %, never decreasing,
    and the last reaches the year's target. Who may set it is the caller's to check.
    """
    plan = find_line(catalogue, unit_code, key)
    if plan is None:
        raise RoadmapError("unknown_line", key)
    custom = [rate for _, rate in setting.milestones if rate is not None]
    if custom:
        if tuple(m for m, _ in setting.milestones) != QUARTERLY or len(custom) != len(QUARTERLY):
            raise RoadmapError("not_quarterly", key)
        problem = check_milestones([percent_of(rate) for rate in custom], plan.target)
        if problem is not None:
            raise RoadmapError(problem, key)
    await store.put(unit_code, key, catalogue.year, setting, by, at)
    await uow.commit()
    return roadmap_of(plan, setting, baseline=is_province(catalogue, unit_code))


def is_province(catalogue: Catalogue, unit_code: str) -> bool:
    """Whether the unit is the tree's root, whose own starting point the 2021 baselines are."""
    return catalogue.units.get(unit_code).parent is None


def percent_of(rate: Fraction) -> Decimal:
    """0.625 → Decimal("62.5"), exact (milestones are whole basis points)."""
    return Decimal(rate.numerator * 100) / Decimal(rate.denominator)


__all__ = [
    "LineRoadmap",
    "RoadmapError",
    "RoadmapStore",
    "find_line",
    "is_province",
    "roadmap_of",
    "roadmap_plans",
    "set_roadmap",
    "unit_roadmaps",
]

"""The texts of pace and roadmaps: "↳ chậm tiến độ (mốc Quý 1/2022: 25 %) · dự kiến cuối năm:
47,3 %", a milestone's name and rate, a roadmap in one line. Pure: kpi objects and a Translator
in, text out (bot.render puts the pace line under a status line; /roadmap shows roadmaps).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

from i18n import formatting
from i18n.formatting import period_name
from i18n.translations import N_, Translator
from kpi.attainment import round_percent
from kpi.pace import Cadence, Milestone, Pace, PaceStatus, ProjectionBasis, Roadmap
from kpi.periods import Period

MAX_DECIMALS = 6

PACE_NAMES: Mapping[PaceStatus, str] = {
    PaceStatus.ON_PACE: N_("on pace"),
    PaceStatus.BEHIND: N_("behind pace"),
    PaceStatus.UNREACHABLE: N_("the year's target can no longer be reached"),
}
CADENCE_NAMES: Mapping[Cadence, str] = {
    Cadence.MONTHLY: N_("even, monthly"),
    Cadence.QUARTERLY: N_("even, quarterly"),
    Cadence.CUSTOM: N_("custom, quarterly"),
}


def rate_percent_text(rate: Fraction, language: str) -> str:
    """A milestone's rate: 1/4 → "25 %", 0.6803 → "68,03 %" (two decimals at most, trailing
    zeros dropped)."""
    value = round_percent(rate, 2).normalize()
    exponent = value.as_tuple().exponent
    decimals = max(0, -exponent) if isinstance(exponent, int) else 0
    return formatting.percent(value, decimals, language)


def projected_text(rate: Fraction, target: Fraction, language: str) -> str:
    """A projection with one decimal ("47,3 %"), more where one would read equal to the
    target it misses."""
    decimals = 1
    limit = Decimal(target.numerator * 100) / Decimal(target.denominator)
    while decimals < MAX_DECIMALS and rate < target and round_percent(rate, decimals) >= limit:
        decimals += 1
    return formatting.percent(round_percent(rate, decimals), decimals, language)


def milestone_period(milestone: Milestone, cadence: Cadence, year: int) -> Period:
    """The period a milestone closes: its month, or its quarter on a quarterly roadmap."""
    if cadence is not Cadence.MONTHLY and milestone.month % 3 == 0:
        return Period.quarter(year, milestone.month // 3)
    return Period.month(year, milestone.month)


def milestone_text(milestone: Milestone, cadence: Cadence, year: int, t: Translator) -> str:
    """ "Quý 1/2022: 25 %"."""
    period = period_name(milestone_period(milestone, cadence, year), t)
    return f"{period}: {rate_percent_text(milestone.rate, t.language)}"


def pace_text(pace: Pace, year: int, t: Translator, *, basis: bool = True) -> str | None:
    """The pace line under a status line; None without data. `basis`: the projection's basis
    in brackets (a status with many lines says it once instead, under them)."""
    if pace.status is PaceStatus.NO_DATA:
        return None
    parts = []
    name = t._(PACE_NAMES[pace.status])
    if pace.status is PaceStatus.UNREACHABLE:
        parts.append(name)
    else:
        parts.append(
            t._(
                "{status} (milestone {milestone})",
                status=name,
                milestone=milestone_text(pace.milestone, pace.cadence, year, t),
            )
        )
    projected = pace.projected_rate
    if projected is not None:
        parts.append(
            t._(
                "year-end at this pace: {rate}",
                rate=projected_text(projected, pace.target, t.language),
            )
            + (f" ({basis_text(pace, year, t)})" if basis else "")
        )
    return "↳ " + " · ".join(parts)


def pace_brief(pace: Pace, t: Translator) -> str | None:
    """The pace in an alert's line: "chậm tiến độ, dự kiến cuối năm 16,9 %" (its basis is said
    once, under the lines: `basis_text`); None without data."""
    if pace.status is PaceStatus.NO_DATA:
        return None
    name = t._(PACE_NAMES[pace.status])
    projected = pace.projected_rate
    if projected is None:
        return name
    return t._(
        "{status}, year-end {rate}",
        status=name,
        rate=projected_text(projected, pace.target, t.language),
    )


def basis_text(pace: Pace, year: int, t: Translator) -> str:
    """What a projection extrapolates: "theo nhịp quý 1/2022" (the last quarter ended, the
    run-rate services.status passes), "theo nhịp từ đầu năm", "theo mức tăng từ đầu năm"."""
    if pace.basis is ProjectionBasis.RECENT and pace.elapsed >= 3:
        recent = Period.quarter(year, pace.elapsed // 3)
        return t._("at the pace of {period}", period=period_name(recent, t))
    if pace.basis is ProjectionBasis.GROWTH:
        return t._("at the growth since the start of the year")
    if pace.basis is ProjectionBasis.FLAT:
        return t._("at today's level")
    return t._("at the pace since the start of the year")


def roadmap_text(roadmap: Roadmap, year: int, t: Translator) -> str:
    """ "đều theo quý: Quý 1/2022: 57,5 % · … · Quý 4/2022: 80 %" (a monthly roadmap shows its
    quarter ends, to stay short)."""
    shown = [m for m in roadmap.milestones if m.month % 3 == 0]
    cadence = Cadence.QUARTERLY if roadmap.cadence is Cadence.MONTHLY else roadmap.cadence
    milestones = " · ".join(milestone_text(m, cadence, year, t) for m in shown)
    return f"{t._(CADENCE_NAMES[roadmap.cadence])}: {milestones}"


__all__ = [
    "CADENCE_NAMES",
    "PACE_NAMES",
    "basis_text",
    "milestone_period",
    "milestone_text",
    "pace_brief",
    "pace_text",
    "projected_text",
    "rate_percent_text",
    "roadmap_text",
]

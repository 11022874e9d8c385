"""Charts place their labels without overlap: the boxes of the texts drawn, as matplotlib's
renderer measures them, do not intersect (the numbers a tick apart, a rate just above its
target, values near 100 %), and a legend lists only what the indicator has."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from itertools import combinations

import pytest

from documents import charts
from i18n.translations import translator
from kpi.attainment import judge
from kpi.catalogue import Catalogue
from kpi.evaluation import Line
from kpi.pace import PaceStatus, even_roadmap, pace
from kpi.periods import Period
from services.ports import UnitOfWork
from services.trends import Rank, Ranking, Trend, TrendMonth
from tests.unit.test_charts import demo, demo_ranking, demo_trend, keep

__all__ = ["demo"]  # the fixture, imported for these tests

Box = tuple[float, float, float, float]


def overlapping(boxes: Sequence[tuple[str, Box]]) -> list[tuple[str, str]]:
    found = []
    for (a, (ax0, ay0, ax1, ay1)), (b, (bx0, by0, bx1, by1)) in combinations(boxes, 2):
        if min(ax1, bx1) > max(ax0, bx0) and min(ay1, by1) > max(ay0, by0):
            found.append((a, b))
    return found


def near_target_trend(kontum: Catalogue) -> Trend:
    """V.1 of a department just above its 99 % target, a few hundredths apart month by month,
    and near 100 %: the case whose labels collided ("Ch 99,53 %" over the target's label)."""
    indicator = kontum.indicator("V.1")
    target, floor = Decimal(99), Decimal(95)
    good = [9953, 9960, 9941, 9957, 9962, 9949]
    months = tuple(
        TrendMonth(
            m,
            judge(g, 10_000, target, floor, indicator.needed_mode),
            judge(sum(good[:m]), 10_000 * m, target, floor, indicator.needed_mode),
        )
        for m, g in enumerate(good, start=1)
    )
    latest = months[-1].to_date
    assert latest.numerator is not None
    assert latest.denominator is not None
    progress = pace(
        latest.numerator,
        latest.denominator,
        len(good),
        even_roadmap(Fraction(99, 100)),
        target,
        indicator.needed_mode,
    )
    assert progress.status is not PaceStatus.NO_DATA
    unit = kontum.units.get("so-y-te")
    return Trend(unit, indicator, "department", 2022, target, floor, months, progress)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_trend_just_above_its_target_draws_no_label_over_another(
    kontum: Catalogue, language: str
) -> None:
    chart = charts.trend_chart(near_target_trend(kontum), translator(language))
    keep(f"trend-near-target-{language}", chart)
    assert len(chart.boxes) > 10
    assert not overlapping(chart.boxes)
    drawn = [text for text, _box in chart.boxes]
    assert any(text.startswith(("Chỉ tiêu", "Target")) for text in drawn)


@pytest.mark.parametrize("language", ["vi", "en"])
async def test_the_demo_trend_and_ranking_draw_no_label_over_another(
    kontum: Catalogue, demo: Callable[[], UnitOfWork], language: str
) -> None:
    t = translator(language)
    trend = await charts.render_trend(await demo_trend(demo, kontum), t)
    ranking = await charts.render_ranking(await demo_ranking(demo, kontum), t)
    assert not overlapping(trend.boxes)
    assert not overlapping(ranking.boxes)


def test_a_ranking_without_a_floor_does_not_list_one(kontum: Catalogue) -> None:
    indicator = kontum.indicator("III.2")  # 25 %, no floor
    period = Period.parse("2022-H1")
    units = list(kontum.units.children("dak-glei"))[:4]
    ranks = tuple(
        Rank(unit, Line(indicator, None, judge(n, 100, Decimal(25), None, indicator.needed_mode)))
        for unit, n in zip(units, (40, 30, 20, 10), strict=True)
    )
    ranking = Ranking(kontum.units.get("dak-glei"), indicator, period, ranks, ())
    chart = charts.ranking_chart(ranking, translator("vi"))
    keep("ranking-no-floor-vi", chart)
    assert "dưới mức sàn" not in chart.texts
    assert "Mức sàn" not in " ".join(chart.texts)
    assert {"đạt", "chưa đạt"} <= set(chart.texts)
    assert not overlapping(chart.boxes)

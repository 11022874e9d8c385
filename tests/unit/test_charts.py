"""Charts drawn from the sandbox's demo figures: valid PNGs of a phone-readable size, kept in
tests/artifacts/chart-*.png to be looked at, whose drawn numbers are the computed ones."""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from cli.demo import load_demo_figures
from documents import charts
from i18n import texts
from i18n.translations import translator
from kpi.catalogue import Catalogue
from kpi.periods import Period
from services.ports import UnitOfWork
from services.trends import Ranking, Trend, children_ranking, indicator_trend
from tests.fakes import FakeState, FakeUnitOfWork

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
TODAY = date(2022, 6, 10)  # the sandbox's day: January to May reported
H1 = Period.parse("2022-H1")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MIN_WIDTH, MIN_HEIGHT = 800, 500


@pytest.fixture
async def demo(kontum: Catalogue) -> Callable[[], UnitOfWork]:
    state = FakeState()

    def uow() -> UnitOfWork:
        return FakeUnitOfWork(state)

    await load_demo_figures(uow, kontum, TODAY)
    return uow


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk (after checking the signature)."""
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def keep(name: str, chart: charts.Chart) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"chart-{name}.png").write_bytes(chart.png)


def assert_readable_png(chart: charts.Chart) -> None:
    width, height = png_size(chart.png)
    assert (width, height) == (chart.width, chart.height)
    assert width >= MIN_WIDTH
    assert height >= MIN_HEIGHT
    assert chart.png.endswith(b"IEND\xaeB`\x82")


async def demo_trend(demo: Callable[[], UnitOfWork], kontum: Catalogue) -> Trend:
    async with demo() as uow:
        return await indicator_trend(uow, kontum, "dak-glei", "V.1", "district", 2022, 5)


async def demo_ranking(demo: Callable[[], UnitOfWork], kontum: Catalogue) -> Ranking:
    async with demo() as uow:
        return await children_ranking(uow, kontum, "dak-glei", "V.1", H1)


@pytest.mark.parametrize("language", ["vi", "en"])
async def test_a_trend_is_a_readable_png_whose_numbers_are_the_computed_ones(
    kontum: Catalogue, demo: Callable[[], UnitOfWork], language: str
) -> None:
    t = translator(language)
    trend = await demo_trend(demo, kontum)
    chart = await charts.render_trend(trend, t)
    keep(f"trend-{language}", chart)
    assert_readable_png(chart)

    expected = [(f"ytd:{m.month}", texts.rate_text(m.to_date, language)) for m in trend.months]
    assert trend.target is not None
    assert trend.floor is not None
    assert trend.projection is not None
    expected += [
        ("target", texts.limit_text(trend.target, language)),
        ("floor", texts.limit_text(trend.floor, language)),
        (
            "projection",
            charts.fraction_text(trend.projection, trend.target, trend.floor, language),
        ),
    ]
    assert list(chart.values) == expected
    # and they are what the figure's artists draw
    for key, text in chart.values:
        if key.startswith("ytd:") or key == "projection":
            assert text in chart.texts, (key, text)
    target, floor = (
        t._("Target {value}", value="97\u00a0%" if language == "vi" else "97%"),
        t._("Floor {value}", value="95\u00a0%" if language == "vi" else "95%"),
    )
    assert target in chart.texts
    assert floor in chart.texts


async def test_the_vietnamese_trend_speaks_vietnamese(
    kontum: Catalogue, demo: Callable[[], UnitOfWork]
) -> None:
    chart = await charts.render_trend(await demo_trend(demo, kontum), translator("vi"))
    assert "T1" in chart.texts
    assert "T12" in chart.texts
    assert "Chỉ tiêu 97\u00a0%" in chart.texts
    assert "Mức sàn 95\u00a0%" in chart.texts
    assert "Lũy kế từ đầu năm" in chart.texts
    assert chart.value("ytd:5") == "95,89\u00a0%"  # what /status shows for the H1 report
    assert any(text.startswith("V.1 Hồ sơ giải quyết") for text in chart.texts)


async def test_the_english_trend_speaks_english(
    kontum: Catalogue, demo: Callable[[], UnitOfWork]
) -> None:
    chart = await charts.render_trend(await demo_trend(demo, kontum), translator("en"))
    assert {"Jan", "May", "Dec"} <= set(chart.texts)
    assert "Target 97%" in chart.texts
    assert chart.value("ytd:5") == "95.89%"


@pytest.mark.parametrize("language", ["vi", "en"])
async def test_a_ranking_is_a_readable_png_whose_numbers_are_the_computed_ones(
    kontum: Catalogue, demo: Callable[[], UnitOfWork], language: str
) -> None:
    t = translator(language)
    ranking = await demo_ranking(demo, kontum)
    chart = await charts.render_ranking(ranking, t)
    keep(f"ranking-{language}", chart)
    assert_readable_png(chart)
    expected = [(r.unit.code, texts.rate_text(r.attainment, language)) for r in ranking.ranks]
    target = ranking.ranks[0].attainment.target
    assert target is not None
    expected += [
        ("target", texts.limit_text(target, language)),
        ("floor", "95\u00a0%" if language == "vi" else "95%"),
    ]
    assert list(chart.values) == expected
    for code, text in chart.values[:-2]:
        assert text in chart.texts, (code, text)
        assert kontum.units.get(code).name.get(language) in chart.texts
    assert t._("Target {value}", value=chart.value("target")) in chart.texts
    if language == "vi":
        assert chart.value("dak-blo") == "92,09\u00a0%"
        assert "Xã Đăk Blô" in chart.texts


async def test_a_ranking_of_mixed_levels_marks_each_units_target(
    kontum: Catalogue, demo: Callable[[], UnitOfWork]
) -> None:
    async with demo() as uow:
        ranking = await children_ranking(uow, kontum, "kon-tum", "V.1", H1)
    chart = await charts.render_ranking(ranking, translator("vi"))
    keep("ranking-province-vi", chart)
    assert_readable_png(chart)
    assert "target" not in dict(chart.values)  # 99 % for departments, 97 % for districts
    assert "chỉ tiêu của từng đơn vị" in chart.texts
    assert any(text.startswith("Chưa có số liệu: ") for text in chart.texts)


async def test_a_line_without_figures_still_draws_a_chart_that_says_so(
    kontum: Catalogue, demo: Callable[[], UnitOfWork]
) -> None:
    async with demo() as uow:
        trend = await indicator_trend(uow, kontum, "dak-ha", "III.2", None, 2022)
    chart = await charts.render_trend(trend, translator("vi"))
    assert_readable_png(chart)
    assert "Chưa có số liệu" in chart.texts
    assert chart.values == (("target", "25\u00a0%"),)


async def test_captions_repeat_the_numbers_in_words(
    kontum: Catalogue, demo: Callable[[], UnitOfWork]
) -> None:
    t = translator("vi")
    caption = charts.trend_caption(await demo_trend(demo, kontum), kontum, t)
    assert "Lũy kế đến T5: 95,89\u00a0%" in caption
    assert "95,89\u00a0% (chỉ tiêu 97\u00a0%, mức sàn 95\u00a0%)" in caption
    assert "Dự báo cuối năm theo nhịp hiện tại: 95,91\u00a0%" in caption
    ranking = charts.ranking_caption(await demo_ranking(demo, kontum), kontum, t)
    assert "9/12 đơn vị đạt chỉ tiêu" in ranking
    assert len(caption) <= charts.CAPTION_LIMIT

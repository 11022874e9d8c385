"""Charts as pictures for the chat: a line's year month by month, and a unit's children ranked.

matplotlib without pyplot (a Figure on the Agg canvas: no global state, safe in a worker
thread), DejaVu Sans (it has every Vietnamese letter), PNG 1080 pixels wide with large type for
a phone. Every number drawn is formatted like the status message's (bot.render, Babel), and the
chart returns them with the picture so a test can hold them against the computed ones:

    chart = await render_trend(trend, catalogue, translator("vi"))
    chart.png, chart.values   # b"\\x89PNG...", (("ytd:5", "95,89 %"), ("target", "97 %"), ...)
"""

from __future__ import annotations

import asyncio
import io
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Final, Literal

from babel.dates import get_month_names
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Annotation, Text
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Bbox, BboxBase, blended_transform_factory

from i18n import formatting, texts
from i18n.translations import N_, Translator
from kpi.attainment import Status, percent_fraction, round_percent
from kpi.catalogue import Catalogue
from kpi.trend import MONTHS_IN_YEAR
from services.trends import Ranking, Trend

FONT: Final = "DejaVu Sans"
DPI: Final = 120
WIDTH_PX: Final = 1080
TREND_HEIGHT_PX: Final = 1200
RANK_ROW_PX: Final = 96  # one child unit of a ranking: its name and its bar
RANK_FRAME_PX: Final = 460  # the ranking's title, axis and legend
MAX_NAMES_LISTED: Final = 5  # units without data: named up to this many, else counted

INK: Final = "#1f2933"
MUTED: Final = "#616e7c"
GRID: Final = "#e4e7eb"
YEAR_TO_DATE: Final = "#1f5fbf"
MONTHLY: Final = "#9aa5b1"
TARGET: Final = "#1e8e3e"
FLOOR: Final = "#c62828"
STATUS_COLOURS: Final = {
    Status.MET: "#2e9d57",
    Status.BELOW_TARGET: "#f0a202",
    Status.BELOW_FLOOR: "#d64545",
    Status.NO_TARGET: "#7b8794",
    Status.NO_DATA: "#cbd2d9",
    Status.NOTHING_AROSE: "#9aa5b1",
}

STATUS_NAMES: Final = {
    Status.MET: N_("met"),
    Status.BELOW_TARGET: N_("below target"),
    Status.BELOW_FLOOR: N_("below floor"),
    Status.NO_TARGET: N_("tracked only"),
}  # the legend of a ranking: only the statuses the indicator can have
WHITE_GROUND: Final = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"}

TITLE_SIZE: Final = 22
SUBTITLE_SIZE: Final = 17
LABEL_SIZE: Final = 16
VALUE_SIZE: Final = 16
TICK_SIZE: Final = 16
WRAP: Final = 42  # characters of a title line at TITLE_SIZE on 1080 pixels
LABEL_OFFSET: Final = 18  # points between a value's label and its point


@dataclass(frozen=True, slots=True)
class Chart:
    """A rendered chart: the PNG, its size, the numbers drawn and every text on it."""

    png: bytes
    width: int
    height: int
    values: tuple[tuple[str, str], ...]  # (what the number is, its text as drawn)
    texts: tuple[str, ...]  # every text of the figure's artists, as drawn
    boxes: tuple[tuple[str, tuple[float, float, float, float]], ...] = ()
    # every text drawn with its box in pixels (x0, y0, x1, y1), from matplotlib's renderer

    def value(self, key: str) -> str:
        return dict(self.values)[key]


# --- numbers as drawn -------------------------------------------------------------------------


def month_label(month: int, language: str) -> str:
    """Reporting month 3 → "T3" (vi) or "Mar" (en)."""
    if language.startswith("vi"):
        return f"T{month}"
    names = get_month_names("abbreviated", locale=formatting.locale_of(language))
    return str(names[month])


def fraction_text(
    rate: Fraction, target: Decimal | None, floor: Decimal | None, language: str
) -> str:
    """A rate that is not an attainment (a projection), with as many decimals as a status
    would use: two, more where fewer would read equal to a target or floor it is below."""
    decimals = 2
    for limit in (target, floor):
        if limit is None or rate >= percent_fraction(limit):
            continue
        while decimals < 6 and round_percent(rate, decimals) >= limit:
            decimals += 1
    return formatting.percent(round_percent(rate, decimals), decimals, language)


def as_percent(rate: Fraction) -> float:
    """Where a rate is drawn (a position on the axis, never a number shown)."""
    return float(rate * 100)


# --- drawing helpers --------------------------------------------------------------------------


def _figure(height_px: int) -> Figure:
    figure = Figure(figsize=(WIDTH_PX / DPI, height_px / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    return figure


def _heading(figure: Figure, title: str, subtitle: str, height_px: int) -> float:
    """The title (wrapped) and subtitle at the top, left-aligned; the figure fraction below
    them."""
    top = 1 - 36 / height_px
    lines = textwrap.wrap(title, WRAP) or [title]
    figure.text(
        0.04,
        top,
        "\n".join(lines),
        fontsize=TITLE_SIZE,
        fontweight="bold",
        color=INK,
        va="top",
        ha="left",
        fontfamily=FONT,
        linespacing=1.25,
    )
    title_px = len(lines) * TITLE_SIZE * DPI / 72 * 1.3
    below = top - (title_px + 10) / height_px
    figure.text(
        0.04,
        below,
        subtitle,
        fontsize=SUBTITLE_SIZE,
        color=MUTED,
        va="top",
        ha="left",
        fontfamily=FONT,
    )
    return below - (SUBTITLE_SIZE * DPI / 72 * 1.3 + 56) / height_px


def _style(axes: Axes) -> None:
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color(MUTED)
    axes.tick_params(labelsize=TICK_SIZE, labelcolor=INK, color=MUTED, labelfontfamily=FONT)
    axes.set_axisbelow(True)


def _png(figure: Figure) -> tuple[bytes, int, int]:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    width, height = (int(v) for v in figure.get_size_inches() * DPI)
    return buffer.getvalue(), width, height


def drawn_texts(figure: Figure) -> tuple[str, ...]:
    """Every non-empty text the figure draws: its own, each axes' (annotations included), the
    tick labels and the legends'."""
    found = [t.get_text() for t in figure.texts]
    for legend in figure.legends:
        found.extend(t.get_text() for t in legend.get_texts())
    for axes in figure.axes:
        found.extend(t.get_text() for t in axes.texts)
        found.extend(t.get_text() for t in axes.get_xticklabels())
        found.extend(t.get_text() for t in axes.get_yticklabels())
        own = axes.get_legend()
        if own is not None:
            found.extend(t.get_text() for t in own.get_texts())
    return tuple(text for text in found if text)


def _percent_ticks(low: float, high: float, language: str) -> tuple[list[float], list[str]]:
    """Tick positions between `low` and `high` (never above 100 %), labelled "96,5 %"."""
    ticks = [
        float(v)
        for v in MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
        if low - 1e-9 <= v <= min(high, 100) + 1e-9
    ]
    decimals = 0
    while decimals < 2 and any(abs(round(v, decimals) - v) > 1e-9 for v in ticks):
        decimals += 1
    labels = [formatting.percent(Decimal(f"{v:.{decimals}f}"), decimals, language) for v in ticks]
    return ticks, labels


def _line_label(
    axes: Axes, value: float, text: str, colour: str, *, above: bool, left: bool = True
) -> Text:
    """A horizontal line's label at its left (or right) end, above or below the line."""
    transform = blended_transform_factory(axes.transAxes, axes.transData)
    return axes.text(
        0.01 if left else 0.99,
        value,
        text,
        transform=transform,
        ha="left" if left else "right",
        va="bottom" if above else "top",
        fontsize=LABEL_SIZE,
        fontweight="bold",
        color=colour,
        fontfamily=FONT,
        bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none"},
        zorder=5,
    )


# --- labels placed without overlap -----------------------------------------------------------

MARGIN_PX: Final = 3  # pixels kept clear around a label that is placed


def text_artists(figure: Figure) -> list[Text]:
    """Every visible, non-empty text the figure draws (titles, labels, ticks, legends)."""
    found: list[Text] = list(figure.texts)
    for legend in figure.legends:
        found.extend(legend.get_texts())
    for axes in figure.axes:
        found.extend(axes.texts)
        found.extend(axes.get_xticklabels())
        found.extend(axes.get_yticklabels())
        own = axes.get_legend()
        if own is not None:
            found.extend(own.get_texts())
    return [t for t in found if t.get_visible() and t.get_text()]


def text_boxes(figure: Figure) -> list[tuple[Text, Bbox]]:
    """Each text with its extent on the canvas, as the renderer draws it."""
    figure.draw_without_rendering()  # ticks and legends take their places
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    return [(t, t.get_window_extent(renderer)) for t in text_artists(figure)]


def _overlap(box: Bbox, others: Sequence[Bbox], frame: BboxBase) -> float:
    """How much `box` (widened by the margin) covers the others, or leaves the frame."""
    grown = box.padded(MARGIN_PX)
    total = 0.0
    for other in others:
        width = min(grown.x1, other.x1) - max(grown.x0, other.x0)
        height = min(grown.y1, other.y1) - max(grown.y0, other.y0)
        if width > 0 and height > 0:
            total += width * height
    outside = grown.width * grown.height - max(
        0.0, min(grown.x1, frame.x1) - max(grown.x0, frame.x0)
    ) * max(0.0, min(grown.y1, frame.y1) - max(grown.y0, frame.y0))
    return float(total + 10 * outside)


def place_labels(
    figure: Figure, movable: Sequence[tuple[Text, Sequence[Callable[[], None]]]]
) -> None:
    """Put each movable label at the first of its places (callables that move it) where it
    covers no text already placed, else where it covers the least: the other texts first,
    then the labels in the order given."""
    moving = {id(text) for text, _ in movable}
    placed = [box for text, box in text_boxes(figure) if id(text) not in moving]
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    frame = figure.bbox
    for text, places in movable:
        best: tuple[float, int] | None = None
        for index, move in enumerate(places):
            move()
            cost = _overlap(text.get_window_extent(renderer), placed, frame)
            if best is None or cost < best[0]:
                best = (cost, index)
            if cost == 0:
                break
        assert best is not None
        places[best[1]]()
        placed.append(text.get_window_extent(renderer))


def _value_places(label: Annotation, above: bool) -> list[Callable[[], None]]:
    """A value label's places: above or below its point (the preferred side first), nearer,
    then farther, then shifted sideways."""
    places: list[Callable[[], None]] = []
    sides = (1, -1) if above else (-1, 1)
    for step in (1, 2, 3):
        for dx in (0, 28, -28):
            for side in sides:
                places.append(_mover(label, dx, side * step * LABEL_OFFSET))
    return places


def _mover(label: Annotation, dx: float, dy: float) -> Callable[[], None]:
    def move() -> None:
        label.xyann = (dx, dy)
        label.set_verticalalignment("bottom" if dy > 0 else "top")

    return move


def _line_label_places(text: Text, above: bool) -> list[Callable[[], None]]:
    """A horizontal line's label: at its left, right or middle, above or below the line."""
    places: list[Callable[[], None]] = []
    ends: tuple[tuple[float, Align], ...] = ((0.01, "left"), (0.99, "right"), (0.5, "center"))
    for x, ha in ends:
        for up in (above, not above):
            places.append(_line_mover(text, x, ha, up))
    return places


Align = Literal["left", "center", "right"]


def _line_mover(text: Text, x: float, ha: Align, above: bool) -> Callable[[], None]:
    def move() -> None:
        text.set_x(x)
        text.set_horizontalalignment(ha)
        text.set_verticalalignment("bottom" if above else "top")

    return move


def _boxes(figure: Figure) -> tuple[tuple[str, tuple[float, float, float, float]], ...]:
    return tuple(
        (text.get_text(), (box.x0, box.y0, box.x1, box.y1)) for text, box in text_boxes(figure)
    )


# --- a line's year ----------------------------------------------------------------------------


def trend_title(trend: Trend, t: Translator) -> tuple[str, str]:
    indicator = trend.indicator
    title = f"{indicator.code} {indicator.short.get(t.language)}"
    if trend.level is not None:
        title += f" ({texts.level_name(trend.level, t)})"
    subtitle = t._(
        "{unit} · {year}: year to date, month by month",
        unit=trend.unit.name.get(t.language),
        year=trend.year,
    )
    return title, subtitle


def trend_values(trend: Trend, language: str) -> list[tuple[str, str]]:
    """The numbers a trend chart draws, keyed: "ytd:<month>", "target", "floor",
    "projection"."""
    values = [
        (f"ytd:{m.month}", texts.rate_text(m.to_date, language))
        for m in trend.months
        if m.to_date.rate is not None
    ]
    if trend.target is not None:
        values.append(("target", texts.limit_text(trend.target, language)))
    if trend.floor is not None:
        values.append(("floor", texts.limit_text(trend.floor, language)))
    projection = trend.projection
    if projection is not None:
        values.append(
            ("projection", fraction_text(projection, trend.target, trend.floor, language))
        )
    return values


def _value_label(axes: Axes, text: str, x: float, y: float, *, above: bool) -> Annotation:
    """A number written beside its point, above or below it, on a white ground."""
    return axes.annotate(
        text,
        (x, y),
        xytext=(0, LABEL_OFFSET if above else -LABEL_OFFSET),
        textcoords="offset points",
        ha="center",
        va="bottom" if above else "top",
        fontsize=VALUE_SIZE,
        fontweight="bold",
        color=YEAR_TO_DATE,
        fontfamily=FONT,
        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
        zorder=6,
    )


def _no_data(axes: Axes, t: Translator) -> None:
    axes.text(
        0.5,
        0.5,
        t._("No data yet"),
        transform=axes.transAxes,
        ha="center",
        va="center",
        fontsize=TITLE_SIZE,
        color=MUTED,
        fontfamily=FONT,
    )


def _trend_lines(
    axes: Axes,
    trend: Trend,
    shown: dict[str, str],
    t: Translator,
    labels: list[tuple[Annotation, bool]],
) -> tuple[list[Line2D], list[float]]:
    """Each month's rate, the year-to-date rate (labelled: the labels are added to `labels`
    with their preferred side) and the dashed projection; the legend's handles and every
    height drawn."""
    points = [(m.month, m.to_date.rate) for m in trend.months if m.to_date.rate is not None]
    alone = [(m.month, m.monthly.rate) for m in trend.months if m.monthly.rate is not None]
    handles: list[Line2D] = []
    heights: list[float] = []
    if alone:
        rates = [as_percent(rate) for _, rate in alone]
        heights += rates
        handles += axes.plot(
            [month for month, _ in alone],
            rates,
            color=MONTHLY,
            linewidth=2.5,
            marker="o",
            markersize=7,
            label=t._("Each month alone"),
            zorder=3,
        )
    if not points:
        return handles, heights
    rates = [as_percent(rate) for _, rate in points]
    heights += rates
    handles += axes.plot(
        [month for month, _ in points],
        rates,
        color=YEAR_TO_DATE,
        linewidth=4.5,
        marker="o",
        markersize=12,
        label=t._("Year to date"),
        zorder=4,
    )
    # labels alternate above and below the line (the latest above), so that neighbours a
    # month apart never overlap
    for index, ((month, _), rate) in enumerate(zip(points, rates, strict=True)):
        above = (len(points) - 1 - index) % 2 == 0
        label = _value_label(axes, shown[f"ytd:{month}"], month, rate, above=above)
        labels.append((label, above))
    projection = trend.projection
    last = points[-1][0]
    if projection is not None and last < MONTHS_IN_YEAR:
        ends = [rates[-1], as_percent(projection)]
        heights += ends
        handles += axes.plot(
            [last, MONTHS_IN_YEAR],
            ends,
            color=YEAR_TO_DATE,
            linewidth=3,
            linestyle=(0, (6, 4)),
            marker="o",
            markevery=[1],
            markersize=12,
            markerfacecolor="white",
            markeredgewidth=3,
            label=t._("Year-end at the current pace"),
            zorder=4,
        )
        label = _value_label(axes, shown["projection"], MONTHS_IN_YEAR, ends[1], above=False)
        labels.append((label, False))
    return handles, heights


def trend_chart(trend: Trend, t: Translator) -> Chart:
    """The line's year-to-date rate month by month (labelled), each month's own rate, the
    target and floor lines and the dashed projection to December."""
    language = t.language
    values = trend_values(trend, language)
    shown = dict(values)
    figure = _figure(TREND_HEIGHT_PX)
    title, subtitle = trend_title(trend, t)
    top = _heading(figure, title, subtitle, TREND_HEIGHT_PX)
    axes = figure.add_axes((0.15, 0.2, 0.8, top - 0.2))
    _style(axes)
    axes.grid(axis="y", color=GRID, linewidth=1.2)
    numbers: list[tuple[Annotation, bool]] = []
    handles, heights = _trend_lines(axes, trend, shown, t, numbers)
    heights += [float(v) for v in (trend.target, trend.floor) if v is not None]
    low, high = (min(heights), max(heights)) if heights else (0.0, 100.0)
    span = max(high - low, 2.0)
    low, high = max(0.0, low - span * 0.25), high + span * 0.25
    axes.set_ylim(low, high)
    axes.set_xlim(0.4, MONTHS_IN_YEAR + 0.6)
    lines: list[tuple[Text, bool]] = []
    if trend.target is not None:
        target = float(trend.target)
        axes.axhline(target, color=TARGET, linewidth=2.5, linestyle=(0, (10, 4)), zorder=2)
        text = t._("Target {value}", value=shown["target"])
        lines.append((_line_label(axes, target, text, TARGET, above=True), True))
    if trend.floor is not None:
        floor = float(trend.floor)
        axes.axhline(floor, color=FLOOR, linewidth=2.5, linestyle=(0, (2, 3)), zorder=2)
        text = t._("Floor {value}", value=shown["floor"])
        lines.append((_line_label(axes, floor, text, FLOOR, above=False), False))
    ticks, labels = _percent_ticks(low, high, language)
    axes.set_yticks(ticks, labels)
    axes.set_xticks(
        range(1, MONTHS_IN_YEAR + 1),
        [month_label(m, language) for m in range(1, MONTHS_IN_YEAR + 1)],
    )
    if not trend.months:
        _no_data(axes, t)
    if handles:
        figure.legend(
            handles=handles,
            loc="lower left",
            bbox_to_anchor=(0.03, 0.015),
            ncol=1,
            frameon=False,
            prop={"family": FONT, "size": LABEL_SIZE},
            handlelength=3,
        )
    place_labels(
        figure,
        [(label, _value_places(label, above)) for label, above in numbers]
        + [(text, _line_label_places(text, above)) for text, above in lines],
    )
    png, width, height = _png(figure)
    return Chart(png, width, height, tuple(values), drawn_texts(figure), _boxes(figure))


# --- a unit's children ranked -----------------------------------------------------------------


def ranking_title(ranking: Ranking, t: Translator) -> tuple[str, str]:
    indicator = ranking.indicator
    title = f"{indicator.code} {indicator.short.get(t.language)}"
    subtitle = t._(
        "Units below {unit} · {period}",
        unit=ranking.unit.name.get(t.language),
        period=formatting.period_name(ranking.period, t),
    )
    return title, subtitle


def uniform(values: Sequence[Decimal | None]) -> Decimal | None:
    """The one value all share (a target drawn as one line), else None."""
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else None


def ranking_values(ranking: Ranking, language: str) -> list[tuple[str, str]]:
    """The numbers a ranking draws: each child's rate (keyed by its code), and the target and
    floor when every child shares them."""
    values = [(r.unit.code, texts.rate_text(r.attainment, language)) for r in ranking.ranks]
    target = uniform([r.attainment.target for r in ranking.ranks])
    if target is not None:
        values.append(("target", texts.limit_text(target, language)))
    floor = uniform([r.attainment.floor for r in ranking.ranks])
    if floor is not None:
        values.append(("floor", texts.limit_text(floor, language)))
    return values


def without_data_text(ranking: Ranking, t: Translator) -> str | None:
    missing = ranking.without_data
    if not missing:
        return None
    if len(missing) <= MAX_NAMES_LISTED:
        names = ", ".join(u.name.get(t.language) for u in missing)
        return t._("No data yet: {names}", names=names)
    return t.n_(
        "No data yet: {count} unit", "No data yet: {count} units", len(missing), count=len(missing)
    )


def ranking_chart(ranking: Ranking, t: Translator) -> Chart:
    """One bar a child (best first), coloured by its status, its rate at the bar's end, the
    target (one line when shared, a mark on each bar otherwise)."""
    language = t.language
    values = ranking_values(ranking, language)
    shown = dict(values)
    rows = max(1, len(ranking.ranks))
    height_px = RANK_FRAME_PX + rows * RANK_ROW_PX
    figure = _figure(height_px)
    title, subtitle = ranking_title(ranking, t)
    top = _heading(figure, title, subtitle, height_px)
    bottom = 240 / height_px
    axes = figure.add_axes((0.05, bottom, 0.9, top - bottom))
    _style(axes)
    axes.grid(axis="x", color=GRID, linewidth=1.2)
    axes.tick_params(axis="y", left=False, labelleft=False)
    axes.set_ylim(rows - 0.35, -0.75)
    axes.set_xlim(0, 100)
    ticks, labels = _percent_ticks(0, 100, language)
    axes.set_xticks(ticks, labels)
    target = uniform([r.attainment.target for r in ranking.ranks])
    floor = uniform([r.attainment.floor for r in ranking.ranks])
    for index, rank in enumerate(ranking.ranks):
        a = rank.attainment
        assert a.rate is not None
        rate = min(as_percent(a.rate), 100.0)
        colour = STATUS_COLOURS[a.status]
        axes.barh(index + 0.15, rate, height=0.5, color=colour, zorder=3)
        axes.text(
            0,
            index - 0.2,
            rank.unit.name.get(language),
            ha="left",
            va="center",
            fontsize=LABEL_SIZE,
            color=INK,
            fontfamily=FONT,
            bbox=WHITE_GROUND,
            zorder=6,
        )
        text = shown[rank.unit.code]
        inside = rate > 75
        axes.text(
            rate - 1.5 if inside else rate + 1,
            index + 0.15,
            text,
            ha="right" if inside else "left",
            va="center",
            fontsize=VALUE_SIZE,
            fontweight="bold",
            color="white" if inside else INK,
            fontfamily=FONT,
            zorder=6,
            bbox=None if inside else WHITE_GROUND,
        )
        if target is None and a.target is not None:
            mark = float(a.target)
            axes.plot([mark, mark], [index - 0.12, index + 0.42], color=INK, linewidth=3, zorder=5)
    statuses = {r.attainment.status for r in ranking.ranks}
    has_target = any(r.attainment.target is not None for r in ranking.ranks)
    kinds = {
        Status.MET: has_target,
        Status.BELOW_TARGET: has_target,
        Status.BELOW_FLOOR: any(r.attainment.floor is not None for r in ranking.ranks),
        Status.NO_TARGET: Status.NO_TARGET in statuses,
    }
    legend: list[Line2D | Patch] = [
        Patch(color=STATUS_COLOURS[status], label=t._(name))
        for status, name in STATUS_NAMES.items()
        if kinds[status]
    ]
    for limit, colour, key, style in (
        (target, TARGET, "target", (0, (10, 4))),
        (floor, FLOOR, "floor", (0, (2, 3))),
    ):
        if limit is None:
            continue
        axes.axvline(float(limit), color=colour, linewidth=2.5, linestyle=style, zorder=2)
        label = (
            t._("Target {value}", value=shown[key])
            if key == "target"
            else t._("Floor {value}", value=shown[key])
        )
        legend.append(Line2D([], [], color=colour, linewidth=2.5, linestyle=style, label=label))
    if target is None and any(r.attainment.target is not None for r in ranking.ranks):
        legend.append(Line2D([], [], color=INK, linewidth=3, label=t._("each unit's target")))
    if not ranking.ranks:
        _no_data(axes, t)
    figure.legend(
        handles=legend,
        loc="lower left",
        bbox_to_anchor=(0.03, 50 / height_px),
        ncol=3,
        frameon=False,
        prop={"family": FONT, "size": LABEL_SIZE},
        handlelength=2,
        columnspacing=1.2,
    )
    missing = without_data_text(ranking, t)
    if missing:
        figure.text(
            0.04,
            18 / height_px,
            textwrap.shorten(missing, 110, placeholder="…"),
            fontsize=LABEL_SIZE - 1,
            color=MUTED,
            ha="left",
            va="bottom",
            fontfamily=FONT,
        )
    png, width, height = _png(figure)
    return Chart(png, width, height, tuple(values), drawn_texts(figure), _boxes(figure))


# --- off the event loop -----------------------------------------------------------------------


async def render_trend(trend: Trend, t: Translator) -> Chart:
    """`trend_chart` in a worker thread: drawing takes a CPU-bound fraction of a second."""
    return await asyncio.to_thread(trend_chart, trend, t)


async def render_ranking(ranking: Ranking, t: Translator) -> Chart:
    return await asyncio.to_thread(ranking_chart, ranking, t)


# --- captions ---------------------------------------------------------------------------------


def trend_caption(trend: Trend, catalogue: Catalogue, t: Translator) -> str:
    """What the picture says, in words: the year so far, the target, the projection."""
    language = t.language
    title, _subtitle = trend_title(trend, t)
    head = f"📈 {title}\n{texts.unit_label(catalogue, trend.unit.code, language)}"
    latest = trend.latest
    if latest is None or latest.to_date.rate is None:
        return head + "\n" + t._("No data yet for {year}.", year=trend.year)
    values = dict(trend_values(trend, language))
    lines = [
        head,
        t._(
            "Year to date ({month}): {rate}",
            month=month_label(latest.month, language),
            rate=values[f"ytd:{latest.month}"],
        ),
    ]
    if trend.target is not None:
        lines.append(texts.figures_text(latest.to_date, language, t))
    if "projection" in values:
        lines.append(t._("Year-end at the current pace: {rate}", rate=values["projection"]))
    return "\n".join(lines)


def ranking_caption(ranking: Ranking, catalogue: Catalogue, t: Translator) -> str:
    title, subtitle = ranking_title(ranking, t)
    del catalogue
    met = sum(r.attainment.status is Status.MET for r in ranking.ranks)
    judged = sum(r.attainment.target is not None for r in ranking.ranks)
    lines = [f"🏆 {title}", subtitle]
    if judged:
        lines.append(t._("{met}/{judged} units meet the target", met=met, judged=judged))
    missing = without_data_text(ranking, t)
    if missing:
        lines.append(missing)
    return texts.fit("\n".join(lines), CAPTION_LIMIT)


CAPTION_LIMIT: Final = 1024  # Telegram's limit on a photo's caption, in characters


__all__ = [
    "Chart",
    "drawn_texts",
    "month_label",
    "ranking_caption",
    "ranking_chart",
    "ranking_values",
    "render_ranking",
    "render_trend",
    "trend_caption",
    "trend_chart",
    "trend_values",
]

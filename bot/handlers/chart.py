"""/chart: a unit's indicators as pictures, a line's year month by month (with its target,
floor and where it is heading) or the units below ranked, each sent as a photo.

    /chart [unit]       → the unit's indicators as buttons (📈 a trend; 🏆 a ranking of the units
                          below, for units that have some)
    a button            → the picture, with buttons to the other view and back to the choice

The /status view of an indicator has a "📈" button to its trend. Every button is authorised
again on the unit it names (bot.handlers.status.pressed): a forged one is refused.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import render
from bot.access import Caller, require_person
from bot.callbacks import (
    ChartMenuView,
    Prefix,
    RankingChartView,
    StatusView,
    TrendChartView,
)
from bot.context import Context
from bot.handlers.status import asked_unit, catalogue_of, now, pressed, say, show, stale
from documents import charts
from i18n import formatting, texts
from i18n.translations import Translator
from kpi.catalogue import Catalogue
from kpi.pace import months_elapsed
from kpi.periods import Period
from kpi.units import Level, Unit
from services.trends import (
    NoSuchLineError,
    chart_lines,
    children_ranking,
    indicator_trend,
)

PER_ROW = 3


# --- which charts a unit has ------------------------------------------------------------------


def line_label(code: str, level: Level | None, t: Translator) -> str:
    return code if level is None else f"{code} ({texts.level_name(level, t)})"


def ranked_indicators(catalogue: Catalogue, unit: Unit) -> list[str]:
    """Indicators on which at least one child of the unit has a line, in catalogue order."""
    found: set[str] = set()
    for child in catalogue.units.children(unit.code):
        found.update(indicator.code for indicator, _ in chart_lines(catalogue, child))
    return [code for code in catalogue.indicators if code in found]


def ranking_period(context: Context, year: int) -> Period:
    """What a ranking reached from a trend is for: the report due, in the trend's year."""
    report = now(context).report
    return report if report.year == year else Period.whole_year(year)


# --- the choice -------------------------------------------------------------------------------


def menu_text(catalogue: Catalogue, unit: Unit, view: ChartMenuView, t: Translator) -> str:
    name = texts.unit_label(catalogue, unit.code, t.language)
    if view.ranking:
        return t._(
            "Charts of {unit}: choose an indicator to rank the units below it ({period}).",
            unit=name,
            period=formatting.period_name(view.period, t),
        )
    return t._(
        "Charts of {unit}: choose an indicator to see {year} month by month, with its target"
        " and where the year is heading.",
        unit=name,
        year=view.period.year,
    )


def menu_keyboard(
    catalogue: Catalogue, unit: Unit, view: ChartMenuView, t: Translator
) -> InlineKeyboardMarkup:
    year = Period.whole_year(view.period.year)
    ranked = ranked_indicators(catalogue, unit)
    if view.ranking:
        buttons = [
            render.button(f"🏆 {code}", RankingChartView(unit.code, view.period, code))
            for code in ranked
        ]
    else:
        buttons = [
            render.button(
                f"📈 {line_label(indicator.code, level, t)}",
                TrendChartView(unit.code, year, indicator.code, level),
            )
            for indicator, level in chart_lines(catalogue, unit)
        ]
    keyboard = render.rows(buttons, PER_ROW)
    if ranked:
        keyboard.append(
            [
                render.button(
                    t._("📈 Month by month ▸"), ChartMenuView(unit.code, view.period, False)
                )
                if view.ranking
                else render.button(
                    t._("🏆 Rank the units below ▸"), ChartMenuView(unit.code, view.period, True)
                )
            ]
        )
    keyboard.append([render.button(t._("◀ Status"), StatusView(unit.code, view.period))])
    return InlineKeyboardMarkup(keyboard)


async def show_menu(update: Update, context: Context, caller: Caller, view: ChartMenuView) -> None:
    t = caller.t
    catalogue = catalogue_of(context, view.period)
    unit = catalogue.units.get(view.unit)
    if not chart_lines(catalogue, unit) and not ranked_indicators(catalogue, unit):
        await say(update, t._("No indicator applies to this unit."))
        return
    text, keyboard = menu_text(catalogue, unit, view, t), menu_keyboard(catalogue, unit, view, t)
    query = update.callback_query
    under = query.message if query is not None else None
    if query is not None and isinstance(under, Message) and under.photo:
        # a photo's caption is no place for the choice: a new message under the picture
        await query.answer()
        await under.chat.send_message(text, reply_markup=keyboard)
        return
    await show(update, text, keyboard)


# --- the pictures -----------------------------------------------------------------------------


async def send_picture(
    update: Update, chart: charts.Chart, caption: str, keyboard: InlineKeyboardMarkup
) -> None:
    """The chart as a photo in the chat the command or button came from."""
    chat = update.effective_chat
    if chat is None:
        return
    await chat.send_photo(
        photo=chart.png,
        caption=texts.fit(caption, charts.CAPTION_LIMIT),
        reply_markup=keyboard,
    )


async def drawing(update: Update) -> None:
    """Stop the button's spinner and show "sending a photo…" while the chart is drawn."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    if update.effective_chat is not None:
        await update.effective_chat.send_action(ChatAction.UPLOAD_PHOTO)


async def send_trend(
    update: Update, context: Context, caller: Caller, view: TrendChartView
) -> None:
    t = caller.t
    catalogue = catalogue_of(context, view.period)
    unit = catalogue.units.get(view.unit)
    levels = [lvl for ind, lvl in chart_lines(catalogue, unit) if ind.code == view.indicator]
    # a button without a level (from /status) means the indicator's first line
    level = view.level if view.level is not None or not levels else levels[0]
    year = view.period.year
    elapsed = months_elapsed(year, now(context).month)
    try:
        async with context.services.database.unit_of_work() as uow:
            trend = await indicator_trend(
                uow, catalogue, unit.code, view.indicator, level, year, elapsed
            )
    except NoSuchLineError:
        await say(update, stale(t))
        return
    await drawing(update)
    chart = await charts.render_trend(trend, t)
    buttons: list[InlineKeyboardButton] = [
        render.button(
            f"📈 {line_label(view.indicator, other, t)}",
            TrendChartView(unit.code, view.period, view.indicator, other),
        )
        for other in levels
        if other != level
    ]
    if view.indicator in ranked_indicators(catalogue, unit):
        buttons.append(
            render.button(
                t._("🏆 Rank the units below"),
                RankingChartView(unit.code, ranking_period(context, year), view.indicator),
            )
        )
    keyboard = render.rows(buttons, 2)
    keyboard.append(
        [
            render.button(
                t._("◀ Other charts"),
                ChartMenuView(unit.code, ranking_period(context, year), False),
            )
        ]
    )
    await send_picture(
        update,
        chart,
        charts.trend_caption(trend, catalogue, t),
        InlineKeyboardMarkup(keyboard),
    )


async def send_ranking(
    update: Update, context: Context, caller: Caller, view: RankingChartView
) -> None:
    t = caller.t
    catalogue = catalogue_of(context, view.period)
    unit = catalogue.units.get(view.unit)
    if view.indicator not in ranked_indicators(catalogue, unit):
        await say(update, stale(t))
        return
    async with context.services.database.unit_of_work() as uow:
        ranking = await children_ranking(uow, catalogue, unit.code, view.indicator, view.period)
    await drawing(update)
    chart = await charts.render_ranking(ranking, t)
    keyboard = []
    if any(ind.code == view.indicator for ind, _ in chart_lines(catalogue, unit)):
        year = Period.whole_year(view.period.year)
        keyboard.append(
            [
                render.button(
                    t._("📈 Month by month"), TrendChartView(unit.code, year, view.indicator)
                )
            ]
        )
    keyboard.append(
        [render.button(t._("◀ Other charts"), ChartMenuView(unit.code, view.period, True))]
    )
    await send_picture(
        update,
        chart,
        charts.ranking_caption(ranking, catalogue, t),
        InlineKeyboardMarkup(keyboard),
    )


# --- the command and its buttons --------------------------------------------------------------


@require_person
async def chart(update: Update, context: Context, caller: Caller) -> None:
    """/chart [unit]: the unit's indicators as buttons, each to its chart."""
    period = now(context).report
    unit = await asked_unit(
        update, list(context.args or []), caller, catalogue_of(context, period).units
    )
    if unit is not None:
        await show_menu(update, context, caller, ChartMenuView(unit.code, period, False))


@require_person
async def chart_pressed(update: Update, context: Context, caller: Caller) -> None:
    """A chart button: re-authorised on its unit, then the choice is edited or a picture sent."""
    view = await pressed(update, context, caller)
    if isinstance(view, ChartMenuView):
        await show_menu(update, context, caller, view)
    elif isinstance(view, TrendChartView):
        await send_trend(update, context, caller, view)
    elif isinstance(view, RankingChartView):
        await send_ranking(update, context, caller, view)


def handlers() -> list[BaseHandler[Any, Context, Any]]:
    """The commands of this module, in the order they are tried."""
    prefixes = (Prefix.CHART_MENU, Prefix.TREND_CHART, Prefix.RANKING_CHART)
    return [
        CommandHandler("chart", chart),
        CallbackQueryHandler(chart_pressed, pattern=f"^(?:{'|'.join(prefixes)}):"),
    ]

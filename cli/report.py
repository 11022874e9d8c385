"""`chitieu report`: reporting completeness and timeliness by level, the units not reported and
the ranking by indicators met with the scoring preview (services.report), as a table or JSON.

    chitieu report                                  # the province, the report due today
    chitieu report --unit dak-glei --period 2022-Q1 --format json --lang en
"""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from cli.errors import CliError
from i18n.translations import N_
from kpi.period_words import read_period
from kpi.periods import Period
from kpi.units import Level

if TYPE_CHECKING:
    from kpi.catalogue import Catalogue
    from kpi.scoring import Ranked
    from services.report import ReportingSummary

# The province's time zone (i18n.formatting.TIMEZONE, not imported: `chitieu` starts light).
TIMEZONE = "Asia/Ho_Chi_Minh"
EXIT_OK = 0


def add_parser(commands: Any) -> None:
    """Add `report` to the subcommands of cli.main."""
    report = commands.add_parser(
        "report",
        help="the provincial office's report: who reported, by the deadline, and the ranking",
    )
    report.add_argument("--unit", default=None, help="unit code or name (default: the province)")
    report.add_argument(
        "--period",
        default=None,
        help="2022-Q1, 2022-H1, 2022-9M or 2022 (default: the report due today)",
    )
    report.add_argument(
        "--level",
        default=None,
        help="rank only this level's units (a level code of the catalogue, below its top level)",
    )
    report.add_argument(
        "--today", default=None, help="the day to judge deadlines on, YYYY-MM-DD (default: today)"
    )
    report.add_argument("--format", choices=("table", "json"), default="table")


def _today(text: str | None) -> date:
    if text is None:
        return datetime.now(ZoneInfo(TIMEZONE)).date()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CliError(
            N_("--today is a day written YYYY-MM-DD, not “{text}”"), text=text
        ) from None


def typed_period(text: str, by_year: dict[int, Catalogue], today: date) -> Period:
    """`--period` as people write it ("quý 1", "T3/2022", "cả năm", 2022-Q1); without a year,
    that of the current reporting month (the newest catalogue's, past its year)."""
    current = None
    if by_year:
        newest = by_year[max(by_year)]
        current = newest.calendar.month_of(today)
        if current.year not in by_year:
            current = Period.month(newest.year, 12)
    return read_period(text, current.year if current else today.year, current)


def _period(text: str | None, by_year: dict[int, Catalogue], today: date) -> Period:
    from services.report import default_report_period

    if text is None:
        return default_report_period(by_year, today)
    period = typed_period(text, by_year, today)
    if period.year not in by_year:
        years = ", ".join(str(y) for y in sorted(by_year))
        raise CliError(
            N_("no catalogue of {year} is loaded (loaded: {years})"), year=period.year, years=years
        )
    return period


def _level(text: str, catalogue: Catalogue) -> Level:
    ranked = catalogue.units.level_order[1:]
    if text not in ranked:
        raise CliError(
            N_("unknown level “{text}”: one of {levels}"), text=text, levels=", ".join(ranked)
        )
    return text


def _percent(value: Fraction | None) -> Decimal | None:
    from kpi.attainment import round_percent

    return None if value is None else round_percent(value, 2)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


async def run(db: Any, args: argparse.Namespace) -> int:
    """The report as a table or JSON (errors a person can cause raise DomainError)."""
    from services.catalogues import Catalogues
    from services.report import rankings, reporting_summary

    async with db.unit_of_work() as uow:
        catalogues = await Catalogues.from_store(uow)
    if not catalogues.by_year:
        raise CliError(N_("no catalogue is loaded: run `chitieu init` first"))
    today = _today(args.today)
    period = _period(args.period, catalogues.by_year, today)
    catalogue = catalogues.by_year[period.year]
    tree = catalogue.units
    unit = tree.find(args.unit) if args.unit else tree.root
    levels = [_level(args.level, catalogue)] if args.level else None
    async with db.unit_of_work() as uow:
        summary = await reporting_summary(
            uow, catalogue, unit.code, period, today, ZoneInfo(TIMEZONE)
        )
        ranked = await rankings(uow, catalogue, unit.code, period, levels, args.lang)
    if args.format == "json":
        print(
            json.dumps(_json(catalogue, summary, ranked, args.lang), ensure_ascii=False, indent=2)
        )
    else:
        _print_tables(catalogue, summary, ranked, args.lang)
    return EXIT_OK


def _json(
    catalogue: Catalogue,
    summary: ReportingSummary,
    ranked: dict[Level, list[Ranked]],
    language: str,
) -> dict[str, Any]:
    from i18n.texts import points

    tree = catalogue.units
    return {
        "unit": summary.root,
        "name": tree.get(summary.root).name.get(language),
        "period": summary.period.key,
        "today": summary.today.isoformat(),
        "levels": [
            {
                "level": level.level,
                "deadline": level.deadline.isoformat(),
                "expected": level.expected,
                "reported": level.reported,
                "on_time": level.on_time,
                "late": level.late,
                "not_reported": level.not_reported,
                "completeness": _number(_percent(level.completeness)),
                "timeliness": _number(_percent(level.timeliness)),
            }
            for level in summary.levels
        ],
        "units": [
            {
                "unit": u.unit,
                "name": tree.describe(u.unit, language),
                "level": u.level,
                "deadline": u.deadline.isoformat(),
                "reported": u.reported,
                "completed_at": None if u.completed_at is None else u.completed_at.isoformat(),
                "completed_on": None if u.completed_on is None else u.completed_on.isoformat(),
                "timeliness": u.timeliness.value,
                "missing": list(u.missing),
            }
            for u in summary.units
        ],
        "ranking": {
            level: [
                {
                    "rank": r.rank,
                    "unit": r.unit,
                    "name": r.name,
                    "met": r.score.met,
                    "below_target": r.score.below_target,
                    "below_floor": r.score.below_floor,
                    "no_data": r.score.no_data,
                    "judged": r.score.judged,
                    "score": float(points(r.score.points)),
                    "score_exact": str(r.score.points),
                    "zero_on": [c.indicator for c in r.score.zeroed],
                }
                for r in entries
            ]
            for level, entries in ranked.items()
        },
    }


def _print_tables(
    catalogue: Catalogue,
    summary: ReportingSummary,
    ranked: dict[Level, list[Ranked]],
    language: str,
) -> None:
    from cli.main import _table
    from i18n.formatting import count, day, percent, period_name
    from i18n.texts import level_name, points_text
    from i18n.translations import translator

    t = translator(language)
    tree = catalogue.units
    root = tree.get(summary.root)
    states = {
        "on_time": N_("on time"),
        "late": N_("late"),
        "missing": N_("overdue"),
        "pending": N_("not yet due"),
    }
    print(
        f"{root.name.get(language)} ({root.code}), {period_name(summary.period, t)},"
        f" {day(summary.today, language)}"
    )
    _table(
        [
            t._("level"),
            t._("deadline"),
            t._("expected"),
            t._("reported"),
            t._("complete"),
            t._("on time"),
            t._("timely"),
        ],
        [
            [
                level_name(level.level, t),
                day(level.deadline, language),
                count(level.expected, language),
                count(level.reported, language),
                percent(_percent(level.completeness), 2, language),
                count(level.on_time, language),
                percent(_percent(level.timeliness), 2, language),
            ]
            for level in summary.levels
        ],
    )
    print()
    missing = summary.not_reported
    print(t._("not reported: {count}", count=count(len(missing), language)))
    if missing:
        _table(
            [t._("code"), t._("level"), t._("name"), t._("state"), t._("missing")],
            [
                [
                    u.unit,
                    level_name(u.level, t),
                    tree.describe(u.unit, language),
                    t._(states.get(u.timeliness.value, u.timeliness.value)),
                    str(len(u.missing)),
                ]
                for u in missing
            ],
        )
    late = summary.late
    if late:
        print()
        print(t._("reported late: {count}", count=count(len(late), language)))
        _table(
            [t._("code"), t._("level"), t._("name")],
            [[u.unit, level_name(u.level, t), tree.describe(u.unit, language)] for u in late],
        )
    for level, entries in ranked.items():
        print()
        print(t._("ranking: {level}", level=level_name(level, t)))
        _table(
            [
                t._("rank"),
                t._("code"),
                t._("name"),
                t._("met"),
                t._("below"),
                t._("floor"),
                t._("no data"),
                t._("score"),
                t._("zero on"),
            ],
            [
                [
                    "—" if r.rank is None else str(r.rank),
                    r.unit,
                    r.name,
                    str(r.score.met),
                    str(r.score.below_target),
                    str(r.score.below_floor),
                    str(r.score.no_data),
                    f"{points_text(r.score.points, language)}/{r.score.judged}"
                    if r.score.judged
                    else "—",
                    ", ".join(c.indicator for c in r.score.zeroed) or "—",
                ]
                for r in entries
            ],
        )

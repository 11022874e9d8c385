"""The `chitieu` command line: set up the store, list the catalogue, import figures, status."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli import backup as cli_backup
from cli import broadcast as cli_broadcast
from cli import report as cli_report
from cli import sections as cli_sections
from cli.errors import CliError, expected_error, telegram_id
from i18n.translations import N_, translator
from kpi.periods import Period
from kpi.revisions import Author
from services.catalogue_file import DEFAULT_CATALOGUE

if TYPE_CHECKING:
    from services.alerts import SubmissionAlerts

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2


def _init_arguments(init: argparse.ArgumentParser) -> None:
    init.add_argument("--catalog", type=Path, default=DEFAULT_CATALOGUE, metavar="PATH")
    init.add_argument(
        "--yes", action="store_true", help="apply units merged or removed without asking"
    )


def _parser() -> argparse.ArgumentParser:  # noqa: PLR0915 (one statement an option)
    parser = argparse.ArgumentParser(
        prog="chitieu",
        description="Chỉ tiêu: administrative-reform targets of a province, tracked by unit."
        " DATABASE_URL selects the store (default: the SQLite file var/chitieu.db).",
    )
    parser.add_argument("--lang", choices=LANGUAGES, default="vi", help=LANG_HELP)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = commands.add_parser("init", help="create or upgrade the schema and load a catalogue")
    _init_arguments(init)

    units = commands.add_parser("units", help="the unit tree")
    units_commands = units.add_subparsers(dest="action", required=True, metavar="ACTION")
    units_list = units_commands.add_parser("list", help="list the units")
    units_list.add_argument("--format", choices=("table", "json"), default="table")
    units_list.add_argument("--under", metavar="UNIT", help="only this unit's subtree")

    indicators = commands.add_parser("indicators", help="the indicators of the catalogue")
    indicators_commands = indicators.add_subparsers(dest="action", required=True, metavar="ACTION")
    indicators_list = indicators_commands.add_parser("list", help="list the indicators")
    indicators_list.add_argument("--format", choices=("table", "json"), default="table")
    indicators_list.add_argument("--year", type=int, help="the catalogue of this year")

    figures = commands.add_parser("figures", help="figures reported by units")
    figures_commands = figures.add_subparsers(dest="action", required=True, metavar="ACTION")
    figures_import = figures_commands.add_parser(
        "import", help="import a .csv or .xlsx (unit, element, period, value[, note])"
    )
    figures_import.add_argument("file", type=Path)
    figures_import.add_argument("--author", default=None, help="who is importing (default: you)")

    status = commands.add_parser("status", help="a unit's attainment for a period")
    status.add_argument("--unit", required=True, help="unit code or name")
    status.add_argument(
        "--period",
        required=True,
        help="tháng 3, quý 1, T3/2022, quý I/2022, 6 tháng, cả năm, 2022-Q1…",
    )
    status.add_argument("--format", choices=("table", "json"), default="table")
    cli_report.add_parser(commands)
    cli_broadcast.add_parser(commands)
    cli_sections.add_parser(commands)

    export = commands.add_parser(
        "export", help="the quarterly report of a unit's subtree as .xlsx (or .csv)"
    )
    export.add_argument("--unit", required=True, help="unit code or name")
    export.add_argument(
        "--period",
        required=True,
        help="quý 1, quý I/2022, 6 tháng, 9 tháng, cả năm, 2022-Q1…",
    )
    export.add_argument("--output", required=True, type=Path, metavar="FILE", help="*.xlsx, *.csv")

    emulator = commands.add_parser("emulator", help="run the Telegram Bot API emulator alone")
    _listen_arguments(emulator, 8081)

    invite = commands.add_parser(
        "invite", help="a single-use link that binds the person who opens it to a unit"
    )
    invite.add_argument("--unit", required=True, help="unit code or name")
    invite.add_argument("--role", required=True, metavar="ROLE", help="head, member or viewer")
    invite.add_argument(
        "--expires", default="7", metavar="DAYS", help="days the link works, 1-90 (default 7)"
    )

    sandbox = commands.add_parser(
        "sandbox", help="the emulator and its web chat, the bot, demo figures and demo users"
    )
    _listen_arguments(sandbox, 8080)
    sandbox.add_argument(
        "--keep", action="store_true", help="keep var/sandbox.db of the last run (no new figures)"
    )
    sandbox.add_argument(
        "--catalog",
        type=Path,
        default=None,
        metavar="PATH",
        help="the catalogue to run on (default: CATALOG_PATH, else catalogs/kontum-2022.yaml)",
    )
    sandbox.add_argument(
        "--today",
        default=None,
        help="the bot's date and time at start (default 10 June, 09:00 of the catalogue's year,"
        " province time)",
    )

    either = commands.add_parser(
        "run-or-sandbox", help="run the bot, or the sandbox when no bot token is configured"
    )
    _listen_arguments(either, 8080, "the sandbox's, when it runs")
    commands.add_parser(
        "run", help="run the bot: long polling, or a webhook when WEBHOOK_URL is set"
    )

    admin = commands.add_parser("admin", help="administrators of the provincial office")
    admin_commands = admin.add_subparsers(dest="action", required=True, metavar="ACTION")
    admin_add = admin_commands.add_parser("add", help="make a Telegram user an administrator")
    admin_add.add_argument("telegram_id", type=telegram_id, metavar="TELEGRAM_ID")
    admin_add.add_argument(
        "--name", default=None, help="their name (default: the one Telegram gives next time)"
    )
    cli_backup.add_parsers(commands)
    _lang_everywhere(parser)
    return parser


LANGUAGES = ("vi", "en")
LANG_HELP = "the language of what is printed (default vi, the catalogue's)"


def _lang_everywhere(parser: argparse.ArgumentParser) -> None:
    """`--lang` after any command too (`chitieu init --lang en`): given there, it wins; not
    given, the global one (default vi) stays."""
    for action in parser._actions:  # noqa: SLF001 (argparse lists its subparsers nowhere else)
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for sub in dict.fromkeys(action.choices.values()):
                sub.add_argument(
                    "--lang", choices=LANGUAGES, default=argparse.SUPPRESS, help=LANG_HELP
                )
                _lang_everywhere(sub)


def _listen_arguments(
    parser: argparse.ArgumentParser, port: int, help_: str | None = None
) -> None:
    """--host and --port of a server the command starts."""
    parser.add_argument("--host", default="127.0.0.1", help=help_)
    parser.add_argument("--port", type=int, default=port, help=help_)


def quiet_on_closed_pipe(run: Callable[[Sequence[str] | None], int]) -> Callable[..., int]:
    """`chitieu status ... | head`: when the reader closes the pipe, stop quietly (no
    traceback, nothing more written), as other command-line tools do."""

    def guarded(argv: Sequence[str] | None = None) -> int:
        try:
            code = run(argv)
            sys.stdout.flush()
        except BrokenPipeError:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush goes nowhere
            return EXIT_OK
        return code

    return guarded


@quiet_on_closed_pipe
def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _command(args)
    except BrokenPipeError:
        raise  # the reader went away: quiet_on_closed_pipe ends the command
    except Exception as error:
        line = expected_error(error, translator(args.lang))
        if line is None:
            raise  # a bug: its traceback is wanted
        print(line, file=sys.stderr)
        return EXIT_PROBLEM


def _command(args: argparse.Namespace) -> int:
    if args.command == "emulator":
        from sandbox.__main__ import main as emulator_main

        return emulator_main(["--host", args.host, "--port", str(args.port)])
    if args.command == "run-or-sandbox":
        return _run_or_sandbox(args.host, args.port)
    if args.command == "run":
        return _run()
    if args.command == "admin":
        return asyncio.run(_admin_add(args))
    if args.command == "sandbox":
        return _sandbox(args)
    if args.command in cli_backup.COMMANDS:
        return cli_backup.run(args)
    return asyncio.run(_invite(args) if args.command == "invite" else _dispatch(args))


def _run_or_sandbox(host: str, port: int) -> int:
    from bot.settings import Settings

    if Settings().telegram_bot_token is not None:
        return _run()
    print("No TELEGRAM_BOT_TOKEN is configured: starting the sandbox.", file=sys.stderr)
    return _sandbox(_parser().parse_args(["sandbox", "--host", host, "--port", str(port)]))


def _sandbox(args: argparse.Namespace) -> int:
    """The sandbox until SIGINT or SIGTERM (see cli/sandbox_runner.py)."""
    from bot.logs import configure_logging
    from cli.sandbox_runner import (
        SANDBOX_TOKEN,
        SandboxOptions,
        parse_today,
        run_sandbox,
    )

    try:
        today = parse_today(args.today) if args.today else None
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_PROBLEM
    configure_logging(SANDBOX_TOKEN)
    catalog = getattr(args, "catalog", None)
    options = SandboxOptions(
        host=args.host, port=args.port, keep=args.keep, today=today, catalog=catalog
    )
    try:
        asyncio.run(
            run_sandbox(options, say=lambda line: print(line, flush=True), handle_signals=True)
        )
    except OSError as error:  # the port is taken, the folder is not writable...
        print(f"error: {error}", file=sys.stderr)
        return EXIT_PROBLEM
    return EXIT_OK


async def _invite(args: argparse.Namespace) -> int:
    """Create an invite; its deep link on the last line (the bot's name from getMe, else from
    BOT_USERNAME)."""
    from datetime import UTC, datetime

    from bot.app import prepare_store
    from bot.context import Services
    from i18n.formatting import deep_link, moment
    from services.access import create_invite
    from storage import Database

    role, days = _role(args.role), _days(args.expires)
    settings = _link_settings()
    username = await _bot_username(settings)
    database = Database.connect(settings.database_url)
    try:
        services = Services(database=database, settings=settings)
        await prepare_store(services)
        catalogue = services.catalogues.newest
        invite = await create_invite(
            database.unit_of_work,
            catalogue,
            args.unit,
            role,
            f"cli:{getpass.getuser()}",
            datetime.now(UTC),
            days,
        )
    finally:
        await database.dispose()
    unit = catalogue.units.get(invite.unit)
    t = translator(args.lang)
    print(
        t._(
            "Invite to {unit} ({code}) as {role}, single use, valid until {moment} ({zone}):",
            unit=unit.name.get(t.language),
            code=unit.code,
            role=role.value,
            moment=moment(invite.expires_at, t.language, settings.timezone),
            zone=settings.timezone,
        )
    )
    print(deep_link(username, invite.code))
    return EXIT_OK


def _role(text: str) -> Any:
    from kpi.access import Role

    try:
        return Role(text.strip().lower())
    except ValueError:
        raise CliError(N_("--role is head, member or viewer, not “{text}”"), text=text) from None


def _days(text: str) -> int:
    from services.access import MAX_DAYS, MIN_DAYS

    try:
        days = int(text)
    except ValueError:
        days = 0
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise CliError(
            N_("--expires is a number of days from {low} to {high}, not “{text}”"),
            low=MIN_DAYS,
            high=MAX_DAYS,
            text=text,
        )
    return days


def _link_settings() -> Any:
    """The bot's settings, and BOT_USERNAME (environment or .env) for links made offline."""
    from bot.settings import Settings

    class LinkSettings(Settings):
        bot_username: str | None = None

    return LinkSettings()


async def _bot_username(settings: Any) -> str:
    """The bot's username from getMe (Telegram, or BOT_API_BASE_URL) when a token is set;
    else, or when Telegram cannot be reached, BOT_USERNAME."""
    from telegram import Bot
    from telegram.error import TelegramError

    configured = (settings.bot_username or "").strip().removeprefix("@") or None
    if settings.telegram_bot_token is not None:
        base = settings.bot_api_base_url
        bot: Bot = Bot(
            settings.token(),
            base_url=f"{base}/bot" if base else "https://api.telegram.org/bot",
            base_file_url=f"{base}/file/bot" if base else "https://api.telegram.org/file/bot",
        )
        try:
            async with bot:
                return str(bot.username)
        except TelegramError as error:
            if configured is None:
                raise CliError(
                    N_("could not ask Telegram for the bot's name ({reason}); set BOT_USERNAME"),
                    reason=error,
                ) from None
            print(f"warning: getMe failed ({error}); using BOT_USERNAME", file=sys.stderr)
    if configured is None:
        raise CliError(
            N_("the link needs the bot's username: set BOT_USERNAME (or TELEGRAM_BOT_TOKEN)")
        )
    return configured


def _run() -> int:
    """The bot until interrupted; settings problems are told without a traceback."""
    from pydantic import ValidationError

    from bot.app import run
    from bot.logs import configure_logging
    from bot.settings import MissingTokenError, Settings

    try:
        settings = Settings()
        token = settings.token()
    except (ValidationError, MissingTokenError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_PROBLEM
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    configure_logging(token, secret)
    run(settings)
    return EXIT_OK


async def _dispatch(args: argparse.Namespace) -> int:
    from storage import Database

    db = Database.connect()
    try:
        await db.upgrade()
        if args.command == "init":
            return await _init(
                db, args.catalog, translator(args.lang), yes=getattr(args, "yes", False)
            )
        if args.command == "units":
            return await _units(db, args)
        if args.command == "indicators":
            return await _indicators(db, args)
        if args.command == "figures":
            return await _import(db, args)
        if args.command == "status":
            return await _status(db, args)
        if args.command == "report":
            return await cli_report.run(db, args)
        if args.command == "broadcast":
            return await cli_broadcast.run(db, args)
        if args.command == "export":
            return await _export(db, args)
        if args.command == "sections":
            return await cli_sections.run(db, args)
    finally:
        await db.dispose()
    return EXIT_USAGE


def _show_changes(changes: Any, t: Any) -> None:
    """What a new catalogue version changes in the running store, before it is applied."""
    added = f" ({', '.join(changes.added)})" if changes.added else ""
    print(t._("units added: {count}{units}", count=len(changes.added), units=added))
    for successor, old in changes.merged.items():
        print(t._("units merged: {old} -> {new}", old=", ".join(old), new=successor))
    if changes.removed:
        print(t._("units removed (kept, inactive): {units}", units=", ".join(changes.removed)))
    for person, old, new in changes.people:
        print(
            t._(
                "person {person} moved: {old} -> {new} (told once)",
                person=person,
                old=old,
                new=new,
            )
        )
    for chat, old, new in changes.groups:
        print(t._("group {chat} moved: {old} -> {new}", chat=chat, old=old, new=new))
    print(t._("Nothing is deleted: figures and revisions stay as they were."))


def _confirmed(t: Any) -> bool:
    try:
        answer = input(t._("Apply these changes? [y/N] "))
    except (EOFError, OSError):  # no terminal to ask: not confirmed
        return False
    return answer.strip().lower() in {"y", "yes", "c", "có"}


async def _init(db: Any, path: Path, t: Any, *, yes: bool = False) -> int:
    from i18n.texts import moved_text
    from services.catalogues import load_into_store, plan_changes

    changes = await plan_changes(db.unit_of_work, path)
    if changes is not None and changes.asks:
        _show_changes(changes, t)
        if not yes and not _confirmed(t):
            print(t._("not applied: nothing changed"), file=sys.stderr)
            return EXIT_PROBLEM
    report = await load_into_store(db.unit_of_work, path, tell=moved_text)
    units = report.units
    summary = (
        t._("catalogue {name}: loaded", name=report.catalogue)
        if report.changed
        else t._("catalogue {name}: unchanged", name=report.catalogue)
    )
    print(
        t._(
            "{summary}; units added {added}, updated {updated}, deactivated {deactivated};"
            " totals rebuilt {rebuilt}",
            summary=summary,
            added=units.added,
            updated=units.updated,
            deactivated=units.deactivated,
            rebuilt=report.totals_rebuilt,
        )
    )
    return EXIT_OK


async def _catalogues(db: Any) -> Any:
    from services.catalogues import Catalogues

    async with db.unit_of_work() as uow:
        return await Catalogues.from_store(uow)


def _typed_period(text: str, catalogues: Any) -> Period:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo(cli_report.TIMEZONE)).date()
    return cli_report.typed_period(text, catalogues.by_year, today)


async def _units(db: Any, args: argparse.Namespace) -> int:
    catalogue = (await _catalogues(db)).newest
    tree = catalogue.units
    units = tree.subtree(tree.find(args.under).code) if args.under else tuple(tree)
    rows = [
        {
            "code": u.code,
            "level": u.level,
            "name": u.name.vi,
            "name_en": u.name.en,
            "parent": u.parent,
            "confirmed": u.confirmed,
        }
        for u in units
    ]
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        from i18n.texts import level_name

        t = translator(args.lang)
        depth = {u.code: len(tree.ancestors(u.code)) for u in units}
        _table(
            [t._("code"), t._("level"), t._("name")],
            [[u.code, level_name(u.level, t), "  " * depth[u.code] + u.name.vi] for u in units],
        )
    return EXIT_OK


def _scope_cell(scope: dict[str, list[str]]) -> str:
    """ "every unit of its levels", or the named units and required properties."""
    parts = [*scope["units"], *(f"having {p}" for p in scope["having"])]
    return ", ".join(parts) or "all"


async def _indicators(db: Any, args: argparse.Namespace) -> int:
    catalogues = await _catalogues(db)
    catalogue = catalogues.for_year(args.year) if args.year else catalogues.newest
    rows = []
    for i in catalogue.indicators.values():
        target = i.target
        rows.append(
            {
                "code": i.code,
                "name": i.name.vi,
                "short": i.short.vi,
                "short_en": i.short.en,
                "kind": i.kind.value,
                "levels": sorted(i.levels),
                "numerator": list(i.numerator),
                "denominator": list(i.denominator),
                "flag": i.flag,
                "target": _number(i.target_for(None)),
                "target_by_level": {k: _number(v) for k, v in target.by_level.items()},
                "floor": _number(i.floor),
                "binding": i.binding.value,
                "lead": i.lead.vi,
                "scope": {
                    "levels": sorted(i.levels),
                    "units": sorted(i.units),
                    "having": sorted(i.having),
                },
                "totals": {code: catalogue.elements[code].total_rule.value for code in i.elements},
            }
        )
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        t = translator(args.lang)
        _table(
            [
                t._("code"),
                t._("short name"),
                t._("target"),
                t._("floor"),
                t._("levels"),
                t._("judges"),
                t._("totals"),
            ],
            [
                [
                    r["code"],
                    r["short"] if t.language == "vi" else r["short_en"],
                    ", ".join(f"{k} {v}" for k, v in r["target_by_level"].items())
                    or ("—" if r["target"] is None else f"{r['target']}"),
                    "—" if r["floor"] is None else str(r["floor"]),
                    ", ".join(r["levels"]),
                    _scope_cell(r["scope"]),
                    ", ".join(f"{k}: {v}" for k, v in r["totals"].items()),
                ]
                for r in rows
            ],
        )
    return EXIT_OK


def _alerts() -> SubmissionAlerts:
    """The alert check an import runs (the alerts are queued; the bot's worker sends them)."""
    from bot.notices import BotNoticeWriter
    from bot.settings import Settings
    from services.alerts import SubmissionAlerts

    settings = Settings()
    return SubmissionAlerts(BotNoticeWriter(settings.default_language), settings.tzinfo)


async def _import(db: Any, args: argparse.Namespace) -> int:
    from i18n.problems import rejected_summary, row_error_text
    from services.importing import ImportRejectedError, import_figures

    t = translator(args.lang)
    name = args.author or getpass.getuser()
    try:
        report = await import_figures(
            db.unit_of_work, args.file, Author(f"cli:{name}", name), alerts=_alerts()
        )
    except ImportRejectedError as rejected:
        catalogue = (await _catalogues(db)).newest
        print(f"{args.file}: {rejected_summary(rejected, t)}", file=sys.stderr)
        for error in rejected.errors:
            reason = row_error_text(error, t, catalogue)
            print("  " + t._("row {row}: {reason}", row=error.row, reason=reason), file=sys.stderr)
        return EXIT_PROBLEM
    print(
        t.n_(
            "{file}: {count} row; {revisions} new revisions, {unchanged} unchanged",
            "{file}: {count} rows; {revisions} new revisions, {unchanged} unchanged",
            report.rows,
            file=args.file,
            count=report.rows,
            revisions=report.revisions,
            unchanged=report.unchanged,
        )
    )
    return EXIT_OK


async def _status(db: Any, args: argparse.Namespace) -> int:
    """The status in the language asked (the catalogue's, Vietnamese, unless --lang en), with
    the bot's words for each status (bot.texts.status_word)."""
    from i18n.formatting import count, percent
    from i18n.texts import level_name, period_heading, status_word, unit_label
    from i18n.translations import translator
    from services.status import status_rows, unit_status

    catalogues = await _catalogues(db)
    period = _typed_period(args.period, catalogues)
    catalogue = catalogues.for_year(period.year)
    unit = catalogue.units.find(args.unit)
    async with db.unit_of_work() as uow:
        lines = await unit_status(uow, catalogue, unit.code, period)
    rows = status_rows(lines, args.lang)
    if args.format == "json":
        print(json.dumps([r.as_json() for r in rows], ensure_ascii=False, indent=2))
        return EXIT_OK
    lang = args.lang
    t = translator(lang)
    print(f"{unit_label(catalogue, unit.code, lang)} ({unit.code})")
    print(period_heading(period, catalogue, t))
    table = []
    for line, r in zip(lines, rows, strict=True):
        a = line.attainment
        needed = count(r.needed, lang) if r.reachable else t._("no longer reachable")
        table.append(
            [
                r.indicator
                + (f" ({level_name(line.level, t)})" if line.level is not None else ""),
                r.name,
                count(r.numerator, lang),
                count(r.denominator, lang),
                percent(a.rate_percent(a.display_decimals()), a.display_decimals(), lang),
                percent(r.target, 0 if r.target == int(r.target) else 2, lang)
                if r.target is not None
                else "—",
                status_word(a.status, t),
                needed if r.needed is not None or not r.reachable else "—",
            ]
        )
    header = [
        t._("indicator"),
        t._("name"),
        t._("numerator"),
        t._("denominator"),
        t._("rate"),
        t._("target"),
        t._("status"),
        t._("needed"),
    ]
    _table(header, table)
    return EXIT_OK


async def _export(db: Any, args: argparse.Namespace) -> int:
    """Build the whole report before writing: a bad unit or period leaves no file behind."""
    from datetime import UTC, datetime

    from documents.workbook import output_format, report_bytes
    from i18n.formatting import period_name
    from services.export import build_report
    from services.sections import export_shares

    t = translator(args.lang)
    file_format = output_format(args.output.name)
    catalogues = await _catalogues(db)
    period = _typed_period(args.period, catalogues)
    catalogue = catalogues.for_year(period.year)
    unit = catalogue.units.find(args.unit)
    async with db.unit_of_work() as uow:
        report = await build_report(uow, catalogue, unit.code, period, datetime.now(UTC))
    shares = await export_shares(db.unit_of_work, unit.code, period)
    try:
        args.output.write_bytes(report_bytes(report, file_format, args.lang, shares))
    except OSError as error:
        reason = f"{args.output}: {error.strerror or error}"
        print(t._("error: {reason}", reason=reason), file=sys.stderr)
        return EXIT_PROBLEM
    print(f"{args.output}: {unit.name.get(args.lang)} ({unit.code}), {period_name(period, t)}")
    return EXIT_OK


async def _admin_add(args: argparse.Namespace) -> int:
    """Read the database from the bot's settings (.env included), as `chitieu run` does."""
    from bot.settings import Settings
    from services.access import add_admin
    from storage import Database

    db = Database.connect(Settings().database_url)
    try:
        await db.upgrade()
        person = await add_admin(db.unit_of_work, args.telegram_id, args.name)
    finally:
        await db.dispose()
    t = translator(args.lang)
    print(
        t._(
            "{id} ({name}) is an administrator: they see every unit",
            id=person.telegram_id,
            name=person.name,
        )
    )
    return EXIT_OK


def _number(value: Any) -> Any:
    if value is None:
        return None
    return int(value) if value == int(value) else float(value)


def _table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=False)]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)))


if __name__ == "__main__":
    raise SystemExit(main())

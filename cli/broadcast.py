"""`chitieu broadcast`: queue a message to an audience (the running bot delivers it), or print
a broadcast's delivery report.

    chitieu broadcast --text "Họp giao ban lúc 8 giờ" --audience level:commune
    chitieu broadcast --file notice.txt --audience units:so-y-te,dak-glei --yes
    chitieu broadcast --report 12

Audiences: heads | level:<level> | subtree:<unit> | units:<unit>,<unit>… | groups (units by
code or name). Without --yes the recipient count is shown and confirmation asked.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cli.errors import CliError, record_id
from i18n.translations import N_, translator
from kpi.errors import DomainError

EXIT_OK, EXIT_PROBLEM = 0, 1
CLI_AUTHOR = 0  # created_by of a broadcast sent from the command line


def add_parser(commands: Any) -> None:
    """Add `broadcast` to the subcommands of cli.main."""
    parser = commands.add_parser(
        "broadcast", help="send a message to many units (queued; the running bot delivers it)"
    )
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--text", help="the message")
    what.add_argument("--file", type=Path, metavar="FILE", help="the message, from a UTF-8 file")
    what.add_argument(
        "--report", type=record_id, metavar="ID", help="print the delivery report of a broadcast"
    )
    parser.add_argument(
        "--audience",
        help="heads | level:<level> | subtree:<unit> | units:<unit>,<unit>… | groups",
    )
    parser.add_argument("--yes", action="store_true", help="send without asking")


def _text(args: argparse.Namespace) -> str:
    if args.file is not None:
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise DomainError(f"{args.file}: {error}") from None
    else:
        text = args.text or ""
    if not text.strip():
        raise CliError(N_("the message is empty"))
    return text.strip()


async def run(db: Any, args: argparse.Namespace, ask: Callable[[str], str] | None = None) -> int:
    """The subcommand on an upgraded database."""
    from services.broadcasts import Audience, broadcast_report, create_broadcast, plan_broadcast
    from services.catalogues import Catalogues

    t = translator(args.lang)
    if args.report is not None:
        async with db.unit_of_work() as uow:
            report = await broadcast_report(uow, args.report)
        if report is None:
            raise CliError(N_("no broadcast has the id {id}"), id=args.report)
        state = t._("finished") if report.finished else t._("in progress")
        print(
            t._(
                "broadcast {id}: {state}; recipients {recipients}, delivered {delivered},"
                " blocked {blocked}, failed {failed}, pending {pending}",
                id=report.broadcast_id,
                state=state,
                recipients=report.recipients,
                delivered=report.delivered,
                blocked=report.blocked,
                failed=report.failed,
                pending=report.pending,
            )
        )
        return EXIT_OK
    if not args.audience:
        raise CliError(
            N_(
                "--audience is required to send: heads, level:<level>, subtree:<unit>,"
                " units:<unit>,<unit>… or groups"
            )
        )
    text = _text(args)
    async with db.unit_of_work() as uow:
        catalogues = await Catalogues.from_store(uow)
        if not catalogues.by_year:
            raise CliError(N_("no catalogue is loaded: run `chitieu init` first"))
        tree = catalogues.newest.units
        audience = Audience.parse(args.audience, tree)
        plan = await plan_broadcast(uow, tree, audience)
    if plan.count == 0:
        raise CliError(
            N_("nobody is in the audience “{audience}”: nothing to send"), audience=audience.key
        )
    blocked = (
        " " + t._("({count} blocked the bot earlier)", count=plan.blocked) if plan.blocked else ""
    )
    print(
        t.n_(
            "audience {audience}: {count} recipient",
            "audience {audience}: {count} recipients",
            plan.count,
            audience=audience.key,
            count=plan.count,
        )
        + blocked
    )
    if not args.yes:
        try:
            answer = (ask or input)(t._("Send? [y/N] "))
        except EOFError:
            answer = ""
        if answer.strip().lower() not in {"y", "yes", "c", "có"}:
            print(t._("not sent"), file=sys.stderr)
            return EXIT_PROBLEM
    from bot.settings import Settings
    from i18n.texts import sender_line

    sender = sender_line(catalogues.newest, Settings().default_language)
    created = await create_broadcast(
        db.unit_of_work, tree, f"{sender}\n\n{text}", audience, CLI_AUTHOR, datetime.now(UTC)
    )
    print(
        t._(
            "broadcast {id} queued for {recipients} recipients ({blocked} counted as blocked);"
            " `chitieu broadcast --report {id}` shows its progress",
            id=created.id,
            recipients=created.recipients,
            blocked=created.blocked,
        )
    )
    print(created.id)
    return EXIT_OK

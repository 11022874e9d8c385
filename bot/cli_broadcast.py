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

from bot.cli_errors import record_id
from kpi.errors import DomainError

EXIT_OK, EXIT_PROBLEM = 0, 1
CLI_AUTHOR = 0  # created_by of a broadcast sent from the command line


def add_parser(commands: Any) -> None:
    """Add `broadcast` to the subcommands of bot.cli."""
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
        raise DomainError("the message is empty")
    return text.strip()


async def run(db: Any, args: argparse.Namespace, ask: Callable[[str], str] | None = None) -> int:
    """The subcommand on an upgraded database."""
    from services.broadcasts import Audience, broadcast_report, create_broadcast, plan_broadcast
    from services.catalogues import Catalogues

    if args.report is not None:
        async with db.unit_of_work() as uow:
            report = await broadcast_report(uow, args.report)
        if report is None:
            raise DomainError(f"no broadcast has the id {args.report}")
        state = "finished" if report.finished else "in progress"
        print(
            f"broadcast {report.broadcast_id}: {state}; recipients {report.recipients},"
            f" delivered {report.delivered}, blocked {report.blocked}, failed {report.failed},"
            f" pending {report.pending}"
        )
        return EXIT_OK
    if not args.audience:
        raise DomainError(
            "--audience is required to send: heads, level:<level>, subtree:<unit>,"
            " units:<unit>,<unit>… or groups"
        )
    text = _text(args)
    async with db.unit_of_work() as uow:
        catalogues = await Catalogues.from_store(uow)
        if not catalogues.by_year:
            raise DomainError("no catalogue is loaded: run `chitieu init` first")
        tree = catalogues.newest.units
        audience = Audience.parse(args.audience, tree)
        plan = await plan_broadcast(uow, tree, audience)
    if plan.count == 0:
        raise DomainError(f"nobody is in the audience {audience.key!r}: nothing to send")
    blocked = f" ({plan.blocked} blocked the bot earlier)" if plan.blocked else ""
    print(f"audience {audience.key}: {plan.count} recipients{blocked}")
    if not args.yes:
        try:
            answer = (ask or input)("Send? [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in {"y", "yes", "c", "có"}:
            print("not sent", file=sys.stderr)
            return EXIT_PROBLEM
    from bot.notices import sender_line
    from bot.settings import Settings

    sender = sender_line(catalogues.newest, Settings().default_language)
    created = await create_broadcast(
        db.unit_of_work, tree, f"{sender}\n\n{text}", audience, CLI_AUTHOR, datetime.now(UTC)
    )
    print(
        f"broadcast {created.id} queued for {created.recipients} recipients"
        f" ({created.blocked} counted as blocked); `chitieu broadcast --report {created.id}`"
        " shows its progress"
    )
    print(created.id)
    return EXIT_OK

"""`chitieu backup FILE` and `chitieu restore FILE`: the whole database (storage/backup.py).

    chitieu backup /var/backups/chitieu/chitieu-2026-12-07.dump
    chitieu restore /var/backups/chitieu/chitieu-2026-12-07.dump    # the bot stopped first

The database is the bot's (DATABASE_URL, from the environment or .env; else var/chitieu.db).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from i18n.translations import translator

EXIT_OK, EXIT_PROBLEM = 0, 1
COMMANDS = ("backup", "restore")


def add_parsers(commands: Any) -> None:
    """Add `backup` and `restore` to the subcommands of cli.main."""
    backup = commands.add_parser(
        "backup", help="back the database up into FILE (SQLite online backup, or pg_dump)"
    )
    backup.add_argument("file", type=Path, metavar="FILE")
    restore = commands.add_parser(
        "restore", help="replace the database by the backup FILE (stop the bot first)"
    )
    restore.add_argument("file", type=Path, metavar="FILE")


def run(args: argparse.Namespace) -> int:
    from bot.settings import Settings
    from storage import default_database_url
    from storage.backup import BackupError, backup, restore

    t = translator(args.lang)
    url = Settings().database_url or default_database_url()
    try:
        said = backup(url, args.file) if args.command == "backup" else restore(url, args.file)
    except BackupError as error:
        print(t._("error: {reason}", reason=error), file=sys.stderr)
        return EXIT_PROBLEM
    print(said)
    return EXIT_OK

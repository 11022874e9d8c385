"""`chitieu sections add|list|retire --unit U`: a unit's sections (Article 2.1), from the
command line (which acts as the provincial office: it may change any unit's sections)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from services import sections as service
from services.catalogues import Catalogues
from services.sections import Actor

EXIT_OK, EXIT_PROBLEM = 0, 1


def add_parser(commands: Any) -> None:
    """Add `sections` to the subcommands of cli.main."""
    sections = commands.add_parser("sections", help="a unit's sections (phòng, bộ phận, tổ)")
    actions = sections.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add a section to a unit")
    add.add_argument("--unit", required=True, help="unit code or name")
    add.add_argument("--name", required=True, help="the section's name")
    listed = actions.add_parser("list", help="list a unit's sections")
    listed.add_argument("--unit", required=True, help="unit code or name")
    listed.add_argument("--retired", action="store_true", help="retired sections too")
    listed.add_argument("--format", choices=("table", "json"), default="table")
    retire = actions.add_parser("retire", help="retire a section (its figures stay)")
    retire.add_argument("--unit", required=True, help="unit code or name")
    retire.add_argument("--id", required=True, type=int, help="the section's number")


async def run(db: Any, args: argparse.Namespace) -> int:
    async with db.unit_of_work() as uow:
        catalogue = (await Catalogues.from_store(uow)).newest
    unit = catalogue.units.find(args.unit)
    actor = Actor(None, "cli")
    if args.action == "add":
        section = await service.add_section(
            db.unit_of_work, catalogue, actor, unit.code, args.name, datetime.now(UTC)
        )
        print(f"section {section.id} {section.name!r} added to {unit.code}")
        return EXIT_OK
    if args.action == "retire":
        listed = await service.list_sections(db.unit_of_work, unit.code, retired=True)
        if args.id not in {s.id for s in listed}:
            print(f"error: {unit.code} has no section {args.id}", file=sys.stderr)
            return EXIT_PROBLEM
        section = await service.retire_section(db.unit_of_work, catalogue, actor, args.id)
        print(f"section {section.id} {section.name!r} of {unit.code} retired; its figures stay")
        return EXIT_OK
    listed = await service.list_sections(db.unit_of_work, unit.code, retired=args.retired)
    rows: list[dict[str, Any]] = [
        {
            "id": s.id,
            "name": s.name,
            "active": s.active,
            "elements": list(s.elements),
            "members": list(s.members),
        }
        for s in listed
    ]
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    for r in rows:
        state = "" if r["active"] else " (retired)"
        elements = ", ".join(r["elements"]) or "-"
        print(
            f"{r['id']:>4}  {r['name']}{state}  elements: {elements}  people: {len(r['members'])}"
        )
    if not rows:
        print(f"{unit.code} has no sections")
    return EXIT_OK

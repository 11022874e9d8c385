"""A province's database as it is after a few months of use, and every row of it, raw: for the
backup drill and the upgrade test (tests that compare a database before and after)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from bench._people import roster
from cli import demo
from services import access
from services.access import Outcome
from services.catalogue_file import DEFAULT_CATALOGUE
from services.catalogues import Catalogues, load_into_store
from services.ports import OutgoingMessage
from storage import Database

NOW = datetime(2022, 6, 10, 2, 0, tzinfo=UTC)
PEOPLE = 12
OPEN_INVITES = 3
PENDING = 5

Row = dict[str, Any]
Rows = dict[str, list[Row]]


async def fill(database: Database) -> None:
    """The catalogue, the demo's figures (January to May: revisions, current figures, totals),
    people bound to units by invites, invites not yet used, and messages waiting in the
    outbox (one sent)."""
    await load_into_store(database.unit_of_work, DEFAULT_CATALOGUE, NOW)
    async with database.unit_of_work() as uow:
        catalogue = (await Catalogues.from_store(uow)).for_year(demo.YEAR)
    await demo.load_demo_figures(database.unit_of_work, catalogue, NOW.date())
    people = roster(catalogue, PEOPLE)
    for person in people:
        invite = await access.create_invite(
            database.unit_of_work, catalogue, person.unit.code, person.role, "drill", NOW
        )
        redeemed = await access.redeem_invite(
            database.unit_of_work, invite.code, person.telegram_id, person.name, NOW
        )
        assert redeemed.outcome is Outcome.JOINED
    for index in range(OPEN_INVITES):
        await access.create_invite(
            database.unit_of_work,
            catalogue,
            people[index].unit.code,
            people[index].role,
            "drill",
            NOW,
        )
    messages = [
        OutgoingMessage(
            key=f"drill:{index}",
            chat_id=person.telegram_id,
            kind="reminder",
            text=f"Nhắc nhở {index}: hạn báo cáo tháng 6 là ngày 20/06/2022.",
            not_before=NOW + timedelta(minutes=index),
        )
        for index, person in enumerate(people[:PENDING])
    ]
    async with database.unit_of_work() as uow:
        await uow.outbox.add(messages, NOW)
        await uow.commit()


def _rows(connection: Connection) -> Rows:
    found: Rows = {}
    inspector = inspect(connection)
    for table in sorted(inspector.get_table_names()):
        if table == "alembic_version":
            continue
        columns = [column["name"] for column in inspector.get_columns(table)]
        listed = ", ".join(f'"{c}"' for c in columns)
        order = ", ".join(str(i + 1) for i in range(len(columns)))
        result = connection.execute(text(f'SELECT {listed} FROM "{table}" ORDER BY {order}'))
        found[table] = [dict(row._mapping) for row in result]
    return found


async def every_row(database: Database) -> Rows:
    """Every row of every table (but alembic_version), in a stable order."""
    async with database.engine.connect() as connection:
        return await connection.run_sync(_rows)

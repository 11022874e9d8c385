"""People and their memberships (services.ports.PeopleStore), by Telegram id."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kpi.access import Membership, Person, Role
from storage.sql import IN_LIST, UnitIds, chunks, upsert
from storage.tables import membership_table, person_table, unit_table, utc_now
from storage.transaction import AsyncpgStatement, Connections, asyncpg_of

_PERSON_COLUMNS = ("telegram_id", "name", "language", "is_admin", "active", "muted")


def _people_of(rows: Iterable[Sequence[Any]]) -> list[Person]:
    """People from the rows of `_people_query`."""
    width = len(_PERSON_COLUMNS)
    people: dict[int, dict[str, Any]] = {}
    memberships: dict[int, list[Membership]] = {}
    for row in rows:
        telegram_id = row[0]
        if telegram_id not in people:
            people[telegram_id] = dict(zip(_PERSON_COLUMNS, row[:width], strict=True))
            memberships[telegram_id] = []
        unit, role = row[width], row[width + 1]
        if unit is not None:
            memberships[telegram_id].append(Membership(unit, Role(role)))
    return [
        Person(**fields, memberships=tuple(memberships[id_])) for id_, fields in people.items()
    ]


def _people_query(where: ColumnElement[bool]) -> Select[Any]:
    """People and their memberships: a row per membership, or one without for a person who
    has none."""
    p, m, u = person_table.c, membership_table.c, unit_table.c
    return (
        select(*(p[name] for name in _PERSON_COLUMNS), u.code, m.role)
        .select_from(
            person_table.outerjoin(
                membership_table.join(unit_table, u.id == m.unit_id),
                m.telegram_id == p.telegram_id,
            )
        )
        .where(where)
        .order_by(p.telegram_id, u.code)
    )


_PERSON_BY_ID = _people_query(person_table.c.telegram_id == bindparam("telegram_id"))
_PERSON_BY_ID_ASYNCPG = AsyncpgStatement.of(_PERSON_BY_ID)


class SqlPeopleStore:
    def __init__(self, session: Connections, ids: UnitIds) -> None:
        self._session = session
        self._ids = ids

    async def _connection(self) -> AsyncConnection:
        return await self._session.connection()

    async def get(self, telegram_id: int) -> Person | None:
        # the statement built once (every update reads its sender): only the id is bound
        driver = await asyncpg_of(self._session)
        if driver is not None:
            found = _people_of(await driver.fetch(_PERSON_BY_ID_ASYNCPG.sql, telegram_id))
        else:
            found = await self._people(_PERSON_BY_ID, {"telegram_id": telegram_id})
        return found[0] if found else None

    async def upsert(self, telegram_id: int, name: str) -> Person:
        connection = await self._connection()
        now = utc_now()
        statement = upsert(connection, person_table).values(
            telegram_id=telegram_id,
            name=name,
            language=None,
            is_admin=False,
            active=True,
            muted=False,
            created_at=now,
            updated_at=now,
        )
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=[person_table.c.telegram_id],
                set_={
                    "name": statement.excluded.name,
                    "updated_at": statement.excluded.updated_at,
                },
                where=person_table.c.name != statement.excluded.name,
            )
        )
        person = await self.get(telegram_id)
        assert person is not None
        return person

    async def set_language(self, telegram_id: int, language: str | None) -> None:
        await self._set(telegram_id, language=language)

    async def set_admin(self, telegram_id: int, is_admin: bool) -> None:
        await self._set(telegram_id, is_admin=is_admin)

    async def set_active(self, telegram_id: int, active: bool) -> None:
        await self._set(telegram_id, active=active)

    async def set_muted(self, telegram_id: int, muted: bool) -> None:
        await self._set(telegram_id, muted=muted)

    async def add_membership(self, telegram_id: int, unit: str, role: Role) -> None:
        unit_id = await self._ids.id_of(unit)
        connection = await self._connection()
        await self._require(connection, telegram_id)
        statement = upsert(connection, membership_table).values(
            telegram_id=telegram_id, unit_id=unit_id, role=Role(role).value
        )
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=list(membership_table.primary_key.columns),
                set_={"role": statement.excluded.role},
            )
        )

    async def members_of(self, units: Sequence[str]) -> list[Person]:
        ids = await self._ids.all()
        unit_ids = [ids[code] for code in dict.fromkeys(units) if code in ids]
        m = membership_table.c
        connection = await self._connection()
        people: set[int] = set()
        for chunk in chunks(unit_ids, IN_LIST):
            rows = await connection.execute(select(m.telegram_id).where(m.unit_id.in_(chunk)))
            people.update(rows.scalars())
        found: list[Person] = []
        for chunk in chunks(sorted(people), IN_LIST):
            found.extend(await self._people(person_table.c.telegram_id.in_(chunk)))
        return found

    async def admins(self) -> list[Person]:
        return await self._people(person_table.c.is_admin.is_(True))

    async def _people(
        self, where: ColumnElement[bool] | Select[Any], parameters: dict[str, Any] | None = None
    ) -> list[Person]:
        """The people matching `where` (or a statement of `_people_query`), by Telegram id, each
        with their memberships by unit (one query: a row per membership, or one without for a
        person who has none)."""
        statement = where if isinstance(where, Select) else _people_query(where)
        connection = await self._connection()
        return _people_of((await connection.execute(statement, parameters)).tuples())

    async def _set(self, telegram_id: int, **values: object) -> None:
        connection = await self._connection()
        result = await connection.execute(
            update(person_table)
            .where(person_table.c.telegram_id == telegram_id)
            .values(**values, updated_at=utc_now())
        )
        if result.rowcount != 1:
            raise LookupError(f"no person has the Telegram id {telegram_id}")

    @staticmethod
    async def _require(connection: AsyncConnection, telegram_id: int) -> None:
        c = person_table.c
        if await connection.scalar(select(c.telegram_id).where(c.telegram_id == telegram_id)):
            return
        raise LookupError(f"no person has the Telegram id {telegram_id}")

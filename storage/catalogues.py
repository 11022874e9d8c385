"""The catalogues loaded (services.ports.CatalogueStore): each decision's YAML, by code."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from services.ports import StoredCatalogue
from storage.sql import upsert
from storage.tables import catalogue_table
from storage.transaction import Connections


class SqlCatalogueStore:
    def __init__(self, session: Connections) -> None:
        self._session = session

    async def all(self) -> list[StoredCatalogue]:
        c = catalogue_table.c
        connection = await self._session.connection()
        rows = await connection.execute(
            select(c.code, c.year, c.text, c.digest, c.loaded_at).order_by(c.year, c.code)
        )
        return [StoredCatalogue(*row) for row in rows.tuples().all()]

    async def save(self, catalogue: StoredCatalogue) -> None:
        connection = await self._session.connection()
        values = dataclasses.asdict(catalogue)
        statement = upsert(connection, catalogue_table).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[catalogue_table.c.code],
            set_={k: statement.excluded[k] for k in values if k != "code"},
        )
        await connection.execute(statement)

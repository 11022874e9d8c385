"""Sections, targets handed down and the shares' figures (Article 2.1), behind
services.sections.SectionStore (`uow.sections`). Nothing is committed here.

The tables are defined here (one migration, 0005_sections) and live in the same metadata as
storage.tables; the catalogue's units, figures and totals are not touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Text, UniqueConstraint, func, select
from sqlmodel import Field, SQLModel

from kpi.periods import Period
from kpi.revisions import Author, Source
from kpi.sections import Section, ShareTarget, TargetKind
from storage.sql import UnitIds
from storage.tables import UTCDateTime, unit_table
from storage.transaction import Connections


def _time() -> Any:
    return Field(sa_column=Column(UTCDateTime, nullable=False))


class SectionRow(SQLModel, table=True):
    """A section of a unit; retired sections stay (with their figures)."""

    __tablename__ = "section"
    __table_args__ = (Index("ix_section_unit_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    name: str
    active: bool = True
    created_by: str
    created_at: datetime = _time()


class SectionElementRow(SQLModel, table=True):
    __tablename__ = "section_element"

    section_id: int = Field(foreign_key="section.id", primary_key=True)
    element_code: str = Field(primary_key=True)


class SectionMemberRow(SQLModel, table=True):
    __tablename__ = "section_member"

    section_id: int = Field(foreign_key="section.id", primary_key=True)
    telegram_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("person.telegram_id"),
            primary_key=True,
            autoincrement=False,
            nullable=False,
        )
    )


class ShareTargetRow(SQLModel, table=True):
    """A target handed down to a section ("s:<id>") or an official ("p:<telegram id>")."""

    __tablename__ = "share_target"

    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    holder: str = Field(primary_key=True)
    element_code: str = Field(primary_key=True)
    period_key: str = Field(primary_key=True)
    year: int
    kind: str
    value: int = Field(sa_column=Column(BigInteger, nullable=False))
    set_by: str
    set_at: datetime = _time()


class ShareFigureRevisionRow(SQLModel, table=True):
    """Every value a section or an official reported; never updated, never deleted."""

    __tablename__ = "share_figure_revision"
    __table_args__ = (
        UniqueConstraint("unit_id", "holder", "element_code", "period_key", "number"),
        Index("ix_share_figure_revision_unit_year", "unit_id", "year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    holder: str
    element_code: str
    period_key: str
    year: int
    value: int = Field(sa_column=Column(BigInteger, nullable=False))
    number: int
    previous: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    author_id: str
    author_name: str
    source: str
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _time()


section_table = SectionRow.__table__  # type: ignore[attr-defined]
section_element_table = SectionElementRow.__table__  # type: ignore[attr-defined]
section_member_table = SectionMemberRow.__table__  # type: ignore[attr-defined]
share_target_table = ShareTargetRow.__table__  # type: ignore[attr-defined]
share_revision_table = ShareFigureRevisionRow.__table__  # type: ignore[attr-defined]


class SqlSectionStore:
    """Rows of the section tables in and out as kpi.sections objects."""

    def __init__(self, session: Connections, ids: UnitIds | None = None) -> None:
        self._session = session
        self._ids = ids if ids is not None else UnitIds(session)

    async def _execute(self, statement: Any, rows: Any = None) -> Any:
        connection = await self._session.connection()
        if rows is None:
            return await connection.execute(statement)
        return await connection.execute(statement, rows)

    # sections

    async def add(self, unit: str, name: str, by: str, at: datetime) -> Section:
        unit_id = await self._ids.id_of(unit)
        result = await self._execute(
            section_table.insert()
            .values(unit_id=unit_id, name=name, active=True, created_by=by, created_at=at)
            .returning(section_table.c.id)
        )
        return Section(int(result.scalar_one()), unit, name)

    async def _load(self, where: Any) -> list[Section]:
        s, u = section_table.c, unit_table.c
        rows = (
            await self._execute(
                select(s.id, u.code, s.name, s.active)
                .join(unit_table, u.id == s.unit_id)
                .where(where)
                .order_by(s.id)
            )
        ).all()
        if not rows:
            return []
        ids = [int(r[0]) for r in rows]
        e, m = section_element_table.c, section_member_table.c
        elements: dict[int, list[str]] = {}
        for sid, code in (
            await self._execute(
                select(e.section_id, e.element_code)
                .where(e.section_id.in_(ids))
                .order_by(e.element_code)
            )
        ).all():
            elements.setdefault(int(sid), []).append(str(code))
        members: dict[int, list[int]] = {}
        for sid, tid in (
            await self._execute(
                select(m.section_id, m.telegram_id)
                .where(m.section_id.in_(ids))
                .order_by(m.telegram_id)
            )
        ).all():
            members.setdefault(int(sid), []).append(int(tid))
        return [
            Section(
                int(sid),
                str(code),
                str(name),
                bool(active),
                tuple(elements.get(int(sid), ())),
                tuple(members.get(int(sid), ())),
            )
            for sid, code, name, active in rows
        ]

    async def get(self, section_id: int) -> Section | None:
        found = await self._load(section_table.c.id == section_id)
        return found[0] if found else None

    async def of_unit(self, unit: str, *, retired: bool = False) -> list[Section]:
        where = unit_table.c.code == unit
        if not retired:
            where = where & section_table.c.active.is_(True)
        return await self._load(where)

    async def of_person(self, telegram_id: int) -> list[Section]:
        m = section_member_table.c
        ids = select(m.section_id).where(m.telegram_id == telegram_id)
        return await self._load(section_table.c.id.in_(ids) & section_table.c.active.is_(True))

    async def rename(self, section_id: int, name: str) -> None:
        await self._execute(
            section_table.update().where(section_table.c.id == section_id).values(name=name)
        )

    async def set_active(self, section_id: int, active: bool) -> None:
        await self._execute(
            section_table.update().where(section_table.c.id == section_id).values(active=active)
        )

    async def set_elements(self, section_id: int, elements: Sequence[str]) -> None:
        e = section_element_table.c
        await self._execute(section_element_table.delete().where(e.section_id == section_id))
        if elements:
            await self._execute(
                section_element_table.insert(),
                [{"section_id": section_id, "element_code": code} for code in elements],
            )

    async def add_member(self, section_id: int, telegram_id: int) -> bool:
        m = section_member_table.c
        known = (
            await self._execute(
                select(m.section_id).where(
                    m.section_id == section_id, m.telegram_id == telegram_id
                )
            )
        ).first()
        if known is not None:
            return False
        await self._execute(
            section_member_table.insert().values(section_id=section_id, telegram_id=telegram_id)
        )
        return True

    # targets

    async def put_targets(self, targets: Sequence[ShareTarget], by: str, at: datetime) -> None:
        """Insert or replace each target."""
        t = share_target_table.c
        for target in targets:
            unit_id = await self._ids.id_of(target.unit)
            await self._execute(
                share_target_table.delete().where(
                    t.unit_id == unit_id,
                    t.holder == target.holder,
                    t.element_code == target.element,
                    t.period_key == target.period_key,
                )
            )
            year = int(target.period_key[:4])
            await self._execute(
                share_target_table.insert().values(
                    unit_id=unit_id,
                    holder=target.holder,
                    element_code=target.element,
                    period_key=target.period_key,
                    year=year,
                    kind=str(target.kind),
                    value=target.value,
                    set_by=by,
                    set_at=at,
                )
            )

    async def targets(self, unit: str, year: int) -> list[ShareTarget]:
        t, u = share_target_table.c, unit_table.c
        rows = (
            await self._execute(
                select(t.holder, t.element_code, t.period_key, t.kind, t.value)
                .join(unit_table, u.id == t.unit_id)
                .where(u.code == unit, t.year == year)
                .order_by(t.period_key, t.element_code, t.holder)
            )
        ).all()
        return [
            ShareTarget(unit, str(h), str(e), str(p), TargetKind(str(k)), int(v))
            for h, e, p, k, v in rows
        ]

    # figures

    async def add_figure(
        self,
        unit: str,
        holder: str,
        element: str,
        period: Period,
        value: int,
        author: Author,
        source: Source,
        reason: str | None,
        at: datetime,
    ) -> tuple[int, int | None]:
        """Append a revision; its number and the value it replaced."""
        unit_id = await self._ids.id_of(unit)
        r = share_revision_table.c
        last = (
            await self._execute(
                select(r.number, r.value)
                .where(
                    r.unit_id == unit_id,
                    r.holder == holder,
                    r.element_code == element,
                    r.period_key == period.key,
                )
                .order_by(r.number.desc())
                .limit(1)
            )
        ).first()
        number = 1 if last is None else int(last[0]) + 1
        previous = None if last is None else int(last[1])
        await self._execute(
            share_revision_table.insert().values(
                unit_id=unit_id,
                holder=holder,
                element_code=element,
                period_key=period.key,
                year=period.year,
                value=value,
                number=number,
                previous=previous,
                author_id=author.id,
                author_name=author.name,
                source=str(source),
                reason=reason,
                created_at=at,
            )
        )
        return number, previous

    async def figures(self, unit: str, year: int) -> dict[tuple[str, str, str], int]:
        """Current values of the unit's holders for `year`, by (holder, element, period key)."""
        r, u = share_revision_table.c, unit_table.c
        newest = (
            select(r.holder, r.element_code, r.period_key, func.max(r.number).label("number"))
            .join(unit_table, u.id == r.unit_id)
            .where(u.code == unit, r.year == year)
            .group_by(r.holder, r.element_code, r.period_key)
            .subquery()
        )
        unit_id = await self._ids.id_of(unit)
        rows = (
            await self._execute(
                select(r.holder, r.element_code, r.period_key, r.value)
                .join(
                    newest,
                    (newest.c.holder == r.holder)
                    & (newest.c.element_code == r.element_code)
                    & (newest.c.period_key == r.period_key)
                    & (newest.c.number == r.number),
                )
                .where(r.unit_id == unit_id)
            )
        ).all()
        return {(str(h), str(e), str(p)): int(v) for h, e, p, v in rows}


__all__ = ["SqlSectionStore"]

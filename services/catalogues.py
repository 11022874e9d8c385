"""Loading catalogues into the store, and finding the one that governs a period."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from kpi.aggregate import rollup
from kpi.catalogue import Catalogue
from kpi.each_unit import counter_rollup
from kpi.periods import Period
from services.catalogue_file import load_catalogue, parse_catalogue_text
from services.ports import OutgoingMessage, StoredCatalogue, UnitOfWork, UnitSync


@dataclass(frozen=True, slots=True)
class Move:
    """A person (or a group chat) bound to a unit merged away, now bound to its successor."""

    chat_id: int  # the person's Telegram id, or the group chat's id
    old: str
    new: str
    group: bool = False


# The words of the message telling a person of their move: (move, catalogue, language) → text;
# the bot's (i18n.texts.moved_text). Without one, people are moved and not told.
Teller = Callable[[Move, Catalogue, str | None], str]


@dataclass(frozen=True, slots=True)
class InitReport:
    catalogue: str
    changed: bool
    units: UnitSync
    totals_rebuilt: int
    moves: tuple[Move, ...] = ()


@dataclass(frozen=True, slots=True)
class Changes:
    """What loading a catalogue would change in a running store (shown before it is applied)."""

    added: tuple[str, ...]
    merged: dict[str, tuple[str, ...]]  # successor → the units merged into it
    removed: tuple[str, ...]  # units no longer in the tree, merged into none (kept, inactive)
    people: tuple[tuple[int, str, str], ...]  # (telegram id, from, to)
    groups: tuple[tuple[int, str, str], ...]  # (chat id, from, to)

    @property
    def asks(self) -> bool:
        """Whether the change is one to confirm: units leave the tree or people move."""
        return bool(self.merged or self.removed or self.people or self.groups)


async def plan_changes(unit_of_work: Callable[[], UnitOfWork], path: Path) -> Changes | None:
    """What loading the catalogue at `path` would change; None on a store without catalogues
    (a first `init`) or when a later year's catalogue governs the units."""
    catalogue = load_catalogue(path)[0]
    async with unit_of_work() as uow:
        stored = await uow.catalogues.all()
        if not stored or any(c.year > catalogue.year for c in stored):
            return None
        active = await uow.units.codes()
        successors = catalogue.successors
        merged: dict[str, tuple[str, ...]] = {}
        for succession in catalogue.successions:
            gone = tuple(code for code in succession.codes if code in active)
            if gone:
                merged[succession.unit] = gone
        people: list[tuple[int, str, str]] = []
        for person in await uow.people.members_of(sorted(successors)):
            for membership in person.memberships:
                new = successors.get(membership.unit)
                if new and all(m.unit != new for m in person.memberships):
                    people.append((person.telegram_id, membership.unit, new))
                    break
        groups = [
            (chat, unit, successors[unit])
            for unit, chats in (await uow.chats.subscribers(sorted(successors))).items()
            for chat in chats
        ]
    return Changes(
        added=tuple(u.code for u in catalogue.units if u.code not in active),
        merged=merged,
        removed=tuple(
            sorted(c for c in active if c not in catalogue.units and c not in successors)
        ),
        people=tuple(people),
        groups=tuple(groups),
    )


async def move_to_successors(
    uow: UnitOfWork, catalogue: Catalogue, now: datetime, tell: Teller | None = None
) -> list[Move]:
    """Bind the people and groups of units merged away to their successors (their old bindings
    stay: nothing is deleted), and queue one message to each person moved (once, ever)."""
    moves: list[Move] = []
    messages: list[OutgoingMessage] = []
    for succession in catalogue.successions:
        old = set(succession.codes)
        for person in await uow.people.members_of(sorted(old)):
            if any(m.unit == succession.unit for m in person.memberships):
                continue
            bound = [m for m in person.memberships if m.unit in old]
            if not bound:
                continue
            await uow.people.add_membership(person.telegram_id, succession.unit, bound[0].role)
            move = Move(person.telegram_id, bound[0].unit, succession.unit)
            moves.append(move)
            if tell is not None:
                messages.append(
                    OutgoingMessage(
                        f"moved:{move.old}:{move.new}:{move.chat_id}",
                        move.chat_id,
                        "moved",
                        tell(move, catalogue, person.language),
                    )
                )
        for unit, chats in (await uow.chats.subscribers(sorted(old))).items():
            for chat in chats:
                if await uow.chats.subscribe(chat, succession.unit, 0, now):
                    moves.append(Move(chat, unit, succession.unit, group=True))
    if messages:
        await uow.outbox.add(messages, now)
    return moves


async def load_into_store(
    unit_of_work: Callable[[], UnitOfWork],
    path: Path,
    now: datetime | None = None,
    tell: Teller | None = None,
) -> InitReport:
    """Store the catalogue at `path` and sync its units; figures are kept, totals rebuilt.

    Catalogues of several years live side by side (year N and N+1): the units in the store are
    those of the newest year's catalogue, so loading an earlier year's catalogue after it keeps
    them; each year's totals are rebuilt on the tree of that year's catalogue.

    Idempotent: loading the same file again changes nothing.
    """
    catalogue, text, digest = load_catalogue(path)
    async with unit_of_work() as uow:
        stored = {c.code: c for c in await uow.catalogues.all()}
        previous = stored.get(catalogue.code)
        changed = previous is None or previous.digest != digest
        at = now or datetime.now(UTC)
        others = [c for c in stored.values() if c.code != catalogue.code]
        later = any(c.year > catalogue.year for c in others)
        units = UnitSync(0, 0, 0) if later else await uow.units.sync(catalogue.units)
        rebuilt = 0
        if changed or units.added or units.updated or units.deactivated:
            await uow.catalogues.save(
                StoredCatalogue(catalogue.code, catalogue.year, text, digest, at)
            )
            by_year = {
                c.year: parse_catalogue_text(c.text, f"stored catalogue {c.code}")
                for c in others
                if c.year != catalogue.year
            }
            by_year[catalogue.year] = catalogue
            rebuilt = await rebuild_totals(uow, catalogue, Catalogues(by_year))
        moves = [] if later else await move_to_successors(uow, catalogue, at, tell)
        await uow.commit()
    return InitReport(catalogue.code, changed, units, rebuilt, tuple(moves))


async def rebuild_totals(
    uow: UnitOfWork, catalogue: Catalogue, catalogues: Catalogues | None = None
) -> int:
    """Recompute every total from the current figures (after the tree or elements changed),
    each year's on the catalogue governing it (`catalogues`, else `catalogue` for all); every
    writer of figures waits meanwhile, so that none moves a total being rebuilt."""
    await uow.figures.lock_all()
    current = await uow.figures.current_figures()
    years = sorted({f.period.year for f in current})
    count = 0
    for year in years:
        governing = catalogue if catalogues is None else catalogues.for_year(year)
        successors = governing.successors
        figures = [
            f
            for f in current
            if f.period.year == year
            and (f.unit in governing.units or f.unit in successors)
            and f.element in governing.elements
        ]
        if not figures:
            continue
        totals = rollup(governing.units, governing.elements, figures, successors)
        totals.update(counter_rollup(governing, totals))
        await uow.figures.replace_totals(year, totals.items())
        count += len(totals)
    return count


@dataclass(frozen=True, slots=True)
class Catalogues:
    """The catalogues loaded in the store, by year."""

    by_year: dict[int, Catalogue]

    @classmethod
    async def from_store(cls, uow: UnitOfWork) -> Catalogues:
        loaded = {}
        for stored in await uow.catalogues.all():
            catalogue = parse_catalogue_text(stored.text, f"stored catalogue {stored.code}")
            loaded[catalogue.year] = catalogue
        return cls(loaded)

    @property
    def newest(self) -> Catalogue:
        if not self.by_year:
            raise LookupError("no catalogue is loaded: run `chitieu init` first")
        return self.by_year[max(self.by_year)]

    def for_year(self, year: int) -> Catalogue:
        """The catalogue of `year`, else the nearest earlier one, else the oldest."""
        if year in self.by_year:
            return self.by_year[year]
        earlier = [y for y in self.by_year if y < year]
        if earlier:
            return self.by_year[max(earlier)]
        if not self.by_year:
            raise LookupError("no catalogue is loaded: run `chitieu init` first")
        return self.by_year[min(self.by_year)]

    def current_month(self, today: date) -> Period:
        """Today's reporting month if a catalogue covers it, else the newest catalogue's last."""
        newest = self.newest
        month = newest.calendar.month_of(today)
        if month.year in self.by_year:
            return month
        return Period.month(newest.year, 12)

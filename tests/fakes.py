"""In-memory implementations of the storage ports, for service tests."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from types import TracebackType
from typing import Self

from kpi.access import Invite, Membership, Person, Role
from kpi.aggregate import Figure, Total, TotalKey
from kpi.errors import UnknownUnitError
from kpi.periods import Period
from kpi.revisions import Revision
from kpi.units import UnitTree
from services.ports import OutgoingMessage, StoredCatalogue, UnitSync, UnitTotals


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """A message in the fake outbox: what was queued and when."""

    message: OutgoingMessage
    queued_at: datetime
    state: str = "pending"


@dataclass
class FakeState:
    catalogues: dict[str, StoredCatalogue] = field(default_factory=dict)
    units: dict[str, bool] = field(default_factory=dict)  # code → active
    revisions: list[Revision] = field(default_factory=list)
    current: dict[tuple[str, str, Period], int] = field(default_factory=dict)
    totals: dict[TotalKey, Total] = field(default_factory=dict)
    people: dict[int, Person] = field(default_factory=dict)
    invites: dict[str, Invite] = field(default_factory=dict)  # by code
    conversations: dict[tuple[str, str], str] = field(default_factory=dict)  # JSON text
    updates: dict[tuple[int, int], datetime] = field(default_factory=dict)
    outbox: dict[str, QueuedMessage] = field(default_factory=dict)  # by key, in queue order
    subscriptions: dict[tuple[int, str], bool] = field(
        default_factory=dict
    )  # (chat, unit) → active
    broadcasts: dict[int, object] = field(default_factory=dict)
    alert_states: dict[tuple[str, str, str], object] = field(default_factory=dict)
    schedule_runs: dict[tuple[str, datetime], datetime] = field(default_factory=dict)
    commits: int = 0

    def copy(self) -> FakeState:
        """A copy whose containers can change without touching this state (values are
        immutable: kpi dataclasses, text, numbers)."""
        copied = replace(self)
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, dict | list):
                setattr(copied, f.name, value.copy())
        return copied


class FakeCatalogues:
    def __init__(self, state: FakeState) -> None:
        self.state = state

    async def all(self) -> list[StoredCatalogue]:
        return sorted(self.state.catalogues.values(), key=lambda c: c.year)

    async def save(self, catalogue: StoredCatalogue) -> None:
        self.state.catalogues[catalogue.code] = catalogue


class FakeUnits:
    def __init__(self, state: FakeState) -> None:
        self.state = state

    async def sync(self, tree: UnitTree) -> UnitSync:
        codes = {u.code for u in tree}
        added = len(codes - self.state.units.keys())
        gone = [c for c, active in self.state.units.items() if active and c not in codes]
        for code in codes:
            self.state.units[code] = True
        for code in gone:
            self.state.units[code] = False
        return UnitSync(added, 0, len(gone))

    async def codes(self) -> set[str]:
        return {c for c, active in self.state.units.items() if active}


class FakeFigures:
    def __init__(self, state: FakeState) -> None:
        self.state = state

    async def series(self, unit: str, element: str, year: int) -> list[tuple[Period, int]]:
        return sorted(
            (p, v)
            for (u, e, p), v in self.state.current.items()
            if u == unit and e == element and p.year == year
        )

    async def current(self, unit: str, element: str, period: Period) -> int | None:
        return self.state.current.get((unit, element, period))

    async def series_of(
        self, unit: str, elements: Sequence[str], year: int
    ) -> dict[str, list[tuple[Period, int]]]:
        return {code: await self.series(unit, code, year) for code in elements}

    async def current_of(self, unit: str, period: Period) -> dict[str, int]:
        return {
            e: v
            for (u, e, p), v in sorted(self.state.current.items())
            if u == unit and p == period
        }

    async def add_revisions(self, revisions: Sequence[Revision]) -> list[Revision]:
        keys = [(r.unit, r.element, r.period) for r in revisions]
        if len(set(keys)) != len(keys):
            raise ValueError("add_revisions takes each unit, element and period at most once")
        return [await self.add_revision(r) for r in revisions]

    async def add_revision(self, revision: Revision) -> Revision:
        key = (revision.unit, revision.element, revision.period)
        number = 1 + sum(1 for r in self.state.revisions if (r.unit, r.element, r.period) == key)
        stored = replace(revision, number=number, previous=self.state.current.get(key))
        self.state.revisions.append(stored)
        self.state.current[key] = revision.value
        return stored

    async def history(
        self,
        units: Sequence[str],
        *,
        element: str | None = None,
        period: Period | None = None,
        limit: int = 50,
    ) -> list[Revision]:
        found = [
            r
            for r in self.state.revisions
            if r.unit in units
            and (element is None or r.element == element)
            and (period is None or r.period == period)
        ]
        return list(reversed(found))[:limit]

    async def add_to_totals(self, changes: Sequence[tuple[TotalKey, Total]]) -> None:
        for key, change in changes:
            self.state.totals[key] = self.state.totals.get(key, Total(0, 0)) + change

    async def totals(self, unit: str, period: Period) -> UnitTotals:
        return {
            (e, lvl): t
            for (u, p, e, lvl), t in self.state.totals.items()
            if u == unit and p == period.key and t.reporters
        }

    async def totals_of_units(
        self, units: Sequence[str] | None, period: Period
    ) -> dict[str, UnitTotals]:
        wanted = None if units is None else set(units)
        result: dict[str, UnitTotals] = {}
        for (u, p, e, lvl), t in self.state.totals.items():
            if p == period.key and (wanted is None or u in wanted) and t.reporters:
                result.setdefault(u, {})[(e, lvl)] = t
        return result

    async def replace_totals(self, year: int, totals: Iterable[tuple[TotalKey, Total]]) -> None:
        self.state.totals = {
            k: v for k, v in self.state.totals.items() if Period.parse(k[1]).year != year
        }
        self.state.totals.update(dict(totals))

    async def current_figures(self, year: int | None = None) -> list[Figure]:
        return [
            Figure(u, e, p, v)
            for (u, e, p), v in self.state.current.items()
            if year is None or p.year == year
        ]


def _unknown_person(telegram_id: int) -> LookupError:
    return LookupError(f"no person has the Telegram id {telegram_id}")


class FakePeople:
    def __init__(self, state: FakeState) -> None:
        self.state = state

    async def get(self, telegram_id: int) -> Person | None:
        return self.state.people.get(telegram_id)

    async def upsert(self, telegram_id: int, name: str) -> Person:
        known = self.state.people.get(telegram_id)
        person = Person(telegram_id, name) if known is None else replace(known, name=name)
        self.state.people[telegram_id] = person
        return person

    async def set_language(self, telegram_id: int, language: str | None) -> None:
        self._change(telegram_id, language=language)

    async def set_admin(self, telegram_id: int, is_admin: bool) -> None:
        self._change(telegram_id, is_admin=is_admin)

    async def set_active(self, telegram_id: int, active: bool) -> None:
        self._change(telegram_id, active=active)

    async def set_muted(self, telegram_id: int, muted: bool) -> None:
        self._change(telegram_id, muted=muted)

    async def add_membership(self, telegram_id: int, unit: str, role: Role) -> None:
        if unit not in self.state.units:
            raise UnknownUnitError(unit)
        person = self._known(telegram_id)
        others = [m for m in person.memberships if m.unit != unit]
        memberships = sorted([*others, Membership(unit, Role(role))], key=lambda m: m.unit)
        self.state.people[telegram_id] = replace(person, memberships=tuple(memberships))

    async def members_of(self, units: Sequence[str]) -> list[Person]:
        wanted = set(units)
        return [
            p
            for _, p in sorted(self.state.people.items())
            if any(m.unit in wanted for m in p.memberships)
        ]

    async def admins(self) -> list[Person]:
        return [p for _, p in sorted(self.state.people.items()) if p.is_admin]

    def _known(self, telegram_id: int) -> Person:
        person = self.state.people.get(telegram_id)
        if person is None:
            raise _unknown_person(telegram_id)
        return person

    def _change(self, telegram_id: int, **changes: object) -> None:
        self.state.people[telegram_id] = replace(self._known(telegram_id), **changes)  # type: ignore[arg-type]


class FakeInvites:
    def __init__(self, state: FakeState) -> None:
        self.state = state

    async def add(self, invite: Invite) -> None:
        if invite.unit not in self.state.units:
            raise UnknownUnitError(invite.unit)
        if invite.code in self.state.invites:
            raise ValueError(f"an invite with the code {invite.code!r} exists")
        self.state.invites[invite.code] = invite

    async def get(self, code: str) -> Invite | None:
        return self.state.invites.get(code)

    async def mark_used(self, code: str, telegram_id: int, at: datetime) -> bool:
        invite = self.state.invites.get(code)
        if invite is None or invite.used_at is not None:
            return False
        self.state.invites[code] = replace(invite, used_at=at, used_by=telegram_id)
        return True


class FakeConversations:
    """Keeps JSON text, as the database does, so that a value it cannot keep fails here too."""

    def __init__(self, state: FakeState) -> None:
        self.state = state

    async def load(self, namespace: str) -> dict[str, object]:
        return {
            key: json.loads(text)
            for (ns, key), text in sorted(self.state.conversations.items())
            if ns == namespace
        }

    async def save(self, namespace: str, key: str, value: object | None) -> None:
        if value is None:
            self.state.conversations.pop((namespace, key), None)
        else:
            text = json.dumps(value, ensure_ascii=False, allow_nan=False)
            self.state.conversations[namespace, key] = text


class FakeUpdates:
    def __init__(self, state: FakeState) -> None:
        self.state = state

    async def claim(self, bot_id: int, update_id: int, at: datetime) -> bool:
        if (bot_id, update_id) in self.state.updates:
            return False
        self.state.updates[bot_id, update_id] = at
        return True


class FakeOutbox:
    def __init__(self, state: FakeState) -> None:
        self.state = state

    async def add(self, messages: Sequence[OutgoingMessage], now: datetime) -> int:
        queued = 0
        for message in messages:
            if message.key not in self.state.outbox:
                self.state.outbox[message.key] = QueuedMessage(message, now)
                queued += 1
        return queued


class FakeChats:
    def __init__(self, state: FakeState) -> None:
        self.state = state

    async def subscribers(self, units: Sequence[str]) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for (chat_id, unit), active in sorted(self.state.subscriptions.items()):
            if active and unit in units:
                found.setdefault(unit, []).append(chat_id)
        return found


class FakeBroadcasts:
    def __init__(self, state: FakeState) -> None:
        self.state = state


class FakeAlerts:
    def __init__(self, state: FakeState) -> None:
        self.state = state


class FakeSchedule:
    def __init__(self, state: FakeState) -> None:
        self.state = state

    async def claim(self, name: str, fire_time: datetime, at: datetime) -> bool:
        if (name, fire_time) in self.state.schedule_runs:
            return False
        self.state.schedule_runs[name, fire_time] = at
        return True


class FakeUnitOfWork:
    """Copies the state on entry; writes it back only on commit."""

    def __init__(self, state: FakeState) -> None:
        self.shared = state
        self._open(state)

    def _open(self, state: FakeState) -> None:
        self.state = state
        self.catalogues = FakeCatalogues(state)
        self.units = FakeUnits(state)
        self.figures = FakeFigures(state)
        self.people = FakePeople(state)
        self.invites = FakeInvites(state)
        self.conversations = FakeConversations(state)
        self.updates = FakeUpdates(state)
        self.outbox = FakeOutbox(state)
        self.chats = FakeChats(state)
        self.broadcasts = FakeBroadcasts(state)
        self.alerts = FakeAlerts(state)
        self.schedule = FakeSchedule(state)

    async def __aenter__(self) -> Self:
        self._open(self.shared.copy())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        self.state.commits += 1
        self.shared.__dict__.update(self.state.__dict__)

    async def rollback(self) -> None:
        return None

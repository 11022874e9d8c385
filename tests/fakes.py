"""In-memory implementations of the storage ports, for service tests."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from types import TracebackType
from typing import Self

from kpi.access import Invite, Membership, Person, Role
from kpi.aggregate import Figure, Total, TotalKey
from kpi.alerts import AlertState
from kpi.errors import UnknownUnitError
from kpi.pace import RoadmapSetting
from kpi.periods import Period
from kpi.revisions import Revision
from kpi.units import UnitTree
from services.ports import (
    Delivery,
    GroupChat,
    OutgoingMessage,
    Sent,
    StoredBroadcast,
    StoredCatalogue,
    UnitSync,
    UnitTotals,
)


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """A message in the fake outbox: what was queued and when."""

    message: OutgoingMessage
    queued_at: datetime
    state: str = "pending"
    id: int = 0  # its place in the queue, from 1
    attempts: int = 0
    not_before: datetime | None = None  # None: queued_at
    error: str | None = None
    message_id: int | None = None
    sent_at: datetime | None = None


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
    updates: dict[tuple[int, int], tuple[datetime, str]] = field(default_factory=dict)
    outbox: dict[str, QueuedMessage] = field(default_factory=dict)  # by key, in queue order
    subscriptions: dict[tuple[int, str], bool] = field(
        default_factory=dict
    )  # (chat, unit) → active
    chats: dict[int, GroupChat] = field(default_factory=dict)
    broadcasts: dict[int, StoredBroadcast] = field(default_factory=dict)
    alert_states: dict[tuple[str, str, str], object] = field(default_factory=dict)
    schedule_runs: dict[tuple[str, datetime], datetime] = field(default_factory=dict)
    roadmaps: dict[tuple[str, int], dict[str, RoadmapSetting]] = field(default_factory=dict)
    locked: list[str] = field(default_factory=list)  # units locked by writers, in order
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

    async def lock_units(self, units: Sequence[str]) -> None:
        """One fake unit of work runs at a time: nothing to wait for."""
        self.state.locked.extend(units)

    async def lock_all(self) -> None:
        self.state.locked.append("*")

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
        return [self._add_revision(r) for r in revisions]

    def _add_revision(self, revision: Revision) -> Revision:
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

    async def totals_of_periods(
        self, unit: str, periods: Sequence[Period]
    ) -> dict[Period, UnitTotals]:
        return {period: await self.totals(unit, period) for period in periods}

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

    async def first_submitted(self, year: int) -> dict[tuple[str, str, Period], datetime]:
        first: dict[tuple[str, str, Period], datetime] = {}
        for r in self.state.revisions:
            key = (r.unit, r.element, r.period)
            if r.period.year == year and (key not in first or r.at < first[key]):
                first[key] = r.at
        return first


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

    async def save_all(self, values: Mapping[tuple[str, str], object | None]) -> None:
        for (namespace, key), value in values.items():
            await self.save(namespace, key, value)


class FakeUpdates:
    def __init__(self, state: FakeState) -> None:
        self.state = state

    async def claim(
        self,
        bot_id: int,
        update_id: int,
        at: datetime,
        *,
        fingerprint: str = "",
        since: datetime | None = None,
    ) -> bool:
        earlier = self.state.updates.get((bot_id, update_id))
        if earlier is not None:
            earlier_at, earlier_fingerprint = earlier
            if (since is None or earlier_at >= since) and earlier_fingerprint == fingerprint:
                return False
        self.state.updates[bot_id, update_id] = (at, fingerprint)
        return True

    async def prune(self, before: datetime) -> int:
        old = [key for key, (at, _) in self.state.updates.items() if at < before]
        for key in old:
            del self.state.updates[key]
        return len(old)


class FakeOutbox:
    def __init__(self, state: FakeState) -> None:
        self.state = state

    async def add(self, messages: Sequence[OutgoingMessage], now: datetime) -> int:
        queued = 0
        for message in messages:
            if message.key not in self.state.outbox:
                number = len(self.state.outbox) + 1
                due = message.not_before or now
                self.state.outbox[message.key] = QueuedMessage(
                    message, now, id=number, not_before=due
                )
                queued += 1
        return queued

    def _by_id(self) -> dict[int, QueuedMessage]:
        return {q.id: q for q in self.state.outbox.values()}

    def _change(self, row_id: int, **changes: object) -> QueuedMessage | None:
        row = self._by_id().get(row_id)
        if row is None:
            return None
        changed = replace(row, **changes)  # type: ignore[arg-type]
        self.state.outbox[row.message.key] = changed
        return changed

    @staticmethod
    def _due(row: QueuedMessage) -> datetime:
        return row.not_before or row.queued_at

    async def claim(self, now: datetime, limit: int) -> list[Delivery]:
        rows = sorted(self.state.outbox.values(), key=lambda q: q.id)
        busy: set[int] = set()
        claimed: list[Delivery] = []
        for row in rows:
            chat = row.message.chat_id
            person = self.state.people.get(chat)
            group = self.state.chats.get(chat)
            inactive = (person is not None and not person.active) or (
                group is not None and not group.active
            )
            due = row.state == "pending" and self._due(row) <= now
            if due and inactive:
                self._change(row.id, state="cancelled", error="inactive")
                continue
            if row.state == "sending" or (
                row.state == "pending" and row.attempts > 0 and self._due(row) > now
            ):
                busy.add(chat)
            if not due or chat in busy or len(claimed) >= limit:
                continue
            taken = self._change(row.id, state="sending", attempts=row.attempts + 1)
            assert taken is not None
            m = taken.message
            claimed.append(
                Delivery(
                    taken.id,
                    m.key,
                    m.chat_id,
                    m.kind,
                    m.text,
                    m.markup,
                    taken.attempts,
                    m.broadcast_id,
                )
            )
        return claimed

    async def mark_sent(self, sent: Sequence[Sent]) -> None:
        for s in sent:
            self._change(s.id, state="sent", message_id=s.message_id, sent_at=s.at, error=None)

    async def retry(self, row_id: int, not_before: datetime, error: str) -> None:
        self._change(row_id, state="pending", not_before=not_before, error=error)

    async def release(self, row_ids: Sequence[int], not_before: datetime) -> None:
        rows = self._by_id()
        for row_id in row_ids:
            attempts = max(rows[row_id].attempts - 1, 0)
            self._change(row_id, state="pending", not_before=not_before, attempts=attempts)

    async def fail(self, row_id: int, error: str) -> None:
        self._change(row_id, state="failed", error=error)

    async def block(self, row_id: int, error: str) -> int:
        row = self._change(row_id, state="blocked", error=error)
        if row is None:
            return 0
        others = [
            q.id
            for q in self.state.outbox.values()
            if q.message.chat_id == row.message.chat_id
            and q.state in {"pending", "sending"}
            and q.id != row_id
        ]
        for other in others:
            self._change(other, state="cancelled", error="inactive")
        return len(others)

    async def migrate(self, old_chat_id: int, new_chat_id: int) -> int:
        moved = 0
        for q in list(self.state.outbox.values()):
            if q.message.chat_id == old_chat_id and q.state in {"pending", "sending"}:
                self._change(q.id, message=replace(q.message, chat_id=new_chat_id))
                moved += 1
        return moved

    async def recover(self) -> int:
        stuck = [q.id for q in self.state.outbox.values() if q.state == "sending"]
        for row_id in stuck:
            self._change(row_id, state="pending")
        return len(stuck)

    async def next_due(self) -> datetime | None:
        due = [self._due(q) for q in self.state.outbox.values() if q.state == "pending"]
        return min(due, default=None)

    async def counts(self, broadcast_id: int) -> dict[str, int]:
        counted: dict[str, int] = {}
        for q in self.state.outbox.values():
            if q.message.broadcast_id == broadcast_id:
                counted[q.state] = counted.get(q.state, 0) + 1
        return counted


class FakeChats:
    """Subscriptions are (chat, unit) → whether the chat is active; chats are optional (a
    subscription without one counts as in an active chat)."""

    def __init__(self, state: FakeState) -> None:
        self.state = state

    async def subscribers(self, units: Sequence[str]) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for (chat_id, unit), active in sorted(self.state.subscriptions.items()):
            if active and unit in units:
                found.setdefault(unit, []).append(chat_id)
        return found

    async def get(self, chat_id: int) -> GroupChat | None:
        return self.state.chats.get(chat_id)

    async def joined(self, chat_id: int, title: str, kind: str, at: datetime) -> None:
        del at
        known = self.state.chats.get(chat_id)
        chat = GroupChat(chat_id, title, kind)
        self.state.chats[chat_id] = (
            chat if known is None else replace(known, title=title, kind=kind, active=True)
        )
        self._set_active(chat_id, active=True)

    async def deactivate(self, chat_id: int, at: datetime) -> None:
        del at
        known = self.state.chats.get(chat_id)
        if known is not None:
            self.state.chats[chat_id] = replace(known, active=False)
        self._set_active(chat_id, active=False)

    async def migrate(self, old: int, new: int, at: datetime) -> None:
        before = self.state.chats.get(old)
        if before is None or before.migrated_to == new:
            if new not in self.state.chats:
                title = before.title if before else ""
                self.state.chats[new] = GroupChat(new, title, "supergroup")
            return
        if new not in self.state.chats:
            self.state.chats[new] = GroupChat(new, before.title, "supergroup", before.active)
        elif before.active:
            await self.joined(new, self.state.chats[new].title, "supergroup", at)
        for chat_id, unit in list(self.state.subscriptions):
            if chat_id == old:
                del self.state.subscriptions[chat_id, unit]
                self.state.subscriptions[new, unit] = self.state.chats[new].active
        self.state.chats[old] = replace(before, active=False, migrated_to=new)

    async def subscribe(self, chat_id: int, unit: str, by: int, at: datetime) -> bool:
        del by, at
        if unit not in self.state.units:
            raise UnknownUnitError(unit)
        if (chat_id, unit) in self.state.subscriptions:
            return False
        chat = self.state.chats.get(chat_id)
        self.state.subscriptions[chat_id, unit] = chat is None or chat.active
        return True

    async def unsubscribe(self, chat_id: int, unit: str) -> bool:
        return self.state.subscriptions.pop((chat_id, unit), None) is not None

    async def subscriptions(self, chat_id: int) -> list[str]:
        return sorted(unit for chat, unit in self.state.subscriptions if chat == chat_id)

    async def subscribed_chats(self) -> list[int]:
        return sorted({chat for (chat, _), active in self.state.subscriptions.items() if active})

    def _set_active(self, chat_id: int, *, active: bool) -> None:
        for key in self.state.subscriptions:
            if key[0] == chat_id:
                self.state.subscriptions[key] = active


class FakeBroadcasts:
    def __init__(self, state: FakeState) -> None:
        self.state = state

    async def create(
        self, text: str, audience: str, created_by: int, created_at: datetime, recipients: int
    ) -> int:
        broadcast_id = max(self.state.broadcasts, default=0) + 1
        self.state.broadcasts[broadcast_id] = StoredBroadcast(
            broadcast_id, text, audience, created_by, created_at, recipients
        )
        return broadcast_id

    async def get(self, broadcast_id: int) -> StoredBroadcast | None:
        return self.state.broadcasts.get(broadcast_id)

    async def add_blocked(
        self, broadcast_id: int, messages: Sequence[OutgoingMessage], now: datetime
    ) -> None:
        for message in messages:
            if message.key not in self.state.outbox:
                number = len(self.state.outbox) + 1
                self.state.outbox[message.key] = QueuedMessage(
                    replace(message, broadcast_id=broadcast_id),
                    now,
                    "blocked",
                    id=number,
                    error="blocked the bot before the broadcast",
                )

    async def deliveries(self, broadcast_id: int) -> list[tuple[str, str]]:
        return [
            (key, queued.state)
            for key, queued in self.state.outbox.items()
            if queued.message.broadcast_id == broadcast_id
        ]

    async def set_report_message(
        self, broadcast_id: int, chat_id: int, message_id: int, language: str
    ) -> None:
        self.state.broadcasts[broadcast_id] = replace(
            self.state.broadcasts[broadcast_id],
            report_chat_id=chat_id,
            report_message_id=message_id,
            report_language=language,
        )

    async def unfinished_reports(self) -> list[StoredBroadcast]:
        return [
            b
            for _, b in sorted(self.state.broadcasts.items())
            if b.finished_at is None and b.report_message_id is not None
        ]

    async def reported(self, broadcast_id: int, text: str, finished_at: datetime | None) -> None:
        self.state.broadcasts[broadcast_id] = replace(
            self.state.broadcasts[broadcast_id], reported=text, finished_at=finished_at
        )


class FakeAlerts:
    def __init__(self, state: FakeState) -> None:
        self.state = state

    async def states(self, units: Sequence[str] | None = None) -> list[AlertState]:
        wanted = None if units is None else set(units)
        return [
            s
            for key, s in sorted(self.state.alert_states.items())
            if isinstance(s, AlertState) and (wanted is None or key[0] in wanted)
        ]

    async def save(self, states: Sequence[AlertState]) -> None:
        for s in states:
            self.state.alert_states[s.key] = s


class FakeSchedule:
    def __init__(self, state: FakeState) -> None:
        self.state = state

    async def claim(self, name: str, fire_time: datetime, at: datetime) -> bool:
        if (name, fire_time) in self.state.schedule_runs:
            return False
        self.state.schedule_runs[name, fire_time] = at
        return True


class FakeRoadmaps:
    def __init__(self, state: FakeState) -> None:
        self.state = state

    async def of_unit(self, unit: str, year: int) -> dict[str, RoadmapSetting]:
        return dict(self.state.roadmaps.get((unit, year), {}))

    async def of_units(
        self, units: Sequence[str] | None, year: int
    ) -> dict[str, dict[str, RoadmapSetting]]:
        return {
            unit: dict(settings)
            for (unit, of_year), settings in self.state.roadmaps.items()
            if of_year == year and settings and (units is None or unit in units)
        }

    async def put(
        self, unit: str, line: str, year: int, setting: RoadmapSetting, by: str, at: datetime
    ) -> None:
        del by, at
        settings = dict(self.state.roadmaps.get((unit, year), {}))
        if setting == RoadmapSetting():
            settings.pop(line, None)
        else:
            settings[line] = setting
        self.state.roadmaps[unit, year] = settings


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
        self.roadmaps = FakeRoadmaps(state)

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

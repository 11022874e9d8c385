"""Broadcasts: an administrator's message to an audience, queued in the outbox, and its report.

    audience = Audience.parse("level:<a level code of the catalogue>", tree)
    plan = await plan_broadcast(uow, tree, audience)            # who, before confirming
    created = await create_broadcast(database.unit_of_work, tree, text, audience, 9001, now)
    report = await broadcast_report(uow, created.id)            # pending, delivered, blocked...

Audiences: every unit head; everyone bound to a unit of one level; everyone bound to a unit of
a subtree; everyone bound to listed units; the group chats that follow a unit. People are
counted once however many of their units are in the audience; administrators receive nothing
unless they are bound to a unit of it.

Blocked people: everyone of the audience is a recipient, those who blocked the bot too. A person
known to have blocked it (marked inactive by an earlier failed delivery) is not sent anything:
their delivery is recorded "blocked" at once. A person who blocks it now is found by the
delivery worker, which records "blocked" in the same way. So the report always adds up to the
recipients: delivered + blocked + failed + pending.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from kpi.access import Role
from kpi.errors import AmbiguousUnitError, DomainError, UnknownUnitError
from kpi.units import Level, Unit, UnitTree
from services.outbox import enqueue
from services.ports import OutgoingMessage, UnitOfWork

KIND = "broadcast"
MAX_UNITS = 200  # units one list may name


class AudienceError(DomainError):
    """An audience that cannot be read (its text says why)."""


class AudienceKind(StrEnum):
    HEADS = "heads"  # the head of every unit
    LEVEL = "level"  # everyone bound to a unit of one level
    SUBTREE = "subtree"  # everyone bound to a unit of a subtree
    UNITS = "units"  # everyone bound to one of the listed units
    GROUPS = "groups"  # the group chats that follow a unit


@dataclass(frozen=True, slots=True)
class Audience:
    kind: AudienceKind
    level: Level | None = None
    units: tuple[str, ...] = ()  # the subtree's root, or the listed units

    @property
    def key(self) -> str:
        """The audience as text, as `parse` reads it: "level:<code>", "units:a,b"."""
        match self.kind:
            case AudienceKind.LEVEL:
                assert self.level is not None
                return f"level:{self.level}"
            case AudienceKind.SUBTREE | AudienceKind.UNITS:
                return f"{self.kind.value}:{','.join(self.units)}"
            case _:
                return self.kind.value

    @classmethod
    def parse(cls, text: str, tree: UnitTree) -> Audience:
        """heads | level:<level> | subtree:<unit> | units:<unit>,<unit>… | groups; units by
        code or name. AudienceError, or the unit errors with their candidates."""
        kind_text, _, rest = text.strip().partition(":")
        try:
            kind = AudienceKind(kind_text.strip().lower())
        except ValueError:
            raise AudienceError(
                f"unknown audience {text!r}: heads, level:<level>, subtree:<unit>,"
                " units:<unit>,<unit>… or groups"
            ) from None
        rest = rest.strip()
        if kind in {AudienceKind.HEADS, AudienceKind.GROUPS}:
            if rest:
                raise AudienceError(f"the audience {kind.value!r} takes nothing after it")
            return cls(kind)
        if kind is AudienceKind.LEVEL:
            if rest.lower() in tree.level_order:
                return cls(kind, level=rest.lower())
            levels = ", ".join(tree.level_order)
            raise AudienceError(f"unknown level {rest!r}: one of {levels}")
        if kind is AudienceKind.SUBTREE:
            if not rest:
                raise AudienceError("subtree: which unit? subtree:<code or name>")
            return cls(kind, units=(tree.find(rest).code,))
        return cls(kind, units=tuple(u.code for u in find_units(rest, tree)))


def split_names(text: str) -> list[str]:
    """Unit names separated by commas, semicolons or new lines."""
    for separator in (";", "\n"):
        text = text.replace(separator, ",")
    return [name.strip() for name in text.split(",") if name.strip()]


@dataclass(frozen=True, slots=True)
class UnitProblems:
    """Names of a list that name no unit, or several."""

    unknown: tuple[str, ...]
    ambiguous: tuple[tuple[str, tuple[Unit, ...]], ...]


class UnitListError(AudienceError):
    def __init__(self, problems: UnitProblems) -> None:
        parts = [f"no unit is named {name!r}" for name in problems.unknown]
        parts += [
            f"{name!r} names several units: {', '.join(u.code for u in candidates)}"
            for name, candidates in problems.ambiguous
        ]
        super().__init__("; ".join(parts))
        self.problems = problems


def find_units(text: str, tree: UnitTree) -> list[Unit]:
    """The units a list names, each once, in the order named; UnitListError naming every name
    that is unknown or ambiguous."""
    names = split_names(text)
    if not names:
        raise AudienceError("units: which units? units:<code or name>,<code or name>…")
    if len(names) > MAX_UNITS:
        raise AudienceError(f"a list names at most {MAX_UNITS} units, not {len(names)}")
    found: dict[str, Unit] = {}
    unknown: list[str] = []
    ambiguous: list[tuple[str, tuple[Unit, ...]]] = []
    for name in names:
        try:
            unit = tree.find(name)
        except AmbiguousUnitError as error:
            ambiguous.append((name, tuple(error.candidates)))
        except UnknownUnitError:
            unknown.append(name)
        else:
            found.setdefault(unit.code, unit)
    if unknown or ambiguous:
        raise UnitListError(UnitProblems(tuple(unknown), tuple(ambiguous)))
    return list(found.values())


@dataclass(frozen=True, slots=True)
class Recipient:
    chat_id: int  # a person's Telegram id, or a group chat's id
    blocked: bool = False  # had blocked the bot: recorded "blocked", nothing sent


@dataclass(frozen=True, slots=True)
class BroadcastPlan:
    audience: Audience
    recipients: tuple[Recipient, ...]
    unreached: tuple[str, ...] = ()  # units of the audience with nobody bound: told, not sent

    @property
    def count(self) -> int:
        return len(self.recipients)

    @property
    def blocked(self) -> int:
        return sum(1 for r in self.recipients if r.blocked)


def audience_units(audience: Audience, tree: UnitTree) -> list[str]:
    """The units whose people the audience reaches (none for groups)."""
    match audience.kind:
        case AudienceKind.HEADS:
            return [u.code for u in tree]
        case AudienceKind.LEVEL:
            return [u.code for u in tree if u.level == audience.level]
        case AudienceKind.SUBTREE:
            return [u.code for code in audience.units for u in tree.subtree(code)]
        case AudienceKind.UNITS:
            return [code for code in audience.units if code in tree]
        case _:
            return []


async def plan_broadcast(uow: UnitOfWork, tree: UnitTree, audience: Audience) -> BroadcastPlan:
    """Who the audience is now: each person or group once, sorted by chat id."""
    if audience.kind is AudienceKind.GROUPS:
        chats = await uow.chats.subscribed_chats()
        return BroadcastPlan(audience, tuple(Recipient(chat) for chat in sorted(set(chats))))
    units = set(audience_units(audience, tree))
    heads_only = audience.kind is AudienceKind.HEADS
    people = await uow.people.members_of(sorted(units))
    chosen = {
        p.telegram_id: Recipient(p.telegram_id, blocked=not p.active)
        for p in people
        if any(m.unit in units and (m.role is Role.HEAD or not heads_only) for m in p.memberships)
    }
    reached = {
        m.unit
        for p in people
        for m in p.memberships
        if m.unit in units and (m.role is Role.HEAD or not heads_only)
    }
    unreached = tuple(u.code for u in tree if u.code in units and u.code not in reached)
    return BroadcastPlan(audience, tuple(chosen[k] for k in sorted(chosen)), unreached)


@dataclass(frozen=True, slots=True)
class Created:
    id: int
    recipients: int
    blocked: int  # of those, recorded blocked at once


def delivery_key(broadcast_id: int, chat_id: int) -> str:
    return f"broadcast:{broadcast_id}:{chat_id}"


async def create_broadcast(
    unit_of_work: Callable[[], UnitOfWork],
    tree: UnitTree,
    text: str,
    audience: Audience,
    author: int,
    now: datetime,
) -> Created:
    """Save the broadcast and queue a message to each recipient, in one transaction (the
    recipients are read again in it, so the count is the one queued)."""
    text = text.strip()
    if not text:
        raise AudienceError("a broadcast needs a text")
    async with unit_of_work() as uow:
        plan = await plan_broadcast(uow, tree, audience)
        broadcast_id = await uow.broadcasts.create(text, audience.key, author, now, plan.count)
        messages = [
            OutgoingMessage(
                key=delivery_key(broadcast_id, r.chat_id),
                chat_id=r.chat_id,
                kind=KIND,
                text=text,
                broadcast_id=broadcast_id,
            )
            for r in plan.recipients
        ]
        blocked = {r.chat_id for r in plan.recipients if r.blocked}
        await enqueue(uow, [m for m in messages if m.chat_id not in blocked], now)
        await uow.broadcasts.add_blocked(
            broadcast_id, [m for m in messages if m.chat_id in blocked], now
        )
        await uow.commit()
    return Created(broadcast_id, plan.count, plan.blocked)


@dataclass(frozen=True, slots=True)
class BroadcastReport:
    """Where a broadcast's deliveries are: each recipient counted once."""

    broadcast_id: int
    recipients: int
    pending: int
    delivered: int
    blocked: int
    failed: int

    @property
    def finished(self) -> bool:
        return self.pending == 0


PENDING_STATES = frozenset({"pending", "sending"})
# The worker cancels what is queued for a chat that blocked the bot (or removed it).
BLOCKED_STATES = frozenset({"blocked", "cancelled"})


def recipient_state(states: Sequence[str]) -> str:
    """One recipient's state from its rows' (a long text is several): pending while one is;
    else blocked if one was refused so (or cancelled for it); else failed if one failed; else
    delivered."""
    if any(s in PENDING_STATES for s in states):
        return "pending"
    if any(s in BLOCKED_STATES for s in states):
        return "blocked"
    if "failed" in states:
        return "failed"
    return "delivered"


def count_deliveries(
    broadcast_id: int, recipients: int, deliveries: Sequence[tuple[str, str]]
) -> BroadcastReport:
    """The report from the (key, state) of a broadcast's outbox rows: parts of one message
    ("…#2") count with their first."""
    by_recipient: dict[str, list[str]] = {}
    for key, state in deliveries:
        by_recipient.setdefault(key.split("#", 1)[0], []).append(state)
    counts = {"pending": 0, "delivered": 0, "blocked": 0, "failed": 0}
    for states in by_recipient.values():
        counts[recipient_state(states)] += 1
    return BroadcastReport(
        broadcast_id,
        max(recipients, len(by_recipient)),
        counts["pending"],
        counts["delivered"],
        counts["blocked"],
        counts["failed"],
    )


async def broadcast_report(uow: UnitOfWork, broadcast_id: int) -> BroadcastReport | None:
    """The broadcast's report now; None if there is no such broadcast."""
    broadcast = await uow.broadcasts.get(broadcast_id)
    if broadcast is None:
        return None
    deliveries = await uow.broadcasts.deliveries(broadcast_id)
    return count_deliveries(broadcast_id, broadcast.recipients, deliveries)

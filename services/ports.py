"""The ports services use; storage/ implements them, tests use fakes.

Every method takes and returns domain objects (codes, kpi dataclasses), never rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from kpi.access import Invite, Person, Role
from kpi.aggregate import Figure, Total, TotalKey
from kpi.periods import Period
from kpi.revisions import Revision
from kpi.units import Level, UnitTree

UnitTotals = dict[tuple[str, Level], Total]


@dataclass(frozen=True, slots=True)
class StoredCatalogue:
    code: str
    year: int
    text: str  # the catalogue file as loaded (YAML)
    digest: str  # sha256 of text
    loaded_at: datetime


@dataclass(frozen=True, slots=True)
class UnitSync:
    """What syncing a unit tree changed."""

    added: int
    updated: int
    deactivated: int


class CatalogueStore(Protocol):
    async def all(self) -> list[StoredCatalogue]:
        """Every catalogue loaded, oldest year first."""

    async def save(self, catalogue: StoredCatalogue) -> None:
        """Insert or replace the catalogue with this code."""


class UnitStore(Protocol):
    async def sync(self, tree: UnitTree) -> UnitSync:
        """Make the units table match the tree (by code); units absent from it are deactivated,
        never deleted, so their figures stay."""

    async def codes(self) -> set[str]:
        """Codes of the active units."""


class FigureStore(Protocol):
    async def series(self, unit: str, element: str, year: int) -> list[tuple[Period, int]]:
        """Current values of one unit's element for every period of `year` it has."""

    async def current(self, unit: str, element: str, period: Period) -> int | None:
        """The current value for exactly this period, if any."""

    async def series_of(
        self, unit: str, elements: Sequence[str], year: int
    ) -> dict[str, list[tuple[Period, int]]]:
        """`series` of several elements at once: every element asked for is a key (an empty
        list when it has no figure), in one query."""

    async def current_of(self, unit: str, period: Period) -> dict[str, int]:
        """The unit's current values for exactly this period, by element (those it has)."""

    async def add_revision(self, revision: Revision) -> Revision:
        """Append a revision and make it current; returns it with `number` and `previous`."""

    async def add_revisions(self, revisions: Sequence[Revision]) -> list[Revision]:
        """`add_revision` for each (of one unit and period, distinct elements), in few round
        trips; returned in the same order."""

    async def history(
        self,
        units: Sequence[str],
        *,
        element: str | None = None,
        period: Period | None = None,
        limit: int = 50,
    ) -> list[Revision]:
        """Revisions of those units' figures, newest first."""

    async def add_to_totals(self, changes: Sequence[tuple[TotalKey, Total]]) -> None:
        """Add each change to its total (creating it at zero), in one round trip if possible."""

    async def totals(self, unit: str, period: Period) -> UnitTotals:
        """The totals of one unit's subtree for one period."""

    async def totals_of_units(
        self, units: Sequence[str] | None, period: Period
    ) -> dict[str, UnitTotals]:
        """Totals of many units (None: all) for one period, in few queries."""

    async def replace_totals(self, year: int, totals: Iterable[tuple[TotalKey, Total]]) -> None:
        """Drop every total of `year` and store these instead (a rebuild)."""

    async def current_figures(self, year: int | None = None) -> list[Figure]:
        """Every current figure (of one year, or all)."""


class PeopleStore(Protocol):
    async def get(self, telegram_id: int) -> Person | None:
        """The person with their memberships, or None for a stranger."""

    async def upsert(self, telegram_id: int, name: str) -> Person:
        """Create the person, or refresh their display name."""

    async def set_language(self, telegram_id: int, language: str | None) -> None: ...

    async def set_admin(self, telegram_id: int, is_admin: bool) -> None: ...

    async def set_active(self, telegram_id: int, active: bool) -> None: ...

    async def set_muted(self, telegram_id: int, muted: bool) -> None: ...

    async def add_membership(self, telegram_id: int, unit: str, role: Role) -> None:
        """Bind the person to the unit (replacing an earlier role for the same unit)."""

    async def members_of(self, units: Sequence[str]) -> list[Person]:
        """Everyone bound to one of these units."""

    async def admins(self) -> list[Person]: ...


class InviteStore(Protocol):
    async def add(self, invite: Invite) -> None:
        """Keep the invite; only a hash of its code is stored."""

    async def get(self, code: str) -> Invite | None:
        """The invite for this code (its `code` field is the one given), or None."""

    async def mark_used(self, code: str, telegram_id: int, at: datetime) -> bool:
        """Atomically mark the invite used; False if someone used it first."""


class ConversationStore(Protocol):
    """Durable state of chat conversations (python-telegram-bot persistence), JSON values."""

    async def load(self, namespace: str) -> dict[str, object]:
        """Every key of a namespace ("conversation:submit", "user_data", "chat_data")."""

    async def save(self, namespace: str, key: str, value: object | None) -> None:
        """Write one key (None deletes it)."""


class UpdateLog(Protocol):
    async def claim(self, bot_id: int, update_id: int, at: datetime) -> bool:
        """Record the update as handled; False when it was already claimed (a duplicate)."""


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message to queue in the outbox. The same `key` is queued once, ever: queueing again
    (a retry, a second sweep, a restart) changes nothing."""

    key: str  # idempotency key, at most 255 characters, e.g. "alert:<unit>:<line>:<scope>:<n>"
    chat_id: int
    kind: str  # reminder | escalation | summary | alert | recovery | broadcast
    text: str  # any length: services.outbox.enqueue splits what Telegram would refuse
    markup: dict[str, object] | None = None  # reply_markup as Bot API JSON
    not_before: datetime | None = None  # None: as soon as possible
    broadcast_id: int | None = None


class Outbox(Protocol):
    async def add(self, messages: Sequence[OutgoingMessage], now: datetime) -> int:
        """Queue each message whose key is new (known keys are ignored); how many were queued.
        Texts are stored as given: call services.outbox.enqueue, which splits long ones."""


class ChatStore(Protocol):
    """Group chats the bot is in and the units they follow."""

    async def subscribers(self, units: Sequence[str]) -> dict[str, list[int]]:
        """For each of these unit codes, the active group chats subscribed to it exactly (not
        to its ancestors); units nobody follows are absent."""


class BroadcastStore(Protocol):
    """Broadcasts and their delivery reports."""


class AlertStore(Protocol):
    """The last judged state of each (unit, indicator line, scope)."""


class ScheduleLog(Protocol):
    async def claim(self, name: str, fire_time: datetime, at: datetime) -> bool:
        """Record that the job `name` ran for `fire_time`; False if it already had."""


class UnitOfWork(Protocol):
    """One transaction: rolled back on exit unless `commit` was called."""

    @property
    def catalogues(self) -> CatalogueStore: ...

    @property
    def units(self) -> UnitStore: ...

    @property
    def figures(self) -> FigureStore: ...

    @property
    def people(self) -> PeopleStore: ...

    @property
    def invites(self) -> InviteStore: ...

    @property
    def conversations(self) -> ConversationStore: ...

    @property
    def updates(self) -> UpdateLog: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def chats(self) -> ChatStore: ...

    @property
    def broadcasts(self) -> BroadcastStore: ...

    @property
    def alerts(self) -> AlertStore: ...

    @property
    def schedule(self) -> ScheduleLog: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...

"""The ports services use; storage/ implements them, tests use fakes.

Every method takes and returns domain objects (codes, kpi dataclasses), never rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from kpi.access import Invite, Person, Role
from kpi.aggregate import Figure, Total, TotalKey
from kpi.alerts import AlertState
from kpi.pace import RoadmapSetting
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
    async def lock_units(self, units: Sequence[str]) -> None:
        """Serialise the writers of these units' figures: hold them until this transaction
        ends (another writer waits), and read the latest data from here on. Every path that
        writes figures calls it before its checks and its totals' reads."""

    async def lock_all(self) -> None:
        """`lock_units` for every unit (a rebuild of the totals)."""

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

    async def add_revisions(self, revisions: Sequence[Revision]) -> list[Revision]:
        """Append each revision (of one unit and period, distinct elements) and make it current,
        in few round trips; returned in the same order, with `number` and `previous`."""

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

    async def totals_of_periods(
        self, unit: str, periods: Sequence[Period]
    ) -> dict[Period, UnitTotals]:
        """`totals` of one unit for several periods, in one query (an empty mapping for a
        period without)."""

    async def replace_totals(self, year: int, totals: Iterable[tuple[TotalKey, Total]]) -> None:
        """Drop every total of `year` and store these instead (a rebuild)."""

    async def current_figures(self, year: int | None = None) -> list[Figure]:
        """Every current figure (of one year, or all)."""

    async def first_submitted(self, year: int) -> dict[tuple[str, str, Period], datetime]:
        """When each figure of `year` was first submitted (its first revision's time, UTC),
        by (unit, element, period), in one query."""


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

    async def save_all(self, values: Mapping[tuple[str, str], object | None]) -> None:
        """Write each (namespace, key) (None deletes it), all or none: in one statement where
        the store can (so that an autocommit unit of work needs no transaction for it)."""


class UpdateLog(Protocol):
    async def claim(
        self,
        bot_id: int,
        update_id: int,
        at: datetime,
        *,
        fingerprint: str = "",
        since: datetime | None = None,
    ) -> bool:
        """Record the update as handled; False when it was already claimed (a duplicate): at
        or after `since` (None: ever) and with the same `fingerprint` (a claim of another
        fingerprint was another update that had the same id)."""

    async def prune(self, before: datetime) -> int:
        """Forget the updates handled before `before`; returns how many."""


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


@dataclass(frozen=True, slots=True)
class Delivery:
    """A queued message claimed for sending (its row is `sending` until an outcome is marked).
    `attempts` counts this one."""

    id: int
    key: str
    chat_id: int
    kind: str
    text: str
    markup: dict[str, object] | None
    attempts: int
    broadcast_id: int | None = None


@dataclass(frozen=True, slots=True)
class Sent:
    """A delivery Telegram accepted."""

    id: int
    message_id: int
    at: datetime


class Outbox(Protocol):
    async def add(self, messages: Sequence[OutgoingMessage], now: datetime) -> int:
        """Queue each message whose key is new (known keys are ignored); how many were queued.
        Texts are stored as given: call services.outbox.enqueue, which splits long ones."""

    async def claim(self, now: datetime, limit: int) -> list[Delivery]:
        """Up to `limit` due pending rows, oldest first, now `sending` with one attempt more.
        A chat whose earlier row is being sent (or waits for a retry) is skipped, so that its
        messages go out in order. Messages to people or groups known to be inactive are
        cancelled instead. Two processes never claim the same row (PostgreSQL)."""

    async def mark_sent(self, sent: Sequence[Sent]) -> None:
        """These rows were delivered."""

    async def retry(self, row_id: int, not_before: datetime, error: str) -> None:
        """Pending again from `not_before` (the failed attempt stays counted)."""

    async def release(self, row_ids: Sequence[int], not_before: datetime) -> None:
        """Pending again from `not_before`, the claim's attempt not counted (never tried, or
        refused by a flood limit)."""

    async def fail(self, row_id: int, error: str) -> None:
        """Given up: a permanent error, or too many attempts."""

    async def block(self, row_id: int, error: str) -> int:
        """The recipient blocked the bot or removed it: the row is `blocked`, the chat's other
        pending or claimed rows `cancelled`; how many were cancelled."""

    async def migrate(self, old_chat_id: int, new_chat_id: int) -> int:
        """Move the chat's pending and claimed rows to its new id; how many moved."""

    async def recover(self) -> int:
        """Rows a stopped worker left `sending` are pending again; how many (run at start)."""

    async def next_due(self) -> datetime | None:
        """When the earliest pending row is due, or None when nothing is pending."""

    async def counts(self, broadcast_id: int) -> dict[str, int]:
        """How many rows of the broadcast are in each state (states with none are absent)."""


@dataclass(frozen=True, slots=True)
class GroupChat:
    """A group chat the bot is (or was) in."""

    chat_id: int
    title: str
    kind: str  # group | supergroup | channel
    active: bool = True
    migrated_to: int | None = None


class ChatStore(Protocol):
    """Group chats the bot is in and the units they follow."""

    async def subscribers(self, units: Sequence[str]) -> dict[str, list[int]]:
        """For each of these unit codes, the active group chats subscribed to it exactly (not
        to its ancestors); units nobody follows are absent."""

    async def get(self, chat_id: int) -> GroupChat | None: ...

    async def joined(self, chat_id: int, title: str, kind: str, at: datetime) -> None:
        """The bot is in this chat: create its row, or make it active with this title."""

    async def deactivate(self, chat_id: int, at: datetime) -> None:
        """The bot left, was removed or kicked: nothing is sent there any more (its
        subscriptions stay, for when it is added back)."""

    async def migrate(self, old: int, new: int, at: datetime) -> None:
        """The group `old` became the supergroup `new`: `new` takes its title, activity and
        subscriptions; `old` turns inactive with `migrated_to`. Doing it twice changes
        nothing."""

    async def subscribe(self, chat_id: int, unit: str, by: int, at: datetime) -> bool:
        """The chat follows the unit's subtree; False if it already did."""

    async def unsubscribe(self, chat_id: int, unit: str) -> bool:
        """The chat stops following the unit; False if it did not."""

    async def subscriptions(self, chat_id: int) -> list[str]:
        """Codes of the units the chat follows, sorted."""

    async def subscribed_chats(self) -> list[int]:
        """Active chats that follow at least one unit, sorted."""


@dataclass(frozen=True, slots=True)
class StoredBroadcast:
    id: int
    text: str
    audience: str  # services.broadcasts.Audience as text ("level:commune")
    created_by: int  # a Telegram id, 0 for the command line
    created_at: datetime
    recipients: int
    report_chat_id: int | None = None
    report_message_id: int | None = None
    report_language: str | None = None
    reported: str | None = None  # the report text last shown
    finished_at: datetime | None = None


class BroadcastStore(Protocol):
    """Broadcasts and their delivery reports; their deliveries are outbox rows (kind
    "broadcast", `broadcast_id` set)."""

    async def create(
        self, text: str, audience: str, created_by: int, created_at: datetime, recipients: int
    ) -> int:
        """A new broadcast; its id."""

    async def get(self, broadcast_id: int) -> StoredBroadcast | None: ...

    async def add_blocked(
        self, broadcast_id: int, messages: Sequence[OutgoingMessage], now: datetime
    ) -> None:
        """Record deliveries that are not attempted, to people who blocked the bot earlier:
        outbox rows in state "blocked" (keys already known are left alone)."""

    async def deliveries(self, broadcast_id: int) -> list[tuple[str, str]]:
        """(outbox key, state) of every row of the broadcast."""

    async def set_report_message(
        self, broadcast_id: int, chat_id: int, message_id: int, language: str
    ) -> None: ...

    async def unfinished_reports(self) -> list[StoredBroadcast]:
        """Broadcasts with a report message that are not finished, oldest first."""

    async def reported(self, broadcast_id: int, text: str, finished_at: datetime | None) -> None:
        """The report text now shown; `finished_at` once nothing is pending."""


class AlertStore(Protocol):
    """The last judged state of each (unit, indicator line, scope)."""

    async def states(self, units: Sequence[str] | None = None) -> list[AlertState]:
        """The stored states of these units' lines (None: every unit's)."""

    async def save(self, states: Sequence[AlertState]) -> None:
        """Insert or replace each state (by unit, line and scope), in few round trips."""


class ScheduleLog(Protocol):
    async def claim(self, name: str, fire_time: datetime, at: datetime) -> bool:
        """Record that the job `name` ran for `fire_time`; False if it already had."""


class RoadmapStore(Protocol):
    """The roadmaps unit heads set, by unit code, line key and year."""

    async def of_unit(self, unit: str, year: int) -> dict[str, RoadmapSetting]:
        """The unit's settings for `year`, by line key (lines left even monthly are absent)."""

    async def of_units(
        self, units: Sequence[str] | None, year: int
    ) -> dict[str, dict[str, RoadmapSetting]]:
        """`of_unit` for many units (None: all), in one query; units without any are absent."""

    async def put(
        self, unit: str, line: str, year: int, setting: RoadmapSetting, by: str, at: datetime
    ) -> None:
        """Replace the line's setting (an even monthly setting deletes it)."""


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

    @property
    def roadmaps(self) -> RoadmapStore: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...

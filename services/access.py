"""Who talks to the bot: invites that bind a person to a unit, administrators, languages.

An invite code is `secrets.token_urlsafe(12)`: 16 characters of A-Z a-z 0-9 _ -, usable as a
Telegram deep-link start parameter (`t.me/<bot>?start=<code>`). Only its hash is stored.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from kpi.access import Invite, Person, Role
from kpi.catalogue import Catalogue
from kpi.errors import DomainError
from kpi.units import UnitTree
from services.ports import UnitOfWork

INVITE_BYTES = 12
INVITE_CODE = re.compile(r"[A-Za-z0-9_-]{16}")
DEFAULT_DAYS = 7
MIN_DAYS = 1
MAX_DAYS = 90
LANGUAGES = ("vi", "en")


class NotAllowedError(DomainError):
    """The person may not (or no longer) do this: their role changed, or they never could."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks for a change: a Telegram user, and whether the settings list them as an
    administrator (ADMIN_TELEGRAM_IDS: such an administrator may have no stored row)."""

    telegram_id: int
    configured_admin: bool = False


Right = Callable[[Person | None, bool], bool]  # (the person as stored now, is an administrator)


async def authorise(uow: UnitOfWork, actor: Actor, right: Right) -> Person | None:
    """Read the actor again in this unit of work (the one that writes) and check `right`
    against what is stored now, not what was read at an earlier step of a form; raises
    NotAllowedError. Every service that writes on a person's behalf calls this first."""
    person = await uow.people.get(actor.telegram_id)
    is_admin = actor.configured_admin or (person is not None and person.is_admin)
    if not right(person, is_admin):
        raise NotAllowedError(f"user {actor.telegram_id} may not do this (any longer)")
    return person


def may_submit_for(unit: str, tree: UnitTree) -> Right:
    """Administrators, heads and members (not viewers) of the unit or of a unit above it."""
    return lambda person, is_admin: (
        is_admin or (person is not None and person.can_submit(unit, tree))
    )


class Outcome(StrEnum):
    JOINED = "joined"  # the person is now bound to the invite's unit with its role
    UNKNOWN = "unknown"  # no such code (or not even the shape of one)
    USED = "used"  # someone else redeemed it first
    EXPIRED = "expired"
    ALREADY_MEMBER = "already_member"  # they redeemed it before, or already have that role


@dataclass(frozen=True, slots=True)
class Redemption:
    outcome: Outcome
    unit: str | None = None  # set when joined or already a member
    role: Role | None = None

    @property
    def joined(self) -> bool:
        return self.outcome is Outcome.JOINED


def is_invite_code(text: str) -> bool:
    """Whether `text` has the shape of an invite code (says nothing of whether it exists)."""
    return INVITE_CODE.fullmatch(text) is not None


async def create_invite(
    unit_of_work: Callable[[], UnitOfWork],
    catalogue: Catalogue,
    unit_text: str,
    role: Role,
    created_by: str,
    now: datetime,
    days: int = DEFAULT_DAYS,
) -> Invite:
    """A new single-use invite to the unit named or coded `unit_text`, valid for `days` days.

    Raises UnknownUnitError or AmbiguousUnitError (with the candidates) for the unit, and
    DomainError for a duration out of range.
    """
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise DomainError(
            f"an invite lasts from {MIN_DAYS} to {MAX_DAYS} days, not {days}: give a number"
            f" of days in that range"
        )
    if now.tzinfo is None:
        raise ValueError(f"the time must be time-zone aware, got {now!r}")
    unit = catalogue.units.find(unit_text)
    invite = Invite(
        code=secrets.token_urlsafe(INVITE_BYTES),
        unit=unit.code,
        role=Role(role),
        created_by=created_by,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    async with unit_of_work() as uow:
        await uow.invites.add(invite)
        await uow.commit()
    return invite


async def redeem_invite(
    unit_of_work: Callable[[], UnitOfWork],
    code: str,
    telegram_id: int,
    name: str,
    now: datetime,
) -> Redemption:
    """Bind the person to the invite's unit and role, if the code is theirs to use.

    All or nothing: the person, their membership and the invite's use are committed together,
    and nothing is written unless they join.
    """
    code = code.strip()
    if not is_invite_code(code):
        return Redemption(Outcome.UNKNOWN)
    async with unit_of_work() as uow:
        invite = await uow.invites.get(code)
        if invite is None:
            return Redemption(Outcome.UNKNOWN)
        problem = invite.problem(now)
        if problem == "used":
            if invite.used_by == telegram_id:
                return Redemption(Outcome.ALREADY_MEMBER, invite.unit, invite.role)
            return Redemption(Outcome.USED)
        if problem == "expired":
            return Redemption(Outcome.EXPIRED)
        person = await uow.people.get(telegram_id)
        if person is not None and any(
            m.unit == invite.unit and m.role is invite.role for m in person.memberships
        ):
            # nothing would change: the code stays unused (and expires in its time)
            return Redemption(Outcome.ALREADY_MEMBER, invite.unit, invite.role)
        if not await uow.invites.mark_used(code, telegram_id, now):
            return Redemption(Outcome.USED)  # someone redeemed it since we read it
        if person is None or person.name != name:
            await uow.people.upsert(telegram_id, name)
        await uow.people.add_membership(telegram_id, invite.unit, invite.role)
        await uow.commit()
    return Redemption(Outcome.JOINED, invite.unit, invite.role)


async def add_admin(
    unit_of_work: Callable[[], UnitOfWork], telegram_id: int, name: str | None = None
) -> Person:
    """Make the person an administrator, creating them if needed (named after their id until
    they next talk to the bot, when `identify` refreshes the name)."""
    async with unit_of_work() as uow:
        person = await uow.people.get(telegram_id)
        if person is None or (name is not None and name != person.name):
            await uow.people.upsert(telegram_id, name or f"tg:{telegram_id}")
        await uow.people.set_admin(telegram_id, True)
        person = await uow.people.get(telegram_id)
        await uow.commit()
    assert person is not None
    return person


async def identify(
    unit_of_work: Callable[[], UnitOfWork], telegram_id: int, name: str
) -> Person | None:
    """The person behind a Telegram user, their display name refreshed; None for a stranger
    (who is not recorded: only an invite or an administrator makes someone known)."""
    async with unit_of_work() as uow:
        person = await uow.people.get(telegram_id)
        if person is None:
            return None
        if name and name != person.name:
            person = await uow.people.upsert(telegram_id, name)
            await uow.commit()
    return person


async def set_language(
    unit_of_work: Callable[[], UnitOfWork], telegram_id: int, name: str, language: str | None
) -> Person:
    """Keep the person's language (None: follow Telegram's), recording them if need be: a
    stranger or an administrator listed only in the settings may choose one too (a person
    without memberships is still a stranger to `Person.is_known`)."""
    if language is not None and language not in LANGUAGES:
        raise DomainError(
            f"{language!r} is not a language of the bot: choose one of {', '.join(LANGUAGES)}"
        )
    async with unit_of_work() as uow:
        person = await uow.people.get(telegram_id)
        if person is None or (name and name != person.name):
            await uow.people.upsert(telegram_id, name or f"tg:{telegram_id}")
        await uow.people.set_language(telegram_id, language)
        person = await uow.people.get(telegram_id)
        await uow.commit()
    assert person is not None
    return person

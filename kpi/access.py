"""Who may see and change which unit's figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from kpi.units import UnitTree


class Role(StrEnum):
    HEAD = "head"  # the unit's head: sees and submits, receives alerts and reminders
    MEMBER = "member"  # an official the head delegates to: sees and submits
    VIEWER = "viewer"  # sees only

    @property
    def may_submit(self) -> bool:
        return self is not Role.VIEWER


@dataclass(frozen=True, slots=True)
class Membership:
    unit: str
    role: Role


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who talks to the bot, known by their Telegram user id."""

    telegram_id: int
    name: str
    language: str | None = None  # chosen with /lang; None: follow Telegram's language
    is_admin: bool = False
    memberships: tuple[Membership, ...] = ()
    active: bool = True  # False once they blocked the bot
    muted: bool = False  # reminders muted

    @property
    def is_known(self) -> bool:
        return self.is_admin or bool(self.memberships)

    def can_see(self, unit: str, tree: UnitTree) -> bool:
        """Administrators see everything; others their units and everything under them."""
        if self.is_admin:
            return True
        return any(tree.is_within(unit, m.unit) for m in self.memberships if m.unit in tree)

    def can_submit(self, unit: str, tree: UnitTree) -> bool:
        if self.is_admin:
            return True
        return any(
            tree.is_within(unit, m.unit)
            for m in self.memberships
            if m.role.may_submit and m.unit in tree
        )

    def home_unit(self) -> str | None:
        """The unit shown first: the first membership, heads before members before viewers."""
        order = {Role.HEAD: 0, Role.MEMBER: 1, Role.VIEWER: 2}
        ranked = sorted(self.memberships, key=lambda m: order[m.role])
        return ranked[0].unit if ranked else None


@dataclass(frozen=True, slots=True)
class Invite:
    """A single-use code that binds whoever redeems it to a unit and a role."""

    code: str
    unit: str
    role: Role
    created_by: str  # "tg:123" or "cli:alice"
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    used_by: int | None = None

    def problem(self, now: datetime) -> str | None:
        """Why the invite cannot be used now ("used", "expired"), or None."""
        if self.used_at is not None:
            return "used"
        if now >= self.expires_at:
            return "expired"
        return None

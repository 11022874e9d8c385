"""Group chats: which ones the bot is in, and the units' subtrees they follow.

A group follows a unit when an administrator, or the head of that unit or of a unit above it,
asks for it there (/subscribe). The bot being removed makes the group inactive (nothing is sent
there; its subscriptions stay for when it is added back); a group upgraded to a supergroup keeps
its subscriptions under its new id.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from kpi.access import Person, Role
from kpi.errors import DomainError
from kpi.units import UnitTree
from services.access import Actor, Right, authorise
from services.ports import UnitOfWork

UnitOfWorkFactory = Callable[[], UnitOfWork]


def may_manage(person: Person | None, is_admin: bool, unit: str, tree: UnitTree) -> bool:
    """Administrators, and heads of the unit or of a unit above it."""
    if is_admin:
        return unit in tree
    if person is None or unit not in tree:
        return False
    return any(
        m.role is Role.HEAD and m.unit in tree and tree.is_within(unit, m.unit)
        for m in person.memberships
    )


def headed_units(person: Person | None, tree: UnitTree) -> list[str]:
    """The units the person heads (those of the tree), in their order."""
    if person is None:
        return []
    codes = [m.unit for m in person.memberships if m.role is Role.HEAD and m.unit in tree]
    return list(dict.fromkeys(codes))


async def bot_joined(
    unit_of_work: UnitOfWorkFactory, chat_id: int, title: str, kind: str, now: datetime
) -> None:
    """The bot was added to the chat (or is seen in it again)."""
    async with unit_of_work() as uow:
        await uow.chats.joined(chat_id, title, kind, now)
        await uow.commit()


async def bot_left(unit_of_work: UnitOfWorkFactory, chat_id: int, now: datetime) -> None:
    """The bot left, was removed or kicked."""
    async with unit_of_work() as uow:
        await uow.chats.deactivate(chat_id, now)
        await uow.commit()


async def group_migrated(
    unit_of_work: UnitOfWorkFactory, old: int, new: int, now: datetime
) -> None:
    """The group became a supergroup: its subscriptions move to the new id."""
    async with unit_of_work() as uow:
        await uow.chats.migrate(old, new, now)
        await uow.commit()


class PrivateChatError(DomainError):
    """Only a group follows units: a private chat gets its person's own alerts already."""


def _may_manage(unit: str, tree: UnitTree) -> Right:
    return lambda person, is_admin: may_manage(person, is_admin, unit, tree)


async def subscribe(
    unit_of_work: UnitOfWorkFactory,
    chat_id: int,
    title: str,
    kind: str,
    unit: str,
    by: Actor,
    now: datetime,
    tree: UnitTree,
) -> bool:
    """The group follows the unit's subtree (the chat is recorded as active); False if it
    already did. Raises PrivateChatError for a private chat, NotAllowedError unless `by` may
    manage the unit now (may_manage, checked in the transaction that writes)."""
    if kind == "private":
        raise PrivateChatError(f"chat {chat_id} is private: only a group follows units")
    async with unit_of_work() as uow:
        await authorise(uow, by, _may_manage(unit, tree))
        await uow.chats.joined(chat_id, title, kind, now)
        added = await uow.chats.subscribe(chat_id, unit, by.telegram_id, now)
        await uow.commit()
    return added


async def unsubscribe(
    unit_of_work: UnitOfWorkFactory, chat_id: int, unit: str, by: Actor, tree: UnitTree
) -> bool:
    """The chat stops following the unit; False if it did not follow it. Raises
    NotAllowedError unless `by` may manage the unit now."""
    async with unit_of_work() as uow:
        await authorise(uow, by, _may_manage(unit, tree))
        removed = await uow.chats.unsubscribe(chat_id, unit)
        await uow.commit()
    return removed


async def subscriptions(unit_of_work: UnitOfWorkFactory, chat_id: int) -> list[str]:
    """The units the chat follows."""
    async with unit_of_work() as uow:
        return await uow.chats.subscriptions(chat_id)

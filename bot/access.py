"""Who is asking, in which language, and what they may do.

Every handler but /start, /help, /lang and /cancel is wrapped in one of these:

    @require_person
    async def status(update: Update, context: Context, caller: Caller) -> None: ...

    @require_admin
    async def invite(update: Update, context: Context, caller: Caller) -> State | None: ...

A stranger gets the explanation of how to get access; a member asking for an administrator's
command is told it is not theirs. The wrapped callback then returns None, which a
ConversationHandler reads as "no conversation starts / stay in the current state".
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from telegram import Update, User

from bot.context import Context
from i18n.translations import Translator, normalise, translator
from kpi.access import Person, Role
from services import access as people

R = TypeVar("R")

Callback = Callable[[Update, Context], Coroutine[Any, Any, R]]
CallerCallback = Callable[[Update, Context, "Caller"], Coroutine[Any, Any, R]]


@dataclass(frozen=True, slots=True)
class Caller:
    """The person behind an update, as far as the bot knows them."""

    telegram_id: int
    name: str
    person: Person | None  # None: never seen, or not stored
    language: str  # "vi" or "en"
    is_admin: bool  # stored as admin, or listed in ADMIN_TELEGRAM_IDS

    @property
    def t(self) -> Translator:
        return translator(self.language)

    @property
    def is_member(self) -> bool:
        return self.person is not None and bool(self.person.memberships)

    @property
    def is_stranger(self) -> bool:
        return not (self.is_admin or self.is_member)


def language_of(chosen: str | None, telegram_language: str | None, default: str) -> str:
    """Their /lang choice, else Telegram's language (en* → English), else the default."""
    if normalise(chosen):
        return normalise(chosen) or default
    if telegram_language and telegram_language.lower().startswith("en"):
        return "en"
    return normalise(telegram_language) or default


async def identify_caller(update: Update, context: Context) -> Caller | None:
    """The caller of this update (cached on the context); None for updates without a user."""
    if context.caller is not None:
        return context.caller
    user = update.effective_user
    if user is None:
        return None
    person = await people.identify(context.services.database.unit_of_work, user.id, user.full_name)
    caller = context.caller = _caller(user, person, context)
    return caller


def prime_caller(update: Update, context: Context, person: Person | None) -> None:
    """Take `person`, just read for the update's user (None: a stranger), as what
    `identify_caller` would find, when that would write nothing (the name is unchanged), so
    that it needs no transaction of its own."""
    user = update.effective_user
    if user is None or context.caller is not None:
        return
    if person is not None and user.full_name and user.full_name != person.name:
        return  # identify_caller refreshes the name
    context.caller = _caller(user, person, context)


def _caller(user: User, person: Person | None, context: Context) -> Caller:
    settings = context.services.settings
    return Caller(
        telegram_id=user.id,
        name=user.full_name,
        person=person,
        language=language_of(
            person.language if person is not None else None,
            user.language_code,
            settings.default_language,
        ),
        is_admin=user.id in settings.admin_telegram_ids
        or (person is not None and person.is_admin),
    )


def actor_of(caller: Caller, context: Context) -> people.Actor:
    """The caller as the services check them again when they write (services.access.authorise):
    their id, and whether the settings list them as an administrator."""
    configured = caller.telegram_id in context.services.settings.admin_telegram_ids
    return people.Actor(caller.telegram_id, configured_admin=configured)


def fallback_caller(update: object, context: Context) -> Caller | None:
    """The caller without asking the store (for the error handler: the store may be down)."""
    if context.caller is not None:
        return context.caller
    if not isinstance(update, Update) or update.effective_user is None:
        return None
    user = update.effective_user
    settings = context.services.settings
    return Caller(
        telegram_id=user.id,
        name=user.full_name,
        person=None,
        language=language_of(
            None,
            user.language_code,
            settings.default_language,
        ),
        is_admin=user.id in settings.admin_telegram_ids,
    )


def role_name(role: Role, t: Translator) -> str:
    names = {
        Role.HEAD: t._("head of the unit"),
        Role.MEMBER: t._("official reporting for the unit"),
        Role.VIEWER: t._("viewer"),
    }
    return names[role]


def unit_name(code: str, context: Context, language: str) -> str:
    """The unit's name in the newest catalogue (its code if the catalogue does not know it)."""
    catalogues = context.services.catalogues
    if not catalogues.by_year:
        return code
    tree = catalogues.newest.units
    return tree.get(code).name.get(language) if code in tree else code


def stranger_text(t: Translator) -> str:
    return t._(
        "This assistant helps the province's units follow and report their"
        " administrative-reform targets. You do not have access yet.\n\n"
        "To get access, ask the Provincial People's Committee Office (public-service centre)"
        " for your unit's invite link, then open it: this chat will start with your unit."
    )


async def reply(update: Update, text: str) -> None:
    """Answer in the chat the update came from (a message, or the message under a button)."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(text)
        return
    chat = update.effective_chat
    if chat is not None:
        await chat.send_message(text)


def require_person(callback: CallerCallback[R]) -> Callback[R | None]:
    """Run the callback for administrators and people bound to a unit; explain to strangers."""

    @functools.wraps(callback)
    async def checked(update: Update, context: Context) -> R | None:
        caller = await identify_caller(update, context)
        if caller is None:
            return None
        if caller.is_stranger:
            await _refuse(update, stranger_text(caller.t))
            return None
        return await callback(update, context, caller)

    return checked


def require_admin(callback: CallerCallback[R]) -> Callback[R | None]:
    """Run the callback for administrators only."""

    @functools.wraps(callback)
    async def checked(update: Update, context: Context) -> R | None:
        caller = await identify_caller(update, context)
        if caller is None:
            return None
        if caller.is_stranger:
            await _refuse(update, stranger_text(caller.t))
            return None
        if not caller.is_admin:
            await _refuse(
                update,
                caller.t._(
                    "This command is for the administrators of the Provincial People's"
                    " Committee Office. Type /help to see your commands."
                ),
            )
            return None
        return await callback(update, context, caller)

    return checked


async def _refuse(update: Update, text: str) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()
    await reply(update, text)

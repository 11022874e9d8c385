"""The commands people see: one list for the menu Telegram shows and for /help.

A handler module that adds a command adds one `Command` line here (its description is an English
sentence marked with `N_`, translated in locales/vi).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import ExtBot

from i18n.translations import LANGUAGES, N_, Translator, translator

logger = logging.getLogger(__name__)


class Audience(IntEnum):
    """Who may use a command; each audience also sees the commands of the ones before it."""

    EVERYONE = 0  # strangers too
    MEMBERS = 1  # people bound to a unit
    ADMINS = 2  # the provincial office


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    description: str  # an English sentence marked with N_
    audience: Audience


COMMANDS: tuple[Command, ...] = (
    Command("status", N_("Your unit's attainment"), Audience.MEMBERS),
    Command("chart", N_("Your unit's indicators as charts"), Audience.MEMBERS),
    Command("submit", N_("Report your unit's figures"), Audience.MEMBERS),
    Command("history", N_("Latest changes to your unit's figures"), Audience.MEMBERS),
    Command("deadlines", N_("When your unit's reports are due"), Audience.MEMBERS),
    Command("mute", N_("Stop the reminders of report deadlines"), Audience.MEMBERS),
    Command("unmute", N_("Receive the reminders of report deadlines again"), Audience.MEMBERS),
    Command("roadmap", N_("Your unit's roadmap to its targets"), Audience.MEMBERS),
    Command("sections", N_("Targets handed down to sections and officials"), Audience.MEMBERS),
    Command("export", N_("The report workbook (.xlsx) of your unit"), Audience.MEMBERS),
    Command("units", N_("Units and the people bound to them"), Audience.ADMINS),
    Command("invite", N_("Invite a unit's head or official"), Audience.ADMINS),
    Command("report", N_("Who reported, by the deadline, and the ranking"), Audience.ADMINS),
    Command("broadcast", N_("Send a message to many units at once"), Audience.ADMINS),
    Command("subscribe", N_("In a group: make it follow a unit's alerts"), Audience.MEMBERS),
    Command("help", N_("What this bot does and its commands"), Audience.EVERYONE),
    Command("lang", N_("Choose the language: Vietnamese or English"), Audience.EVERYONE),
    Command("cancel", N_("Stop what you are doing"), Audience.EVERYONE),
)


def commands_for(audience: Audience) -> list[Command]:
    return [c for c in COMMANDS if c.audience <= audience]


def bot_commands(audience: Audience, t: Translator) -> list[BotCommand]:
    return [BotCommand(c.name, t._(c.description)) for c in commands_for(audience)]


def command_lines(audience: Audience, t: Translator) -> str:
    """ "/help: What this bot does..." one command a line, for /help and the welcome."""
    return "\n".join(f"/{c.name}: {t._(c.description)}" for c in commands_for(audience))


async def publish_commands(
    bot: ExtBot[None], admin_ids: Iterable[int], default_language: str = "vi"
) -> None:
    """The menu: members' commands for everyone (in the default language, and in each other
    language for people whose Telegram speaks it), every command in each administrator's chat.

    An administrator who never opened a chat with the bot cannot get a menu yet (Telegram
    answers "chat not found"): logged, and done when they send /start.
    """
    others: Sequence[str] = [language for language in LANGUAGES if language != default_language]
    await bot.set_my_commands(
        bot_commands(Audience.MEMBERS, translator(default_language)),
        scope=BotCommandScopeDefault(),
    )
    for language in others:
        await bot.set_my_commands(
            bot_commands(Audience.MEMBERS, translator(language)),
            scope=BotCommandScopeDefault(),
            language_code=language,
        )
    for admin in sorted(set(admin_ids)):
        await publish_admin_menu(bot, admin, default_language)


async def publish_admin_menu(bot: ExtBot[None], admin: int, default_language: str = "vi") -> None:
    """Every command in the administrator's chat (also done when they send /start)."""
    scope = BotCommandScopeChat(admin)
    try:
        for language in LANGUAGES:
            await bot.set_my_commands(
                bot_commands(Audience.ADMINS, translator(language)),
                scope=scope,
                language_code=None if language == default_language else language,
            )
    except TelegramError as error:
        logger.warning("no command menu for administrator %d yet: %s", admin, error)

"""Messages in the person's language: gettext catalogues under locales/, loaded with Babel.

    t = translator("vi")
    t._("Welcome, {name}.", name=person.name)      # translated, then formatted
    t.n_("{count} unit", "{count} units", n, count=count_text)

Message ids are English sentences with named placeholders; English is the message id itself.
Strings defined away from a translator (menus, tables) are marked with `N_` and translated later.
"""

from __future__ import annotations

import io
from functools import cache
from gettext import NullTranslations
from pathlib import Path
from typing import Final

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES_DIR: Final = Path(__file__).resolve().parent.parent / "locales"
DOMAIN: Final = "messages"
LANGUAGES: Final = ("vi", "en")
SOURCE_LANGUAGE: Final = "en"  # message ids are English: no catalogue needed


class MissingCatalogueError(RuntimeError):
    """A language's catalogue is missing or empty: refuse to fall back to English silently."""


def N_(message: str) -> str:  # noqa: N802 (the gettext convention for "mark, translate later")
    """Mark a message for extraction where no translator is at hand; translate it later."""
    return message


class Translator:
    """One language's messages: `_` for a sentence, `n_` for a count-dependent sentence."""

    def __init__(self, language: str, translations: NullTranslations) -> None:
        self.language = language
        self._translations = translations

    def _(self, message: str, /, **params: object) -> str:
        text = self._translations.gettext(message)
        return text.format(**params) if params else text

    def n_(self, singular: str, plural: str, n: int, /, **params: object) -> str:
        text = self._translations.ngettext(singular, plural, n)
        return text.format(**params) if params else text

    def __repr__(self) -> str:
        return f"Translator({self.language!r})"


def normalise(language: str | None) -> str | None:
    """ "vi", "vi-VN", "en_US" → "vi" / "en"; anything else → None."""
    if not language:
        return None
    short = language.replace("_", "-").split("-")[0].lower()
    return short if short in LANGUAGES else None


def translator(language: str) -> Translator:
    """The translator for "vi" or "en" ("vi-VN", "en_US" too; anything else: ValueError)."""
    short = normalise(language)
    if short is None:
        raise ValueError(f"no messages for language {language!r}; known: {LANGUAGES}")
    return _translator(short)


@cache
def _translator(language: str) -> Translator:
    if language == SOURCE_LANGUAGE:
        return Translator(language, NullTranslations())
    return Translator(language, load_translations(language))


def catalogue_paths(language: str) -> tuple[Path, Path]:
    """The .po and .mo files of a language."""
    folder = LOCALES_DIR / language / "LC_MESSAGES"
    return folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"


def load_translations(language: str) -> Translations:
    """The compiled catalogue if it is up to date, else the .po compiled in memory.

    `make i18n` writes the .mo files; a fresh checkout or an edited .po still works. A missing
    or empty catalogue raises MissingCatalogueError instead of Babel's silent NullTranslations.
    """
    po, mo = catalogue_paths(language)
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as compiled:
            translations = Translations(compiled, domain=DOMAIN)
    elif po.is_file():
        translations = Translations(io.BytesIO(compile_po(po, language)), domain=DOMAIN)
    else:
        raise MissingCatalogueError(
            f"no {language} catalogue: expected {po} (and `make i18n` to compile it)"
        )
    if not translations._catalog:  # noqa: SLF001 (gettext keeps no public count of messages)
        raise MissingCatalogueError(f"the {language} catalogue {po} has no messages")
    return translations


def compile_po(po: Path, language: str) -> bytes:
    """The .mo bytes of a .po file (fuzzy entries left out, as pybabel does by default)."""
    with po.open("rb") as source:
        catalogue = read_po(source, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue, use_fuzzy=False)
    return buffer.getvalue()

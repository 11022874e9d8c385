"""The Vietnamese catalogue: complete for every message of the packages that speak (i18n/,
documents/, bot/, cli/), placeholders intact, loaded."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from i18n.formatting import day, moment
from i18n.translations import (
    LOCALES_DIR,
    MissingCatalogueError,
    catalogue_paths,
    load_translations,
    translator,
)

ROOT = Path(__file__).resolve().parents[2]
SPEAKING = ("i18n", "documents", "bot", "cli")  # the packages babel.cfg extracts from
KEYWORDS = {"_": None, "N_": None, "n_": (1, 2)}


def used_messages() -> dict[str, str]:
    """msgid → where it is used, for every message marked in the speaking packages (plurals:
    the singular)."""
    found: dict[str, str] = {}
    for package in SPEAKING:
        for filename, line, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            found.setdefault(msgid, f"{package}/{filename}:{line}")
    return found


def vietnamese() -> Catalog:
    po, _mo = catalogue_paths("vi")
    with po.open("rb") as source:
        return read_po(source, locale="vi")


def texts(value: str | tuple[str, ...] | list[str]) -> list[str]:
    """A message's forms: one, or singular and plural."""
    return [value] if isinstance(value, str) else list(value)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_the_bot_marks_messages_for_translation() -> None:
    assert len(used_messages()) > 20


def test_every_message_of_the_bot_has_a_vietnamese_translation() -> None:
    catalogue = vietnamese()
    missing = [
        f"{where}: {msgid!r}"
        for msgid, where in used_messages().items()
        if (entry := catalogue.get(msgid)) is None or not entry.string or entry.fuzzy
    ]
    assert not missing, "untranslated (or fuzzy) in locales/vi:\n" + "\n".join(missing)


def test_translations_keep_the_placeholders_of_their_message() -> None:
    differing = []
    for entry in vietnamese():
        if not entry.id or not entry.string:
            continue
        expected = set().union(*(placeholders(i) for i in texts(entry.id)))
        for text in texts(entry.string):
            if placeholders(text) != expected:
                differing.append(
                    f"{entry.id!r}: {sorted(placeholders(text))} != {sorted(expected)}"
                )
    assert not differing, "\n".join(differing)


def test_the_catalogue_has_no_translation_the_bot_no_longer_uses() -> None:
    used = used_messages()
    stale = [
        entry.id
        for entry in vietnamese()
        if entry.id and (entry.id[0] if isinstance(entry.id, tuple) else entry.id) not in used
    ]
    assert not stale, f"remove or mark obsolete: {stale}"


def test_the_vietnamese_catalogue_really_loads() -> None:
    t = translator("vi")
    assert t._("Commands:") == "Các lệnh:"
    assert t._("Hello, {name}.", name="Lan") == "Xin chào anh/chị Lan."


def test_english_is_the_message_itself_formatted_after_lookup() -> None:
    assert translator("en")._("Hello, {name}.", name="Lan") == "Hello, Lan."
    assert translator("en-US") is translator("en")


def test_a_missing_catalogue_is_an_error_not_english(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("i18n.translations.LOCALES_DIR", tmp_path)
    with pytest.raises(MissingCatalogueError):
        load_translations("vi")


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="no messages"):
        translator("fr")


def test_the_po_file_is_compiled_in_memory_when_the_mo_is_missing_or_stale(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = tmp_path / "vi" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_bytes((LOCALES_DIR / "vi/LC_MESSAGES/messages.po").read_bytes())
    monkeypatch.setattr("i18n.translations.LOCALES_DIR", tmp_path)
    assert load_translations("vi").gettext("Commands:") == "Các lệnh:"


def test_dates_and_times_are_shown_the_vietnamese_way_in_the_province_time_zone() -> None:
    assert day(date(2022, 3, 14)) == "14/03/2022"
    assert day(date(2022, 3, 14), "en") == "Mar 14, 2022"
    utc = datetime(2022, 3, 14, 17, 5, tzinfo=UTC)  # already the 15th in Viet Nam
    assert moment(utc) == "00:05 15/03/2022"
    assert moment(utc, "en").startswith("Mar 15, 2022, 12:05")


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        moment(datetime(2022, 3, 14, 9, 0))  # noqa: DTZ001 (the naive value is the point)


def test_babel_extracts_the_messages_of_every_package_that_speaks() -> None:
    config = (ROOT / "babel.cfg").read_text(encoding="utf-8")
    sections = {
        line[len("[python: ") :].split("/")[0]
        for line in config.splitlines()
        if line.startswith("[python: ")
    }
    assert sections == set(SPEAKING)

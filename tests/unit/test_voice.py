"""One voice (locales/glossary.md): every message of the catalogue rendered with sample values,
in Vietnamese and English, follows the glossary's rules."""

from __future__ import annotations

import re
import string
from decimal import Decimal

import pytest
from babel.messages.catalog import Message

from i18n import formatting
from i18n.translations import LOCALES_DIR, Translator, translator
from kpi.periods import Period
from tests.unit.test_i18n import texts, used_messages, vietnamese

PERIODS = [
    Period.month(2022, 6),
    Period.quarter(2022, 1),
    Period.parse("2022-H1"),
    Period.parse("2022-9M"),
    Period.whole_year(2022),
]
PERCENT_NAMES = {"rate", "target", "floor", "value", "completeness", "timeliness", "milestone"}
# Messages that must spell a Vietnamese number in English too: they explain the Vietnamese way.
VIETNAMESE_NUMBERS_EXPLAINED = {
    (
        "In Vietnamese a comma marks decimals (“1,020” is 1.02) and a count is a whole number:"
        " write 1.020 or 1020."
    ),
    "That is not a whole number: write digits, grouped with dots if you like (1.020).",
}


def sample(name: str, count: int, period: Period, t: Translator) -> object:
    """A plausible value of a placeholder, formatted as the bot formats it."""
    if name == "period":
        return formatting.period_name(period, t)
    if name in PERCENT_NAMES:
        return formatting.percent(Decimal("98.69"), 2, t.language)
    if name in {"count", "days"}:
        return count
    if name in {"met", "judged", "total", "expected", "reported"}:
        return {"met": 9}.get(name, 13)
    return "Đăk Glei" if t.language == "vi" else "Dak Glei"


def rendered(entry: Message, language: str, count: int, period: Period) -> str:
    t = translator(language)
    message = entry.id if isinstance(entry.id, str) else entry.id[0]
    names = {n for text in texts(entry.id) for _, n, _, _ in string.Formatter().parse(text) if n}
    params = {n: sample(n, count, period, t) for n in names}
    if isinstance(entry.id, tuple):
        return t.n_(entry.id[0], entry.id[1], count, **params)
    return t._(message, **params)


def renderings() -> list[tuple[str, str, str]]:
    """(language, msgid, text) for every used message, each count and period."""
    used = used_messages()
    found = []
    for entry in vietnamese():
        if not entry.id:
            continue
        msgid = entry.id if isinstance(entry.id, str) else entry.id[0]
        if msgid not in used:
            continue
        for language in ("vi", "en"):
            for count in (1, 3):
                for period in PERIODS:
                    found.append((language, msgid, rendered(entry, language, count, period)))
    return found


RENDERED = renderings()


def broken(rule: str, pattern: re.Pattern[str], language: str) -> list[str]:
    return [
        f"{rule}: {msgid!r} → {text!r}"
        for lang, msgid, text in RENDERED
        if lang == language and pattern.search(text)
    ]


def test_every_message_is_rendered_in_both_languages() -> None:
    assert len({msgid for _, msgid, _ in RENDERED}) > 300
    assert (LOCALES_DIR / "glossary.md").is_file()


def test_vietnamese_says_anh_chi_never_ban() -> None:
    assert not broken("bạn", re.compile(r"\bbạn\b", re.IGNORECASE), "vi")


def test_years_quarters_and_months_are_lowercase_inside_a_sentence() -> None:
    mid = re.compile(r"[\wđ,] (Năm|Quý|Tháng) \d")
    assert not broken("capitalised mid-sentence", mid, "vi")
    english = re.compile(r"[a-z,] (Year|Quarter|Month|First half|First nine) ")
    assert not broken("capitalised mid-sentence", english, "en")


def test_period_names_come_from_one_function() -> None:
    spelled = re.compile(r"\b(Month|Quarter|Year) \{|\bQuarter I\b")
    assert not [m for m in used_messages() if spelled.search(m)]
    vi = re.compile(r"\b(Quý|quý) (I|II|III|IV)\b")
    assert not broken("a roman quarter", vi, "vi")


def test_a_space_before_percent_is_non_breaking() -> None:
    assert not broken("a breaking space before %", re.compile(r" %"), "vi")
    assert not broken("a space before %", re.compile(r"\d[ \u00a0]%"), "en")


def test_english_counts_agree_with_their_number() -> None:
    one = re.compile(r"(?<![/\d])1 (more )?[a-z]+s\b(?<!this)")
    assert not broken("a plural after 1", one, "en")


def test_english_does_not_write_vietnamese_numbers() -> None:
    found = [
        f"{msgid!r}"
        for lang, msgid, text in RENDERED
        if lang == "en" and "1.020" in text and msgid not in VIETNAMESE_NUMBERS_EXPLAINED
    ]
    assert not found


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: p.key)
def test_a_period_has_one_name_lowercase_inside_and_capitalised_at_the_start(
    period: Period,
) -> None:
    for language in ("vi", "en"):
        t = translator(language)
        inside = formatting.period_name(period, t)
        start = formatting.period_name(period, t, start=True)
        assert start == inside[:1].upper() + inside[1:]
    vi = translator("vi")
    assert formatting.period_name(Period.quarter(2022, 1), vi) == "quý 1/2022"
    assert formatting.period_name(Period.whole_year(2022), vi, start=True) == "Năm 2022"
    en = translator("en")
    assert formatting.period_name(Period.month(2022, 6), en) == "June 2022"
    assert formatting.period_name(Period.quarter(2022, 1), en) == "Q1 2022"

"""Numbers, percentages and dates the way a Vietnamese (or English) reader expects them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, get_month_names
from babel.numbers import NumberPattern, get_group_symbol, parse_pattern

from i18n.translations import Translator
from kpi.periods import Period, PeriodKind

LOCALES = {"vi": "vi_VN", "en": "en_US"}
TIMEZONE = "Asia/Ho_Chi_Minh"
NBSP = "\u00a0"  # between a number and "%" (locales/glossary.md): "98,69 %" never wraps


# Parsed once: Babel parses a locale given by name and a number pattern on every call, a
# noticeable share of a reply's CPU when a message shows a dozen numbers (bench.updates).
_LOCALES = {code: Locale.parse(code) for code in LOCALES.values()}
_GROUP_SYMBOLS = {code: get_group_symbol(locale) for code, locale in _LOCALES.items()}


def locale_of(language: str) -> str:
    return LOCALES.get(language[:2], "vi_VN")


@lru_cache(maxsize=64)
def _pattern(pattern: str) -> NumberPattern:
    return parse_pattern(pattern)


def _format(value: Decimal, pattern: str, language: str) -> str:
    """Babel's format_decimal(value, pattern, locale), its locale and pattern parsed once."""
    text: str = _pattern(pattern).apply(value, _LOCALES[locale_of(language)])
    return text


def count(value: int | None, language: str = "vi") -> str:
    """277307 → "277.307" (vi) or "277,307" (en); None → "—". Babel's grouping of an integer
    (by three, the locale's group symbol; the tests check they agree), written directly."""
    if value is None:
        return "—"
    return f"{value:,}".replace(",", _GROUP_SYMBOLS[locale_of(language)])


def percent(value: Decimal | None, decimals: int = 2, language: str = "vi") -> str:
    """Decimal("12.27") (already in percent) → "12,27 %" (vi, a non-breaking space before
    "%") or "12.27%" (en)."""
    if value is None:
        return "—"
    pattern = "#,##0." + "0" * decimals if decimals else "#,##0"
    text = _format(value, pattern, language)
    return f"{text}{NBSP}%" if language.startswith("vi") else f"{text}%"


def day(value: date, language: str = "vi") -> str:
    """date(2022, 3, 14) → "14/03/2022" (vi) or "Mar 14, 2022" (en)."""
    pattern = "dd/MM/yyyy" if language.startswith("vi") else "medium"
    return format_date(value, format=pattern, locale=locale_of(language))


def moment(value: datetime, language: str = "vi", timezone: str = TIMEZONE) -> str:
    """An aware datetime in the province's time zone: "09:05 14/03/2022" (vi) or
    "Mar 14, 2022, 9:05 AM" (en). A naive datetime is refused: its zone would be a guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("moment() needs an aware datetime")
    zone = ZoneInfo(timezone)
    if language.startswith("vi"):
        return format_datetime(value, "HH:mm dd/MM/yyyy", tzinfo=zone, locale="vi_VN")
    return format_datetime(value, "MMM d, y, h:mm a", tzinfo=zone, locale=locale_of(language))


def deep_link(bot_username: str, code: str) -> str:
    """The link that opens the bot with `/start <code>`: "https://t.me/<bot>?start=<code>"."""
    return f"https://t.me/{bot_username.removeprefix('@')}?start={code}"


def period_name(period: Period, t: Translator, *, start: bool = False) -> str:
    """The one name of a period (locales/glossary.md), as it reads inside a sentence: "tháng
    3/2022", "quý 1/2022", "6 tháng đầu năm 2022", "9 tháng năm 2022", "năm 2022" (en: "March
    2022", "Q1 2022", "the first half of 2022", ...). `start`: capitalised, to begin a line or
    stand alone on a button ("Quý 1/2022")."""
    kind = period.kind
    if kind is PeriodKind.MONTH:
        # English names the month ("June 2022"); Vietnamese numbers it ("tháng 6/2022")
        month: object = period.first
        if not t.language.startswith("vi"):
            month = get_month_names("wide", locale=locale_of(t.language))[period.first]
        text = t._("{month} {year}", month=month, year=period.year)
    elif kind is PeriodKind.QUARTER:
        text = t._("Q{quarter} {year}", quarter=period.quarter_number, year=period.year)
    elif kind is PeriodKind.HALF:
        text = t._("the first half of {year}", year=period.year)
    elif kind is PeriodKind.NINE_MONTHS:
        text = t._("the first nine months of {year}", year=period.year)
    else:
        text = t._("the year {year}", year=period.year)
    return capitalised(text) if start else text


def capitalised(text: str) -> str:
    """The text with its first letter upper-case (the rest as it is)."""
    return text[:1].upper() + text[1:]


def decimal(value: Decimal, decimals: int = 2, language: str = "vi") -> str:
    """Decimal("8.75") → "8,75" (vi) or "8.75" (en): at most `decimals` decimals, none shown
    when the value is whole ("9")."""
    pattern = "#,##0." + "#" * decimals if decimals else "#,##0"
    return _format(value, pattern, language)


ECHO_LIMIT = 60  # characters of what a person typed that a reply repeats


def echo(typed: str, limit: int = ECHO_LIMIT) -> str:
    """What a person typed, on one line and at most `limit` characters (cut with "…"), so that
    repeating it can never make a reply too long: "Đăk Long…"."""
    line = " ".join(typed.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"

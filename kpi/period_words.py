"""Periods as people write them: "tháng 3", "T3/2022", "quý I/2022", "6 tháng", "cả năm".

`read_period` understands the codes (`2022-03`, `2022-Q1`, `2022-H1`, `2022-9M`, `2022`), the
bot's own labels ("Quý 2/2022 (cả quý)", "Tháng 11/2022") and the usual Vietnamese and English
phrasings, with or without diacritics. A phrase without a year takes the year given (the
current one, by the province's clock); "tháng này/trước" and "quý này/trước" need the current
month. Anything else is refused with a `PeriodError` that quotes the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from kpi.errors import PeriodError
from kpi.periods import Period

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_WORD_NUMBERS = {"sau": 6, "chin": 9, "six": 6, "nine": 9}
_ENGLISH_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_YEAR = r"(?:(?:/|-|\s)\s*(?:nam\s+|year\s+)?(?P<year>\d{4}))?"
_NUMBER = r"(?P<n>\d{1,2}|iv|iii|ii|i)"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("month", rf"^(?:thang|t|month|m)\s*{_NUMBER}{_YEAR}$"),
        ("month", r"^(?P<n>\d{1,2})\s*/\s*(?P<year>\d{4})$"),
        ("quarter", rf"^(?:quy|q|quarter)\s*{_NUMBER}{_YEAR}$"),
        ("half", rf"^(?:6|sau|six)\s*(?:thang|months?)(?:\s*dau\s*nam)?{_YEAR}$"),
        ("half", rf"^(?:h1|first\s+half|first\s+six\s+months)(?:\s+of)?{_YEAR}$"),
        ("nine", rf"^(?:9|chin|nine)\s*(?:thang|months?)(?:\s*dau\s*nam)?{_YEAR}$"),
        ("nine", rf"^(?:9m|first\s+nine\s+months)(?:\s+of)?{_YEAR}$"),
        ("year", r"^(?:nam|year|ca\s+nam|whole\s+year|full\s+year)\s*(?P<year>\d{4})?$"),
        ("year", r"^(?P<year>\d{4})$"),
    )
)
_RELATIVE = {
    "thang nay": ("month", 0),
    "this month": ("month", 0),
    "thang truoc": ("month", -1),
    "last month": ("month", -1),
    "quy nay": ("quarter", 0),
    "this quarter": ("quarter", 0),
    "quy truoc": ("quarter", -1),
    "last quarter": ("quarter", -1),
    "nam nay": ("year", 0),
    "this year": ("year", 0),
}
_NOISE = re.compile(r"\((?:ca\s+quy|ca\s+thang|whole\s+quarter|whole\s+month)\)|\bcua\b|\bof\b")
_MAX_ECHO = 40


def fold(text: str) -> str:
    """Lowercase, without diacritics, spaces collapsed; '/' and '-' kept."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(stripped.replace(",", " ").split())


def read_period(text: str, current_year: int, current_month: Period | None = None) -> Period:
    """The period `text` names; the year defaults to `current_year`."""
    with_code = _from_code(text)
    if with_code is not None:
        return with_code
    folded = " ".join(_NOISE.sub(" ", fold(text)).split())
    relative = _RELATIVE.get(folded)
    if relative is not None:
        return _relative(text, *relative, current_year, current_month)
    english = _english_month(folded, current_year)
    if english is not None:
        return english
    for kind, pattern in _PATTERNS:
        match = pattern.match(folded)
        if match is None:
            continue
        groups = match.groupdict()
        year = int(groups["year"]) if groups.get("year") else current_year
        number = _number(groups.get("n"))
        period = _build(kind, year, number)
        if period is not None:
            return period
        break
    raise PeriodError(_refusal(text))


_MAX_PERIOD_WORDS = 5


def split_period(
    words: Sequence[str], current_year: int, current_month: Period | None = None
) -> tuple[Period | None, list[str]]:
    """The period written last among a command's words ("đăk blô quý 1"), and the words before.

    The longest span of at most five trailing words that reads as a period wins. A single word
    without a digit ("năm", "nam", "May") is never taken for one: it may end a unit's name.
    """
    words = list(words)
    for size in range(min(_MAX_PERIOD_WORDS, len(words)), 0, -1):
        tail = words[-size:]
        if size == 1 and not any(c.isdigit() for c in tail[0]):
            continue
        try:
            return read_period(" ".join(tail), current_year, current_month), words[:-size]
        except PeriodError:
            continue
    return None, words


def _from_code(text: str) -> Period | None:
    try:
        return Period.parse(text)
    except PeriodError:
        return None


def _english_month(folded: str, current_year: int) -> Period | None:
    match = re.match(r"^(?P<name>[a-z]+)\.?\s*(?P<year>\d{4})?$", folded)
    if match is None or match.group("name") not in _ENGLISH_MONTHS:
        return None
    year = int(match.group("year")) if match.group("year") else current_year
    return Period.month(year, _ENGLISH_MONTHS[match.group("name")])


def _number(text: str | None) -> int | None:
    if text is None:
        return None
    if text.isdigit():
        return int(text)
    return _ROMAN.get(text) or _WORD_NUMBERS.get(text)


def _build(kind: str, year: int, number: int | None) -> Period | None:
    if kind == "month":
        return Period.month(year, number) if number is not None and 1 <= number <= 12 else None
    if kind == "quarter":
        return Period.quarter(year, number) if number is not None and 1 <= number <= 4 else None
    if kind == "half":
        return Period(year, 1, 6)
    if kind == "nine":
        return Period(year, 1, 9)
    return Period.whole_year(year)


def _relative(
    text: str, kind: str, shift: int, current_year: int, current_month: Period | None
) -> Period:
    if kind == "year":
        return Period.whole_year(current_year)
    if current_month is None:
        raise PeriodError(_refusal(text))
    if kind == "month":
        index = current_month.year * 12 + current_month.first - 1 + shift
        return Period.month(index // 12, index % 12 + 1)
    index = current_month.year * 4 + current_month.quarter_number - 1 + shift
    return Period.quarter(index // 4, index % 4 + 1)


def _refusal(text: str) -> str:
    shown = text.strip()
    if len(shown) > _MAX_ECHO:
        shown = shown[: _MAX_ECHO - 1] + "…"
    return (
        f"{shown!r} is not a period: write for example “tháng 3”, “quý 1/2022”, “6 tháng”, "
        "“9 tháng”, “năm 2022”, or a code such as 2022-03, 2022-Q1, 2022-H1, 2022-9M, 2022"
    )

"""Counts typed the Vietnamese way: 1.020 is one thousand and twenty, 98,88 is not a count.

A count is digits (grouped with dots or spaces if you like), optionally followed by one
multiplier word that is understood without doubt and by unit words: "1.020", "1 020 hồ sơ",
"5 nghìn" (5.000), "2 triệu" (2.000.000), "1,5 triệu" (1.500.000), "3 tỷ" (beyond any plausible
count, so refused as too large). The multiplier words read are trăm (100), nghìn / ngàn / ngìn
(1.000), triệu (1.000.000), tỷ / tỉ (1.000.000.000), each with or without its diacritics.

Everything else is refused with the reason, never truncated: "12abc" (letters stuck to the
number), "5k", "5 tr", "5 chục", "5 vạn" (shorthand or words we do not read: "k" also abbreviates
"không" in Vietnamese texting, and a count of dossiers is not money, so the person is asked to
write 5.000 or 5 nghìn), "5 nghìn 200" (several numbers), "1e5" and "10^20" (write the digits).
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum

from kpi.errors import CountError

MAX_COUNT = 10**9  # more than any plausible count of dossiers, procedures or payments
_PLAIN_DIGITS = 12  # a text this short of ASCII digits is read at once (a file's cells)
_MAX_DIGITS = 15  # longer digit strings are too large without converting them


class CountProblem(StrEnum):
    EMPTY = "empty"
    NO_NUMBER = "no_number"
    NEGATIVE = "negative"
    PERCENT = "percent"
    DECIMAL = "decimal"
    MALFORMED = "malformed"
    TOO_LARGE = "too_large"
    SEVERAL = "several"
    NOTATION = "notation"  # 1e5, 10^20, 5x10^3: write the digits
    MULTIPLIER = "multiplier"  # 5k, 5 tr, 5 chục, 5 nghìn 200: a word or shorthand not read


MULTIPLIERS: dict[str, int] = {
    "trăm": 100,
    "tram": 100,
    "nghìn": 1000,
    "nghin": 1000,
    "ngàn": 1000,
    "ngan": 1000,
    "ngìn": 1000,
    "ngin": 1000,
    "triệu": 10**6,
    "trieu": 10**6,
    "tỷ": 10**9,
    "tỉ": 10**9,
    "ty": 10**9,
    "ti": 10**9,
}
# Shorthand and words that multiply but are not read: refused, so that "5k" is never 5.
_UNREAD = {
    "k", "ng", "tr", "m", "mil", "b", "bn", "t", "chục", "chuc", "vạn", "mươi", "muoi",
    "thousand", "thousands", "million", "millions", "billion", "billions", "hundred", "lakh",
}  # fmt: skip

_NUMBER = re.compile(r"[+-]?\d[\d.,\u00a0\u202f ]*")
_GROUPED = re.compile(r"^\d{1,3}(?:[.\u00a0\u202f ]\d{3})+$")
_WORD = re.compile(r"^[^\W\d_]+$")
_NOTATION = re.compile(r"\d\s*[eE][+-]?\d|\^|\*\*|\d\s*[x×*]\s*10\b")
_SPACE = re.compile(r"[\s\u00a0\u202f]+")


def _multiplier(word: str, text: str) -> int | None:
    """The factor of a multiplier word; CountError for shorthand that is not read."""
    folded = word.casefold()
    if folded in MULTIPLIERS:
        return MULTIPLIERS[folded]
    if folded in _UNREAD:
        raise CountError(CountProblem.MULTIPLIER, text)
    return None


def _whole(number: str, text: str) -> int:
    """Digits, or digits grouped in thousands by dots or spaces."""
    if re.fullmatch(r"\d+", number):
        digits = number
    elif _GROUPED.match(number):
        digits = re.sub(r"\D", "", number)
    elif re.fullmatch(r"\d+\.\d+", number):
        raise CountError(CountProblem.DECIMAL, text)
    else:
        raise CountError(CountProblem.MALFORMED, text)
    if len(digits.lstrip("0")) > _MAX_DIGITS:
        raise CountError(CountProblem.TOO_LARGE, text)
    return int(digits)


def parse_count(text: str) -> int:
    """A whole, non-negative count from text such as "1.020", "1 020", "1020 hồ sơ" or
    "5 nghìn" (5000).

    Raises CountError whose `reason` is a CountProblem value and whose `text` is what was
    typed; never guesses.
    """
    if len(text) <= _PLAIN_DIGITS and text.isascii() and text.isdigit():
        value = int(text)  # plain digits (most of a file's cells): at once
        if value > MAX_COUNT:
            raise CountError(CountProblem.TOO_LARGE, text)
        return value
    stripped = text.strip()
    if not stripped:
        raise CountError(CountProblem.EMPTY, text)
    if "%" in stripped:
        raise CountError(CountProblem.PERCENT, text)
    if _NOTATION.search(stripped):
        raise CountError(CountProblem.NOTATION, text)
    number, factor = _number_and_factor(stripped, text)
    if factor is None:
        if "," in number:
            # Vietnamese uses the comma for decimals: "1,020" is 1.02, not a count.
            raise CountError(CountProblem.DECIMAL, text)
        value = _whole(number, text)
    else:
        value = _scaled(number, factor, text)
    if value > MAX_COUNT:
        raise CountError(CountProblem.TOO_LARGE, text)
    return value


def _number_and_factor(stripped: str, text: str) -> tuple[str, int | None]:
    """The one number in the text and the multiplier word after it (None: no such word)."""
    matches = list(_NUMBER.finditer(stripped))
    if not matches:
        raise CountError(CountProblem.NO_NUMBER, text)
    if len(matches) > 1:
        # "5 nghìn 200" is a multiplier combined with more digits: say so, not "one at a time"
        words = _SPACE.split(_NUMBER.sub(" ", stripped))
        if any(_multiplier_or_unread(word) for word in words):
            raise CountError(CountProblem.MULTIPLIER, text)
        raise CountError(CountProblem.SEVERAL, text)
    match = matches[0]
    number = match.group(0).strip()
    before, after = stripped[: match.start()], stripped[match.end() :]
    if number.startswith("-") or before.rstrip().endswith(("-", "\u2212", "\u2013")):
        raise CountError(CountProblem.NEGATIVE, text)
    words = [w for w in _SPACE.split(after) if w]
    if before.strip() or not all(_WORD.match(w) for w in words):
        # "abc 12", "12 hồ sơ." : text around the number that is not words
        raise CountError(CountProblem.MALFORMED, text)
    factor = _multiplier(words[0], text) if words else None
    if after and match.group(0) == match.group(0).rstrip() and factor is None:
        # "12abc": letters stuck to the number are not a unit word
        raise CountError(CountProblem.MALFORMED, text)
    if any(_multiplier_or_unread(word) for word in words[1:]):
        # "5 nghìn tỷ", "5 hồ sơ triệu": more than one multiplier, or one out of place
        raise CountError(CountProblem.MULTIPLIER, text)
    return number.lstrip("+"), factor


def _multiplier_or_unread(word: str) -> bool:
    folded = word.casefold()
    return folded in MULTIPLIERS or folded in _UNREAD


def _scaled(number: str, factor: int, text: str) -> int:
    """ "1,5" with a factor of a million: 1500000, provided the result is whole."""
    whole, comma, fraction = number.partition(",")
    if comma and not re.fullmatch(r"\d{1,6}", fraction):
        raise CountError(CountProblem.MALFORMED, text)
    value = Decimal(_whole(whole, text)) + (Decimal(f"0.{fraction}") if comma else 0)
    scaled = value * factor
    if scaled != scaled.to_integral_value():
        raise CountError(CountProblem.DECIMAL, text)
    return int(scaled)


_YES = {"1", "co", "có", "yes", "y", "x", "true", "đúng", "dung", "đã", "da"}
_NO = {"0", "khong", "không", "no", "n", "false", "chua", "chưa", "sai"}


def parse_flag(text: str) -> int:
    """1 for yes ("có", "yes", "1"), 0 for no ("không", "no", "0")."""
    folded = text.strip().casefold()
    if folded in _YES:
        return 1
    if folded in _NO:
        return 0
    if not folded:
        raise CountError(CountProblem.EMPTY, text)
    raise CountError(CountProblem.NO_NUMBER, text)

"""Counts typed the Vietnamese way: 1.020 is one thousand and twenty, 98,88 is not a count."""

from __future__ import annotations

import re
from enum import StrEnum

from kpi.errors import CountError

MAX_COUNT = 10**9  # more than any plausible count of dossiers, procedures or payments


class CountProblem(StrEnum):
    EMPTY = "empty"
    NO_NUMBER = "no_number"
    NEGATIVE = "negative"
    PERCENT = "percent"
    DECIMAL = "decimal"
    MALFORMED = "malformed"
    TOO_LARGE = "too_large"
    SEVERAL = "several"


_NUMBER = re.compile(r"[+-]?\d[\d.,\u00a0\u202f ]*")
_GROUPED = re.compile(r"^\d{1,3}(?:[.\u00a0\u202f ]\d{3})+$")
_WORDS_OK = re.compile(r"^[^\W\d_]*(?:\s+[^\W\d_]+)*$")


def parse_count(text: str) -> int:
    """A whole, non-negative count from text such as "1.020", "1 020" or "1020 hồ sơ".

    Raises CountError whose `reason` is a CountProblem value; never guesses.
    """
    if text.isascii() and text.isdigit():  # plain digits (most of a file's cells): at once
        value = int(text)
        if value > MAX_COUNT:
            raise CountError(CountProblem.TOO_LARGE, text)
        return value
    return _parse_count_text(text)


def _parse_count_text(text: str) -> int:
    """`parse_count` of any text."""
    stripped = text.strip()
    if not stripped:
        raise CountError(CountProblem.EMPTY, text)
    if "%" in stripped:
        raise CountError(CountProblem.PERCENT, text)
    matches = list(_NUMBER.finditer(stripped))
    if not matches:
        raise CountError(CountProblem.NO_NUMBER, text)
    if len(matches) > 1:
        raise CountError(CountProblem.SEVERAL, text)
    match = matches[0]
    number = match.group(0).strip()
    before, after = stripped[: match.start()], stripped[match.start() + len(match.group(0)) :]
    if number.startswith("-") or before.rstrip().endswith(("-", "\u2212", "\u2013")):
        raise CountError(CountProblem.NEGATIVE, text)
    number = number.lstrip("+")
    if before.strip() or not _WORDS_OK.match(after.strip()):
        # "abc 12", "12abc", "12%": text around the number that is not a unit word
        raise CountError(CountProblem.MALFORMED, text)
    if "," in number:
        # Vietnamese uses the comma for decimals: "1,020" is 1.02, not a count.
        raise CountError(CountProblem.DECIMAL, text)
    if re.fullmatch(r"\d+", number):
        digits = number
    elif _GROUPED.match(number):
        digits = re.sub(r"\D", "", number)
    elif re.fullmatch(r"\d+\.\d+", number):
        raise CountError(CountProblem.DECIMAL, text)
    else:
        raise CountError(CountProblem.MALFORMED, text)
    value = int(digits)
    if value > MAX_COUNT:
        raise CountError(CountProblem.TOO_LARGE, text)
    return value


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

"""Handing a unit's targets down to its sections and officials (Article 2.1 of the decision).

A unit's count target ("900 hồ sơ trực tuyến" this quarter) is split into whole shares that add
up to it exactly: evenly, by last year's share, or as typed. Rounding uses the largest
remainder: each holder gets the floor of their exact share, and the dossiers left over go one
each to the largest remainders (the earlier holder first on a tie), so no dossier is lost or
made up. Rate targets are handed down as they are, or raised, never lowered.

Holders are named by a key: "s:<section id>" for a section, "p:<telegram id>" for an official.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from kpi.errors import DomainError


class SplitMethod(StrEnum):
    EVEN = "even"
    LAST_YEAR = "last_year"  # in proportion to what each holder did last year
    TYPED = "typed"  # the head types each share


class ShareError(DomainError):
    """A split or a handed-down target that does not hold; `code` is stable for translation."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def split_count(total: int, weights: Sequence[int]) -> list[int]:
    """`total` in whole shares proportional to `weights`, adding up to `total` exactly.

    Largest remainder: floors first, then one more to each of the largest remainders (earlier
    holders first on a tie). All weights zero (nobody did anything last year): an even split.
    """
    if total < 0:
        raise ShareError("negative", f"a target cannot be negative, got {total}")
    if not weights:
        raise ShareError("nobody", "there is nobody to split the target over")
    if any(w < 0 for w in weights):
        raise ShareError("negative", "a weight cannot be negative")
    whole = sum(weights)
    if whole == 0:
        weights, whole = [1] * len(weights), len(weights)
    exact = [Fraction(total * w, whole) for w in weights]
    shares = [int(x) for x in exact]  # floors: every exact share is non-negative
    left = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[:left]:
        shares[i] += 1
    return shares


def split_even(total: int, holders: int) -> list[int]:
    """`total` over `holders` as evenly as whole numbers allow (the first get one more)."""
    return split_count(total, [1] * holders)


def check_typed(total: int, typed: Sequence[int]) -> list[int]:
    """Shares typed by the head: they must add up to the unit's target exactly."""
    if any(v < 0 for v in typed):
        raise ShareError("negative", "a share cannot be negative")
    if sum(typed) != total:
        raise ShareError(
            "sum",
            f"the shares add up to {sum(typed)}, not to the unit's target {total}",
        )
    return list(typed)


def check_rate(unit_target: Decimal, share_target: Decimal) -> Decimal:
    """A rate target handed down as it is or raised (never lowered, never above 100 %)."""
    if share_target < unit_target:
        raise ShareError(
            "lowered",
            f"a rate target is handed down as it is or raised: {share_target} < {unit_target}",
        )
    if share_target > 100:
        raise ShareError("above_100", f"a rate target is at most 100 %, got {share_target}")
    return share_target


@dataclass(frozen=True, slots=True)
class Section:
    """A section (phòng, bộ phận, tổ) of a unit: below the catalogue's tree, never in it."""

    id: int
    unit: str  # the unit's code
    name: str
    active: bool = True
    elements: tuple[str, ...] = ()  # the elements it reports; the unit's own is their sum
    members: tuple[int, ...] = ()  # Telegram ids of its people

    @property
    def key(self) -> str:
        return section_key(self.id)


class TargetKind(StrEnum):
    COUNT = "count"  # a number of dossiers for the period
    RATE = "rate"  # basis points of an indicator line (9900 is 99 %)


@dataclass(frozen=True, slots=True)
class ShareTarget:
    """A target handed down to a holder: a count of an element for a period, or a rate of an
    indicator line (its code in `element`) for the year."""

    unit: str
    holder: str
    element: str
    period_key: str
    kind: TargetKind
    value: int


class ShareState(StrEnum):
    NO_DATA = "no_data"
    BELOW = "below_target"
    MET = "met"


@dataclass(frozen=True, slots=True)
class ShareLine:
    """One holder's share of one element for one period, and how far it has got."""

    holder: str  # "s:<id>" or "p:<telegram id>"
    name: str
    element: str
    target: int
    value: int | None  # None: nothing reported yet
    period_key: str = ""

    @property
    def state(self) -> ShareState:
        if self.value is None:
            return ShareState.NO_DATA
        return ShareState.MET if self.value >= self.target else ShareState.BELOW

    @property
    def progress(self) -> Fraction:
        """Value over target (1 when the target is 0)."""
        if self.target == 0:
            return Fraction(1)
        return Fraction(self.value or 0, self.target)

    @property
    def missing(self) -> int:
        """How many more would meet the share."""
        return max(0, self.target - (self.value or 0))


def worst_first(lines: Sequence[ShareLine]) -> list[ShareLine]:
    """Shares below target first, the furthest behind first; then the met ones."""
    rank = {ShareState.NO_DATA: 0, ShareState.BELOW: 0, ShareState.MET: 1}
    return sorted(lines, key=lambda s: (rank[s.state], s.progress, -s.missing, s.name))


def section_key(section_id: int) -> str:
    return f"s:{section_id}"


def person_key(telegram_id: int) -> str:
    return f"p:{telegram_id}"


def parse_holder(key: str) -> tuple[str, int]:
    """("s", id) or ("p", telegram id) from a holder key; ValueError otherwise."""
    kind, _, number = key.partition(":")
    if kind not in ("s", "p") or not number.lstrip("-").isdigit():
        raise ValueError(f"not a holder key: {key!r}")
    return kind, int(number)


__all__ = [
    "Section",
    "ShareError",
    "ShareLine",
    "ShareState",
    "ShareTarget",
    "SplitMethod",
    "TargetKind",
    "check_rate",
    "check_typed",
    "parse_holder",
    "person_key",
    "section_key",
    "split_count",
    "split_even",
    "worst_first",
]

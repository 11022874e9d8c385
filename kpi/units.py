"""The tree of units: the province, its departments, districts and communes."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from kpi.errors import AmbiguousUnitError, UnknownUnitError
from kpi.text import LocalText


class Level(StrEnum):
    """Administrative level of a unit, from the top down."""

    PROVINCE = "province"
    DEPARTMENT = "department"
    DISTRICT = "district"
    COMMUNE = "commune"


@dataclass(frozen=True, slots=True)
class Unit:
    """One reporting unit."""

    code: str
    level: Level
    name: LocalText
    parent: str | None = None
    confirmed: bool = True


# Type words that people leave out when they name a unit ("Đăk Long" for "Xã Đăk Long").
_TYPE_WORDS = (
    "thanh pho",
    "thi tran",
    "thi xa",
    "phuong",
    "huyen",
    "tinh",
    "xa",
    "city",
    "district",
    "ward",
    "town",
    "commune",
    "province",
)
# Spellings that sources mix: Đăk/Đắk/Dak, Ngọc/Ngọk, Kon Tum/Kontum.
_VARIANTS = (("ngok", "ngoc"), ("kontum", "kon tum"))


def fold_name(text: str) -> str:
    """A unit name reduced for matching: no case, no diacritics, variants unified."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    cleaned = "".join(c if c.isalnum() else " " for c in stripped.casefold())
    words = " ".join(cleaned.split())
    for variant, canonical in _VARIANTS:
        words = " ".join(canonical if w == variant else w for w in words.split(" "))
    return words


def _without_type_word(folded: str) -> str:
    for word in _TYPE_WORDS:
        if folded.startswith(word + " "):
            return folded[len(word) + 1 :]
        if folded.endswith(" " + word):
            return folded[: -len(word) - 1]
    return folded


@dataclass(slots=True)
class UnitTree:
    """The units of a catalogue, with their parent/child links, in pre-order."""

    units: tuple[Unit, ...]
    _by_code: dict[str, Unit] = field(init=False, repr=False)
    _children: dict[str, list[str]] = field(init=False, repr=False)
    _order: dict[str, int] = field(init=False, repr=False)
    _end: dict[str, int] = field(init=False, repr=False)
    _names: dict[str, list[str]] = field(init=False, repr=False)
    _ancestors: dict[str, tuple[Unit, ...]] = field(init=False, repr=False)
    _levels: dict[str, tuple[Level, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:  # noqa: PLR0912 - one pass that checks and indexes the tree
        self._by_code = {}
        self._children = {}
        for unit in self.units:
            if unit.code in self._by_code:
                raise ValueError(f"duplicate unit code {unit.code!r}")
            self._by_code[unit.code] = unit
            self._children.setdefault(unit.code, [])
        roots = [u for u in self.units if u.parent is None]
        if len(roots) != 1:
            raise ValueError(f"a unit tree has exactly one root, found {len(roots)}")
        for unit in self.units:
            if unit.parent is not None:
                if unit.parent not in self._by_code:
                    raise ValueError(f"unit {unit.code!r} has an unknown parent {unit.parent!r}")
                self._children[unit.parent].append(unit.code)
        self._order = {}
        self._end = {}
        ordered: list[Unit] = []
        stack: list[tuple[str, bool]] = [(roots[0].code, False)]
        while stack:
            code, closing = stack.pop()
            if closing:
                self._end[code] = len(ordered)
                continue
            self._order[code] = len(ordered)
            ordered.append(self._by_code[code])
            stack.append((code, True))
            stack.extend((child, False) for child in reversed(self._children[code]))
        if len(ordered) != len(self.units):
            raise ValueError("the unit tree has a cycle")
        self.units = tuple(ordered)
        self._ancestors = {}
        for unit in self.units:  # pre-order: a parent's chain is known before its children's
            parent = unit.parent
            self._ancestors[unit.code] = (
                () if parent is None else (self._by_code[parent], *self._ancestors[parent])
            )
        present: dict[str, set[Level]] = {u.code: {u.level} for u in self.units}
        for unit in reversed(self.units):
            if unit.parent is not None:
                present[unit.parent] |= present[unit.code]
        self._levels = {
            code: tuple(level for level in Level if level in found)
            for code, found in present.items()
        }
        self._names = {}
        for unit in self.units:
            for key in {fold_name(unit.name.vi), fold_name(unit.name.en)}:
                for variant in {key, _without_type_word(key)}:
                    self._names.setdefault(variant, []).append(unit.code)

    @property
    def root(self) -> Unit:
        return self.units[0]

    def __len__(self) -> int:
        return len(self.units)

    def __iter__(self) -> Iterator[Unit]:
        return iter(self.units)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str) -> Unit:
        try:
            return self._by_code[code]
        except KeyError:
            raise UnknownUnitError(code) from None

    def children(self, code: str) -> list[Unit]:
        return [self._by_code[c] for c in self._children[self.get(code).code]]

    def ancestors(self, code: str) -> list[Unit]:
        """The unit's ancestors, nearest first."""
        try:
            return list(self._ancestors[code])
        except KeyError:
            raise UnknownUnitError(code) from None

    def subtree(self, code: str) -> tuple[Unit, ...]:
        """The unit and everything under it, in pre-order."""
        start = self._order[self.get(code).code]
        return self.units[start : self._end[code]]

    def interval(self, code: str) -> tuple[int, int]:
        """Pre-order position of the unit and the end (exclusive) of its subtree."""
        return self._order[self.get(code).code], self._end[code]

    def is_within(self, code: str, ancestor: str) -> bool:
        """Whether `code` is `ancestor` or lies under it."""
        start, end = self.interval(ancestor)
        return start <= self._order[self.get(code).code] < end

    def levels_in_subtree(self, code: str) -> list[Level]:
        try:
            return list(self._levels[code])
        except KeyError:
            raise UnknownUnitError(code) from None

    def find(self, text: str) -> Unit:
        """The unit named or coded `text`; ambiguity and absence are errors with candidates."""
        stripped = text.strip()
        if stripped in self._by_code:
            return self._by_code[stripped]
        folded = fold_name(stripped)
        candidates = self._names.get(folded) or self._names.get(_without_type_word(folded), [])
        unique = list(dict.fromkeys(candidates))
        if len(unique) == 1:
            return self._by_code[unique[0]]
        if len(unique) > 1:
            raise AmbiguousUnitError(text, [self._by_code[c] for c in unique])
        raise UnknownUnitError(text)

    def describe(self, code: str, language: str = "vi") -> str:
        """The unit's name with its parent's, enough to tell two namesakes apart."""
        unit = self.get(code)
        if unit.parent is None or unit.level is not Level.COMMUNE:
            return unit.name.get(language)
        return f"{unit.name.get(language)} ({self._by_code[unit.parent].name.get(language)})"


def build_tree(units: Iterable[Unit]) -> UnitTree:
    return UnitTree(tuple(units))


def levels_below(level: Level) -> Mapping[Level, tuple[Level, ...]]:
    """Which levels a unit of each level may contain (for checking a catalogue)."""
    allowed = {
        Level.PROVINCE: (Level.DEPARTMENT, Level.DISTRICT),
        Level.DEPARTMENT: (),
        Level.DISTRICT: (Level.COMMUNE,),
        Level.COMMUNE: (),
    }
    return {level: allowed[level]}

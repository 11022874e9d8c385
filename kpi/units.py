"""The tree of units, and the levels a catalogue declares for them (kpi.units.Levels)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from kpi.errors import AmbiguousUnitError, UnknownUnitError
from kpi.text import LocalText

# A level's code, as its catalogue declares it (`levels[].code`): the levels are data, not code.
Level = str


@dataclass(frozen=True, slots=True)
class LevelInfo:
    """One level a catalogue declares: its names, its units' types and where it sits."""

    code: Level
    name: LocalText  # the level as a phrase: "cấp xã" / "commune level"
    units: LocalText  # its units as an audience: "Các xã, phường" / "Commune-level units"
    unit: LocalText  # one unit's kind, a column in the workbook: "Xã" / "Commune"
    types: tuple[LocalText, ...] = ()  # the type words of its units' names: xã, phường, đặc khu
    under: tuple[Level, ...] = ()  # the levels a unit of this level may sit under; () at the top
    key: str = ""  # a short key for buttons (callback data); the position when empty
    escalates: bool = False  # after the deadline, its late units are named to their parent


@dataclass(frozen=True, slots=True)
class Levels:
    """The levels of a catalogue, from the top down."""

    items: tuple[LevelInfo, ...]

    def __post_init__(self) -> None:
        codes = [level.code for level in self.items]
        if len(set(codes)) != len(codes):
            raise ValueError(f"a level code is declared twice: {codes}")
        keys = [self.key(level.code) for level in self.items]
        if len(set(keys)) != len(keys):
            raise ValueError(f"two levels have the same key: {keys}")

    @classmethod
    def plain(cls, codes: Iterable[Level]) -> Levels:
        """Levels known only by their codes, each under the one before (for hand-made trees)."""
        items: list[LevelInfo] = []
        for code in codes:
            name = LocalText.same(code)
            under = (items[-1].code,) if items else ()
            items.append(LevelInfo(code, name, name, name, (), under))
        return cls(tuple(items))

    def __iter__(self) -> Iterator[LevelInfo]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, code: object) -> bool:
        return any(level.code == code for level in self.items)

    @property
    def codes(self) -> tuple[Level, ...]:
        return tuple(level.code for level in self.items)

    @property
    def top(self) -> LevelInfo:
        return self.items[0]

    def get(self, code: Level) -> LevelInfo:
        for level in self.items:
            if level.code == code:
                return level
        raise KeyError(code)

    def index(self, code: Level) -> int:
        return self.codes.index(code)

    def key(self, code: Level) -> str:
        """The level's short key in button data."""
        level = self.get(code)
        return level.key or str(self.index(code))

    def by_key(self, key: str) -> Level | None:
        return next((lvl.code for lvl in self.items if self.key(lvl.code) == key), None)

    def may_be_under(self, child: Level, parent: Level) -> bool:
        return child in self and parent in self.get(child).under

    def type_words(self) -> tuple[str, ...]:
        """The type words of every level's units, folded, longest first ("thi tran", "xa")."""
        words = {fold_name(w) for lvl in self.items for t in lvl.types for w in (t.vi, t.en)}
        return tuple(sorted((w for w in words if w), key=lambda w: (-len(w), w)))


# Level names of every catalogue read, by code: messages that only know a line's level code name
# it from here (a code means the same level in all of a province's catalogues).
_KNOWN_LEVELS: dict[Level, LevelInfo] = {}


def register_levels(levels: Levels) -> None:
    for level in levels:
        _KNOWN_LEVELS[level.code] = level


def known_level(code: Level) -> LevelInfo | None:
    return _KNOWN_LEVELS.get(code)


def level_key(code: Level) -> str:
    """The level's short key in button data (its code when no catalogue declared it)."""
    level = _KNOWN_LEVELS.get(code)
    return level.key if level is not None and level.key else code


def level_of_key(key: str) -> Level | None:
    """The level whose key is `key`, among the catalogues read."""
    return next((lvl.code for lvl in _KNOWN_LEVELS.values() if lvl.key == key), None)


@dataclass(frozen=True, slots=True)
class Succession:
    """Unit `unit` succeeds the units `predecessors` (merged into it) from `since`: their figures
    stay theirs, and count in its totals and its ancestors'."""

    unit: str
    since: date
    predecessors: tuple[tuple[str, LocalText], ...]  # (code, name) of units no longer in the tree

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.predecessors)


@dataclass(frozen=True, slots=True)
class Unit:
    """One reporting unit."""

    code: str
    level: Level
    name: LocalText
    parent: str | None = None
    confirmed: bool = True


# Type words that people leave out when they name a unit ("Đăk Long" for "Xã Đăk Long"); a
# catalogue's levels add their units' types (LevelInfo.types).
_TYPE_WORDS = (
    "thanh pho",
    "thi tran",
    "thi xa",
    "phuong",
    "huyen",
    "tinh",
    "xa",
    "city",
    "ward",
    "town",
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


def _without_type_word(folded: str, words: tuple[str, ...] = _TYPE_WORDS) -> str:
    for word in words:
        if folded.startswith(word + " "):
            return folded[len(word) + 1 :]
        if folded.endswith(" " + word):
            return folded[: -len(word) - 1]
    return folded


@dataclass(slots=True)
class UnitTree:
    """The units of a catalogue, with their parent/child links, in pre-order."""

    units: tuple[Unit, ...]
    # The catalogue's levels; without them, the levels found, by depth then first appearance.
    levels: Levels | None = None
    _by_code: dict[str, Unit] = field(init=False, repr=False)
    _children: dict[str, list[str]] = field(init=False, repr=False)
    _order: dict[str, int] = field(init=False, repr=False)
    _end: dict[str, int] = field(init=False, repr=False)
    _names: dict[str, list[str]] = field(init=False, repr=False)
    _ancestors: dict[str, tuple[Unit, ...]] = field(init=False, repr=False)
    _levels: dict[str, tuple[Level, ...]] = field(init=False, repr=False)
    _type_words: tuple[str, ...] = field(init=False, repr=False)

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
        if self.levels is None:
            depth = {u.code: len(self._ancestors[u.code]) for u in self.units}
            first: dict[Level, tuple[int, int]] = {}
            for i, unit in enumerate(self.units):
                first.setdefault(unit.level, (depth[unit.code], i))
            self.levels = Levels.plain(sorted(first, key=first.__getitem__))
        order = self.levels.codes
        for unit in self.units:
            if unit.level not in order:
                raise ValueError(f"unit {unit.code!r} has an undeclared level {unit.level!r}")
        present: dict[str, set[Level]] = {u.code: {u.level} for u in self.units}
        for unit in reversed(self.units):
            if unit.parent is not None:
                present[unit.parent] |= present[unit.code]
        self._levels = {
            code: tuple(level for level in order if level in found)
            for code, found in present.items()
        }
        self._type_words = tuple(dict.fromkeys((*self.levels.type_words(), *_TYPE_WORDS)))
        self._names = {}
        for unit in self.units:
            for key in {fold_name(unit.name.vi), fold_name(unit.name.en)}:
                for variant in {key, _without_type_word(key, self._type_words)}:
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

    @property
    def level_order(self) -> tuple[Level, ...]:
        """The levels from the top down."""
        assert self.levels is not None  # set in __post_init__
        return self.levels.codes

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
        candidates = self._names.get(folded) or self._names.get(
            _without_type_word(folded, self._type_words), []
        )
        unique = list(dict.fromkeys(candidates))
        if len(unique) == 1:
            return self._by_code[unique[0]]
        if len(unique) > 1:
            raise AmbiguousUnitError(text, [self._by_code[c] for c in unique])
        raise UnknownUnitError(text)

    def describe(self, code: str, language: str = "vi") -> str:
        """The unit's name with its parent's, enough to tell two namesakes apart (the parent is
        named when it is not the root)."""
        unit = self.get(code)
        if unit.parent is None or unit.parent == self.units[0].code:
            return unit.name.get(language)
        return f"{unit.name.get(language)} ({self._by_code[unit.parent].name.get(language)})"


def build_tree(units: Iterable[Unit]) -> UnitTree:
    return UnitTree(tuple(units))

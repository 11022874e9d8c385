"""Figures written as one would to a colleague, matched to data elements.

"Tháng 11: tiếp nhận 1.200, trực tuyến 300, giải quyết 1.150 (trước hạn 600, đúng hạn 500,
trễ 50)" reads as a period (before the colon) and six labelled numbers. A label is matched to the
elements asked through their names and aliases (any language, with or without diacritics, with
the usual abbreviations HS, TTHC, DVC, TT). Of several matching elements, the closest wording
wins; a remaining tie is settled by context (a label in parentheses, or right after another
figure, means a part of that figure: "tiếp nhận 1.200, trực tuyến 300" is the received dossiers
and the online part of them) and otherwise left for the person to choose. Nothing is guessed:
what cannot be placed is returned as such, and numbers go through the one count parser.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from kpi.elements import DataElement, ElementKind
from kpi.errors import CountError, PeriodError
from kpi.period_words import read_period
from kpi.periods import Period

# Multi-word phrases reduced to one token, so that an abbreviation and its spelled-out form
# compare equal; "tt" typed alone stands for either "trực tuyến" or "thanh toán".
_PHRASES = (
    ("thu tuc hanh chinh", "tthc"),
    ("dich vu cong truc tuyen", "dvc tt_online"),
    ("dich vu cong", "dvc"),
    ("dvctt", "dvc tt_online"),
    ("ho so", "hs"),
    ("truc tuyen", "tt_online"),
    ("thanh toan", "tt_pay"),
    ("quoc gia", "qg"),
    ("cong dich vu cong qg", "cong qg"),
)
_WILDCARDS = {"tt": frozenset({"tt_online", "tt_pay"})}
_STOPWORDS = frozenset(
    {"so", "hs", "da", "duoc", "trong", "do", "cac", "cua", "la", "va", "co", "luong", "tong"}
    | {"the", "of", "number", "total", "and", "a", "dossiers", "dossier"}
)
_VALUE = re.compile(
    r"(?<![\w.,])[+-]?\d(?:[\d.,\u00a0\u202f]|\s(?=\d))*[^\W_]*"
    r"(?:\s*(?:nghìn|nghin|ngàn|ngan|ngìn|triệu|trieu|tỷ|tỉ|ty|ti)\b)?",
    re.IGNORECASE,
)
_FLAG_VALUE = re.compile(r"(?:^|[\s:=])(có|co|không|khong|chưa|chua|yes|no)\s*$", re.IGNORECASE)
_SPLIT = re.compile(r"[;\n]|,(?!\d)")
_MAX_PERIOD_PREFIX = 40


@dataclass(frozen=True, slots=True)
class ElementWords:
    """What an element may be called: its names and aliases, and the whole it is part of."""

    code: str
    phrases: tuple[str, ...]
    part_of: str | None = None
    is_flag: bool = False


@dataclass(frozen=True, slots=True)
class Ambiguity:
    fragment: str
    value: int
    candidates: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Reading:
    """What a message says: the period (if it names one), the figures placed, and the rest."""

    period: Period | None
    values: dict[str, int] = field(default_factory=dict)
    fragments: dict[str, str] = field(default_factory=dict)
    ambiguous: tuple[Ambiguity, ...] = ()
    unplaced: tuple[str, ...] = ()
    problems: tuple[tuple[str, CountError], ...] = ()

    @property
    def understood_anything(self) -> bool:
        return bool(self.values or self.ambiguous)


@dataclass(frozen=True, slots=True)
class _Segment:
    text: str
    parent: int | None  # index of the segment whose parentheses hold this one


def read_figures(
    text: str,
    elements: Iterable[ElementWords],
    parse_count: Callable[[str], int],
    parse_flag: Callable[[str], int],
    current_year: int,
    current_month: Period | None = None,
) -> Reading:
    """Read `text` against `elements` (those asked of the unit)."""
    words = _Vocabulary(elements)
    period, body = _period_prefix(text, current_year, current_month)
    segments = _segments(body)
    matched: list[str | None] = [None] * len(segments)
    values: dict[str, int] = {}
    fragments: dict[str, str] = {}
    ambiguous: list[Ambiguity] = []
    unplaced: list[str] = []
    problems: list[tuple[str, CountError]] = []
    previous: str | None = None
    for index, segment in enumerate(segments):
        label, value_text = _split_label(segment.text)
        if value_text is None or not _tokens(label):
            if segment.text.strip():
                unplaced.append(segment.text.strip())
            continue
        context = matched[segment.parent] if segment.parent is not None else previous
        candidates = words.match(label, context)
        if not candidates:
            unplaced.append(segment.text.strip())
            continue
        flag = all(words.is_flag(code) for code in candidates)
        try:
            value = parse_flag(value_text) if flag else parse_count(value_text)
        except CountError as error:
            problems.append((segment.text.strip(), error))
            continue
        if len(candidates) > 1:
            ambiguous.append(Ambiguity(segment.text.strip(), value, candidates))
            continue
        code = candidates[0]
        if code in values and values[code] != value:
            ambiguous.append(Ambiguity(segment.text.strip(), value, (code,)))
            continue
        values[code] = value
        fragments[code] = segment.text.strip()
        matched[index] = code
        if segment.parent is None:
            previous = code
    return Reading(
        period=period,
        values=values,
        fragments=fragments,
        ambiguous=tuple(ambiguous),
        unplaced=tuple(unplaced),
        problems=tuple(problems),
    )


def fold(text: str) -> str:
    """Lowercase, no diacritics, only letters, digits and single spaces."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in stripped).split())


def _tokens(text: str) -> tuple[str, ...]:
    folded = f" {fold(text)} "
    for phrase, token in _PHRASES:
        folded = folded.replace(f" {phrase} ", f" {token} ")
    return tuple(t for t in folded.split() if t not in _STOPWORDS and not t.isdigit())


def _same(typed: str, known: str) -> bool:
    return typed == known or known in _WILDCARDS.get(typed, frozenset())


class _Vocabulary:
    def __init__(self, elements: Iterable[ElementWords]) -> None:
        self._elements = {e.code: e for e in elements}
        self._phrases: list[tuple[str, tuple[str, ...]]] = []
        for element in self._elements.values():
            for phrase in (*element.phrases, element.code.replace("_", " ")):
                tokens = _tokens(phrase)
                if tokens:
                    self._phrases.append((element.code, tokens))

    def is_flag(self, code: str) -> bool:
        return self._elements[code].is_flag

    def part_of(self, code: str) -> str | None:
        return self._elements[code].part_of if code in self._elements else None

    def match(self, label: str, context: str | None) -> tuple[str, ...]:
        """The elements `label` may name, after wording, context and the whole-over-part rule.

        The typed words equal to a phrase beat a phrase found whole among them (the longest
        such phrase first), which beats typed words found within a longer phrase.
        """
        typed = _tokens(label)
        best: dict[str, tuple[int, int]] = {}
        for code, known in self._phrases:
            rank = _rank(typed, known)
            if rank is not None and rank > best.get(code, (-1, 0)):
                best[code] = rank
        if not best:
            return ()
        top = max(best.values())
        codes = tuple(sorted(code for code, rank in best.items() if rank == top))
        if len(codes) > 1:
            codes = self._in_context(codes, context)
        if len(codes) > 1:
            whole = [c for c in codes if all(c == o or self._within(o, c) for o in codes)]
            if whole:
                codes = (whole[0],)
        return codes

    def _in_context(self, codes: tuple[str, ...], context: str | None) -> tuple[str, ...]:
        """Right after a figure (or inside its parentheses), a label names a part of it."""
        seen: set[str] = set()
        while context is not None and context not in seen:
            within = tuple(code for code in codes if self._within(code, context))
            if within:
                return within
            seen.add(context)
            context = self.part_of(context)
        return codes

    def _within(self, code: str, whole: str) -> bool:
        seen: set[str] = set()
        part = self.part_of(code)
        while part is not None and part not in seen:
            if part == whole:
                return True
            seen.add(part)
            part = self.part_of(part)
        return False


_EXACT, _CONTAINS, _PARTIAL = 2, 1, 0


def _rank(typed: tuple[str, ...], known: tuple[str, ...]) -> tuple[int, int] | None:
    """How well typed words fit a known phrase, or None when neither holds the other."""
    if not typed:
        return None
    typed_in_known = all(any(_same(t, k) for k in known) for t in typed)
    known_in_typed = all(any(_same(t, k) for t in typed) for k in known)
    if typed_in_known and known_in_typed:
        return (_EXACT, len(known))
    if known_in_typed:
        return (_CONTAINS, len(known))
    if typed_in_known:
        return (_PARTIAL, 0)
    return None


def _period_prefix(
    text: str, current_year: int, current_month: Period | None
) -> tuple[Period | None, str]:
    head, colon, rest = text.partition(":")
    if colon and len(head) <= _MAX_PERIOD_PREFIX:
        try:
            return read_period(head, current_year, current_month), rest
        except PeriodError:
            pass
    return None, text


def _segments(text: str) -> list[_Segment]:
    """Split on commas, semicolons and lines; a parenthesis belongs to the segment before it."""
    segments: list[_Segment] = []
    depth_parent: list[int | None] = [None]
    buffer: list[str] = []

    def flush() -> None:
        piece = "".join(buffer).strip(" .:-–\t")
        buffer.clear()
        if piece:
            segments.append(_Segment(piece, depth_parent[-1]))

    position = 0
    while position < len(text):
        char = text[position]
        if char == "(":
            flush()
            depth_parent.append(len(segments) - 1 if segments else None)
        elif char == ")":
            flush()
            if len(depth_parent) > 1:
                depth_parent.pop()
        elif _SPLIT.match(text, position):
            flush()
        else:
            buffer.append(char)
        position += 1
    flush()
    return segments


def _split_label(text: str) -> tuple[str, str | None]:
    """The label and the value text of "tiếp nhận 1.200", "1.200 hồ sơ tiếp nhận" or "có"."""
    flag = _FLAG_VALUE.search(text)
    values = list(_VALUE.finditer(text))
    if not values:
        if flag is not None:
            return text[: flag.start()].strip(" :=-"), flag.group(1)
        return text, None
    # A single digit may belong to the label ("mức 3"); a larger number is the value, and two
    # larger numbers are handed together to the count parser, which refuses them.
    large = [m for m in values if len(re.sub(r"\D", "", m.group(0))) > 1]
    if len(large) > 1:
        start, end = large[0].start(), large[-1].end()
    else:
        chosen = large[0] if large else values[-1]
        start, end = chosen.start(), chosen.end()
    label = (text[:start] + " " + text[end:]).strip(" :=-")
    return label, text[start:end].strip(" .")


def element_words(elements: Iterable[DataElement]) -> tuple[ElementWords, ...]:
    """The words for the catalogue's elements: names, short names and aliases, both languages."""
    return tuple(
        ElementWords(
            code=element.code,
            phrases=(
                element.name.vi,
                element.name.en,
                element.short.vi,
                element.short.en,
                *element.aliases,
            ),
            part_of=element.part_of,
            is_flag=element.kind is ElementKind.FLAG,
        )
        for element in elements
    )

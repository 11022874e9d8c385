"""Reading a catalogue file (YAML): checked against a schema, turned into kpi objects.

A mistake is reported with the file, the key and what was expected, e.g.
`catalogs/x.yaml: indicators[3].target.percent: expected a number, got 'abc'`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kpi.catalogue import (
    Catalogue,
    Group,
    ReminderSettings,
    ReportingCalendar,
    Section,
    Settings,
)
from kpi.elements import DataElement, ElementKind, TotalRule
from kpi.indicators import (
    Baseline,
    Binding,
    IncreaseReading,
    Indicator,
    IndicatorKind,
    NeededMode,
    Target,
    Variant,
)
from kpi.rules import Comparison, ValidationRule
from kpi.scope import UnitProperty
from kpi.text import LocalText
from kpi.units import Level, LevelInfo, Levels, Succession, Unit, UnitTree, register_levels

DEFAULT_CATALOGUE = Path(__file__).resolve().parent.parent / "catalogs" / "kontum-2022.yaml"
SCHEMA = "chitieu-catalogue/1"

Percent = Annotated[Decimal, Field(ge=0, le=100)]
Code = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TextModel(_Strict):
    vi: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]

    def domain(self) -> LocalText:
        return LocalText(vi=self.vi.strip(), en=self.en.strip())


class DecisionModel(_Strict):
    number: str
    date: str
    signed_by: str
    issuer: TextModel


class SettingsModel(_Strict):
    increase_reading: IncreaseReading = IncreaseReading.POINTS
    alert_repeat_days: Annotated[int, Field(ge=1, le=90)] = 7


class RemindersModel(_Strict):
    days_before: list[Annotated[int, Field(ge=1, le=60)]] = [7, 3, 1]
    on_day_at: time = time(8, 0)
    days_after: list[Annotated[int, Field(ge=1, le=60)]] = [1, 3]
    quiet_start: time = time(21, 0)
    quiet_end: time = time(7, 0)


Day = Annotated[int, Field(ge=1, le=31)]


class DeadlineModel(_Strict):
    day: Day
    source: Annotated[str, Field(min_length=1)] | None = None


class CalendarModel(_Strict):
    cutoff_day: Day = 14
    cutoff_source: Annotated[str, Field(min_length=1)] | None = None
    reports: list[Literal["Q1", "H1", "9M", "Y"]]
    deadlines: dict[Level, Day | DeadlineModel]
    reminders: RemindersModel = RemindersModel()

    def days(self) -> dict[Level, int]:
        return {k: v if isinstance(v, int) else v.day for k, v in self.deadlines.items()}

    def sources(self) -> dict[Level, str]:
        return {
            k: v.source
            for k, v in self.deadlines.items()
            if isinstance(v, DeadlineModel) and v.source
        }


class LevelModel(_Strict):
    """One level of the catalogue's units, declared from the top down."""

    code: Code
    name: TextModel  # the level as a phrase ("cấp xã" / "commune level")
    units: TextModel  # its units as an audience ("Các xã, phường, đặc khu")
    unit: TextModel  # one unit's kind, a workbook column ("Xã" / "Commune")
    types: list[TextModel] = []  # its units' type words (xã, phường, đặc khu)
    under: list[Code] = []  # the levels its units may sit under; none for the top level
    key: Annotated[str, Field(pattern=r"^[a-z0-9]{1,3}$")] | None = None  # in button data
    escalates: bool = False  # after the deadline, its late units are named to their parent

    def domain(self, position: int) -> LevelInfo:
        return LevelInfo(
            self.code,
            self.name.domain(),
            self.units.domain(),
            self.unit.domain(),
            tuple(t.domain() for t in self.types),
            tuple(self.under),
            self.key or str(position),
            self.escalates,
        )


class SectionModel(_Strict):
    code: str
    name: TextModel


class GroupModel(_Strict):
    code: str
    section: str
    name: TextModel
    lead: TextModel
    coordinating: TextModel | None = None
    legal_basis: TextModel


class ElementModel(_Strict):
    code: Code
    kind: ElementKind
    name: TextModel
    short: TextModel
    measure: TextModel
    levels: Annotated[list[Level], Field(min_length=1)]
    rolls_up: bool | None = None
    total: TotalRule | None = None
    part_of: str | None = None
    form: Literal["procedures", "services", "dossiers", "certification", "payments"]
    # Other words people use for it, for figures written as free text ("trễ hạn", "HS nhận")
    aliases: list[Annotated[str, Field(min_length=1)]] = []

    @model_validator(mode="after")
    def _rolls_up_only_for_stocks(self) -> ElementModel:
        if self.rolls_up is not None and self.kind is not ElementKind.STOCK:
            raise ValueError("rolls_up is only for stock elements")
        if self.rolls_up is not None and self.total is not None:
            raise ValueError("give either total or rolls_up, not both")
        return self


class RuleModel(_Strict):
    code: Code
    left: Annotated[list[str], Field(min_length=1)]
    op: Comparison
    right: Annotated[list[str], Field(min_length=1)]
    message: TextModel


class TargetModel(_Strict):
    percent: Percent | None = None
    by_level: dict[Level, Percent] | None = None
    increase_over_baseline: Annotated[Decimal, Field(gt=0, le=100)] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> TargetModel:
        given = [
            k
            for k in ("percent", "by_level", "increase_over_baseline")
            if getattr(self, k) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "expected exactly one of percent, by_level, increase_over_baseline"
                f" (got {', '.join(given) or 'none'})"
            )
        return self


class BaselineModel(_Strict):
    year: int
    numerator: Annotated[int, Field(ge=0)] | None = None
    denominator: Annotated[int, Field(ge=0)] | None = None
    printed: str | None = None
    note: TextModel | None = None
    scope: TextModel | None = None

    def domain(self) -> Baseline:
        return Baseline(
            self.year,
            self.numerator,
            self.denominator,
            self.printed,
            self.note.domain() if self.note else None,
            self.scope.domain() if self.scope else None,
        )


class VariantModel(_Strict):
    level: Level
    name: TextModel
    lead: TextModel
    coordinating: TextModel | None = None
    baseline: BaselineModel | None = None


class ScopeModel(_Strict):
    """Narrows the units of an indicator's levels: to named units, or to units having every
    listed property (see unit_properties)."""

    units: list[Code] = []
    having: list[Code] = []


class UnitPropertyModel(_Strict):
    code: Code
    name: TextModel
    levels: list[Level] = []
    units: list[Code] = []


class IndicatorModel(_Strict):
    code: Annotated[str, Field(pattern=r"^[IVX]+(\.\d+)(\.[a-z])?$")]
    section: str
    group: str | None = None
    name: TextModel
    short: TextModel
    kind: IndicatorKind
    numerator: list[str] | None = None
    denominator: list[str] | None = None
    flag: str | None = None
    levels: Annotated[list[Level], Field(min_length=1)]
    scope: ScopeModel = ScopeModel()
    lines: Literal["one", "by_level"] = "one"
    binding: Binding = Binding.AGGREGATE
    needed: NeededMode
    target: TargetModel | None
    unit_targets: dict[str, Percent] = {}
    floor: Percent | None = None
    lead: TextModel
    coordinating: TextModel | None = None
    legal_basis: TextModel
    baseline: BaselineModel | None = None
    variants: list[VariantModel] = []

    @model_validator(mode="after")
    def _shape_matches_kind(self) -> IndicatorModel:
        if self.kind is IndicatorKind.RATIO:
            if not self.numerator or not self.denominator or self.flag is not None:
                raise ValueError("a ratio indicator needs numerator and denominator, and no flag")
        elif self.flag is None or self.numerator or self.denominator:
            raise ValueError("a coverage indicator needs a flag, and no numerator or denominator")
        if self.floor is not None and self.target is None:
            raise ValueError("a floor needs a target")
        return self


class PredecessorModel(_Strict):
    code: Code
    name: TextModel


class SuccessionModel(_Strict):
    """The unit succeeds these units (merged into it) from a day."""

    from_: date = Field(alias="from")
    units: Annotated[list[PredecessorModel], Field(min_length=1)]


class UnitModel(_Strict):
    code: Code
    level: Level
    name: TextModel
    confirmed: bool = True
    succeeds: SuccessionModel | None = None
    children: list[UnitModel] = []


class CatalogueModel(_Strict):
    schema_: Literal["chitieu-catalogue/1"] = Field(alias="schema")
    code: Code
    year: Annotated[int, Field(ge=2000, le=2100)]
    province: TextModel
    title: TextModel
    decision: DecisionModel
    settings: SettingsModel = SettingsModel()
    levels: Annotated[list[LevelModel], Field(min_length=1)]
    calendar: CalendarModel
    sections: list[SectionModel]
    groups: list[GroupModel] = []
    elements: Annotated[list[ElementModel], Field(min_length=1)]
    rules: list[RuleModel] = []
    indicators: Annotated[list[IndicatorModel], Field(min_length=1)]
    unit_properties: list[UnitPropertyModel] = []
    units: UnitModel


class CatalogueError(ValueError):
    """A catalogue file that cannot be loaded; the message names file, key and expectation."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


def _location(loc: tuple[int | str, ...], raw: Any) -> str:
    """`indicators[3].target` from pydantic's ('indicators', 3, 'target'), with the row's code."""
    parts: list[str] = []
    node = raw
    for item in loc:
        if isinstance(item, int):
            code = (
                node[item].get("code")
                if isinstance(node, list) and item < len(node) and isinstance(node[item], dict)
                else None
            )
            parts[-1] += f"[{item}]" + (f"({code})" if code else "")
            node = node[item] if isinstance(node, list) and item < len(node) else None
        else:
            parts.append("schema" if item == "schema" else str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts) or "(top level)"


def _error_text(error: Any, raw: Any) -> str:
    loc = tuple(
        x
        for x in error["loc"]
        if not (isinstance(x, str) and x.startswith(("function-", "tagged-")))
    )
    got = error.get("input")
    message = str(error["msg"]).removeprefix("Value error, ").removeprefix("Input should be ")
    shown = "" if isinstance(got, dict | list) or error["type"] == "missing" else f", got {got!r}"
    return (
        f"{_location(loc, raw)}: expected {message}{shown}"
        if error["type"] != "missing"
        else f"{_location(loc, raw)}: missing (required)"
    )


def parse_catalogue_text(text: str, source: str = "<catalogue>") -> Catalogue:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogueError(source, [f"not valid YAML: {exc}"]) from None
    if not isinstance(raw, dict):
        raise CatalogueError(source, ["expected a mapping at the top level"])
    try:
        model = CatalogueModel.model_validate(raw)
    except ValidationError as exc:
        raise CatalogueError(source, [_error_text(e, raw) for e in exc.errors()]) from None
    return _to_domain(model, source)


def load_catalogue(path: Path) -> tuple[Catalogue, str, str]:
    """The catalogue in `path`, with its text and the text's sha256."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError(str(path), [f"cannot be read: {exc.strerror}"]) from None
    catalogue = parse_catalogue_text(text, str(path))
    return catalogue, text, hashlib.sha256(text.encode()).hexdigest()


def _flatten(
    node: UnitModel,
    parent: str | None,
    levels: Levels,
    out: list[Unit],
    problems: list[str],
    successions: list[Succession] | None = None,
) -> None:
    out.append(Unit(node.code, node.level, node.name.domain(), parent, node.confirmed))
    if node.succeeds is not None and successions is not None:
        successions.append(
            Succession(
                node.code,
                node.succeeds.from_,
                tuple((p.code, p.name.domain()) for p in node.succeeds.units),
            )
        )
    if node.level not in levels:
        problems.append(
            f"units: {node.code} has the level {node.level!r};"
            f" expected one of the declared levels {list(levels.codes)}"
        )
    for child in node.children:
        if child.level in levels and not levels.may_be_under(child.level, node.level):
            problems.append(
                f"units: {child.code} ({child.level}) cannot be under {node.code} ({node.level});"
                f" levels.under of {child.level} is {list(levels.get(child.level).under)}"
            )
        _flatten(child, node.code, levels, out, problems, successions)


def _levels(model: CatalogueModel, problems: list[str]) -> Levels:
    """The declared levels, checked: codes once, `under` naming levels declared above."""
    declared: list[str] = []
    for i, level in enumerate(model.levels):
        where = f"levels[{i}]({level.code})"
        if level.code in declared:
            problems.append(f"{where}: the code is used twice")
        for parent in level.under:
            if parent not in declared:
                problems.append(
                    f"{where}.under: expected a level declared above it"
                    f" (among {declared}), got {parent!r}"
                )
        if i == 0 and level.under:
            problems.append(f"{where}.under: the top level sits under nothing")
        if i > 0 and not level.under:
            problems.append(f"{where}.under: expected the levels it may sit under")
        declared.append(level.code)
    try:
        return Levels(tuple(level.domain(i) for i, level in enumerate(model.levels)))
    except ValueError as exc:
        problems.append(f"levels: {exc}")
        return Levels.plain(dict.fromkeys(declared))


def _to_domain(model: CatalogueModel, source: str) -> Catalogue:  # noqa: PLR0912, PLR0915
    problems: list[str] = []
    levels = _levels(model, problems)

    def check_levels(where: str, codes: Iterable[str]) -> None:
        for code in codes:
            if code not in levels:
                problems.append(
                    f"{where}: expected a level among {list(levels.codes)}, got {code!r}"
                )

    if model.units.level != levels.top.code:
        problems.append(
            f"units: expected the root to be of the top level {levels.top.code!r},"
            f" got {model.units.level!r}"
        )
    units: list[Unit] = []
    successions: list[Succession] = []
    _flatten(model.units, None, levels, units, problems, successions)
    seen: set[str] = set()
    for unit in units:
        if unit.code in seen:
            problems.append(f"units: the code {unit.code!r} is used twice; codes must be unique")
        seen.add(unit.code)
    merged: set[str] = set()
    for succession in successions:
        for code in succession.codes:
            if code in seen or code in merged:
                problems.append(
                    f"units: {succession.unit}.succeeds: {code!r} is still a unit or already"
                    " merged into another; a unit merged away leaves the tree"
                )
            merged.add(code)

    elements: dict[str, DataElement] = {}
    for i, e in enumerate(model.elements):
        check_levels(f"elements[{i}]({e.code}).levels", e.levels)
        if e.code in elements:
            problems.append(f"elements[{i}]({e.code}): the code is used twice")
        elements[e.code] = DataElement(
            code=e.code,
            kind=e.kind,
            name=e.name.domain(),
            short=e.short.domain(),
            measure=e.measure.domain(),
            levels=frozenset(e.levels),
            rolls_up=bool(e.rolls_up) if e.kind is ElementKind.STOCK else True,
            part_of=e.part_of,
            form=e.form,
            aliases=tuple(e.aliases),
            total=e.total,
        )
    for i, e in enumerate(model.elements):
        if e.part_of is not None and e.part_of not in elements:
            problems.append(
                f"elements[{i}]({e.code}).part_of: expected an element code, got {e.part_of!r}"
            )

    def check_refs(where: str, codes: list[str]) -> None:
        for code in codes:
            if code not in elements:
                problems.append(f"{where}: expected an element code, got {code!r}")

    rules = []
    for i, r in enumerate(model.rules):
        check_refs(f"rules[{i}]({r.code}).left", r.left)
        check_refs(f"rules[{i}]({r.code}).right", r.right)
        rules.append(
            ValidationRule(r.code, tuple(r.left), r.op, tuple(r.right), r.message.domain())
        )

    sections = {s.code for s in model.sections}
    groups = {g.code for g in model.groups}
    for i, g in enumerate(model.groups):
        if g.section not in sections:
            problems.append(
                f"groups[{i}]({g.code}).section: expected one of {sorted(sections)},"
                f" got {g.section!r}"
            )
    properties: dict[str, UnitProperty] = {}
    for i, p in enumerate(model.unit_properties):
        check_levels(f"unit_properties[{i}]({p.code}).levels", p.levels)
        if p.code in properties:
            problems.append(f"unit_properties[{i}]({p.code}): the code is used twice")
        for unit_code in p.units:
            if unit_code not in seen:
                problems.append(
                    f"unit_properties[{i}]({p.code}).units: expected a unit code,"
                    f" got {unit_code!r}"
                )
        properties[p.code] = UnitProperty(
            p.code, p.name.domain(), frozenset(p.levels), frozenset(p.units)
        )
    indicators: dict[str, Indicator] = {}
    for i, m in enumerate(model.indicators):
        where = f"indicators[{i}]({m.code})"
        if m.code in indicators:
            problems.append(f"{where}: the code is used twice")
        check_levels(f"{where}.levels", m.levels)
        check_levels(f"{where}.variants", (v.level for v in m.variants))
        if m.section not in sections:
            problems.append(
                f"{where}.section: expected one of {sorted(sections)}, got {m.section!r}"
            )
        if m.group is not None and m.group not in groups:
            problems.append(f"{where}.group: expected one of {sorted(groups)}, got {m.group!r}")
        numerator, denominator = m.numerator or [], m.denominator or []
        check_refs(f"{where}.numerator", numerator)
        check_refs(f"{where}.denominator", denominator)
        if m.flag is not None:
            check_refs(f"{where}.flag", [m.flag])
            if m.flag in elements and elements[m.flag].kind is not ElementKind.FLAG:
                problems.append(
                    f"{where}.flag: expected a flag element,"
                    f" {m.flag!r} is a {elements[m.flag].kind}"
                )
        for code in numerator + denominator + ([m.flag] if m.flag else []):
            if code in elements and not set(m.levels) <= elements[code].levels:
                missing = sorted(set(m.levels) - elements[code].levels)
                problems.append(
                    f"{where}.levels: element {code!r} is not reported by {', '.join(missing)}"
                )
        for unit_code in m.scope.units:
            if unit_code not in seen:
                problems.append(f"{where}.scope.units: expected a unit code, got {unit_code!r}")
            elif next(u for u in units if u.code == unit_code).level not in m.levels:
                problems.append(
                    f"{where}.scope.units: {unit_code!r} is not of the levels {m.levels}"
                )
        for name in m.scope.having:
            if name not in properties:
                problems.append(
                    f"{where}.scope.having: expected a unit property among"
                    f" {sorted(properties)}, got {name!r}"
                )
        for unit_code in m.unit_targets:
            if unit_code not in seen:
                problems.append(f"{where}.unit_targets: expected a unit code, got {unit_code!r}")
        target = Target()
        if m.target is not None:
            if m.target.by_level is not None and not set(m.target.by_level) <= set(m.levels):
                problems.append(f"{where}.target.by_level: expected only levels among {m.levels}")
            if m.target.increase_over_baseline is not None and (
                m.baseline is None or (m.baseline.printed is None and not m.baseline.denominator)
            ):
                problems.append(
                    f"{where}.baseline: an increase over the baseline needs a baseline rate"
                )
            target = Target(
                percent=m.target.percent,
                by_level=dict(m.target.by_level or {}),
                increase_over_baseline=m.target.increase_over_baseline,
                unit_targets=dict(m.unit_targets),
            )
        indicators[m.code] = Indicator(
            code=m.code,
            section=m.section,
            name=m.name.domain(),
            short=m.short.domain(),
            kind=m.kind,
            levels=frozenset(m.levels),
            numerator=tuple(numerator),
            denominator=tuple(denominator),
            flag=m.flag,
            group=m.group,
            binding=m.binding,
            needed_mode=m.needed,
            target=target,
            floor=m.floor,
            lead=m.lead.domain(),
            coordinating=m.coordinating.domain() if m.coordinating else None,
            legal_basis=m.legal_basis.domain(),
            baseline=m.baseline.domain() if m.baseline else None,
            variants=tuple(
                Variant(
                    v.level,
                    v.name.domain(),
                    v.lead.domain(),
                    v.coordinating.domain() if v.coordinating else None,
                    v.baseline.domain() if v.baseline else None,
                )
                for v in m.variants
            ),
            units=frozenset(m.scope.units),
            having=frozenset(m.scope.having),
            by_level=m.lines == "by_level",
        )
    check_levels("calendar.deadlines", model.calendar.deadlines)
    missing_deadlines = [lvl for lvl in levels.codes if lvl not in model.calendar.deadlines]
    if missing_deadlines:
        problems.append(
            f"calendar.deadlines: expected a day for every level, missing {missing_deadlines}"
        )
    if problems:
        raise CatalogueError(source, problems)
    register_levels(levels)
    try:
        tree = UnitTree(tuple(units), levels)
    except ValueError as exc:
        raise CatalogueError(source, [f"units: {exc}"]) from None
    reminders = model.calendar.reminders
    return Catalogue(
        code=model.code,
        year=model.year,
        province=model.province.domain(),
        title=model.title.domain(),
        decision={
            "number": model.decision.number,
            "date": model.decision.date,
            "signed_by": model.decision.signed_by,
            "issuer": model.decision.issuer.vi,
        },
        settings=Settings(model.settings.increase_reading, model.settings.alert_repeat_days),
        calendar=ReportingCalendar(
            cutoff_day=model.calendar.cutoff_day,
            reports=tuple(model.calendar.reports),
            deadlines=model.calendar.days(),
            reminders=ReminderSettings(
                tuple(reminders.days_before),
                reminders.on_day_at,
                tuple(reminders.days_after),
                reminders.quiet_start,
                reminders.quiet_end,
            ),
            cutoff_source=model.calendar.cutoff_source,
            deadline_sources=model.calendar.sources(),
        ),
        sections=tuple(Section(s.code, s.name.domain()) for s in model.sections),
        groups=tuple(
            Group(
                g.code,
                g.section,
                g.name.domain(),
                g.lead.domain(),
                g.coordinating.domain() if g.coordinating else None,
                g.legal_basis.domain(),
            )
            for g in model.groups
        ),
        elements=elements,
        rules=tuple(rules),
        indicators=indicators,
        units=tree,
        successions=tuple(successions),
        properties=properties,
    )

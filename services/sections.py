"""Sections and officials (Article 2.1): a unit's head hands its targets down, its sections
and officials report their shares, the unit's own figure of an element its sections report is
the sum of theirs.

Every write re-reads the person in its own transaction and checks what they may do there (a
membership removed a second ago counts). A section's figure is kept as a revision of its own
(`share_figure_revision`), then the unit's pooled figure goes through services.figures like any
other: the unit's figures locked first, checked against the rules, a revision of the unit,
the totals moved.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Protocol

from kpi.access import Person, Role
from kpi.catalogue import Catalogue
from kpi.errors import DomainError, FigureError, UnknownElementError, UnknownIndicatorError
from kpi.periods import Period
from kpi.revisions import Author, Source
from kpi.rules import violations
from kpi.sections import (
    Section,
    ShareError,
    ShareLine,
    ShareState,
    ShareTarget,
    SplitMethod,
    TargetKind,
    check_rate,
    check_typed,
    person_key,
    split_count,
    worst_first,
)
from services.figures import apply_plan, plan_submission
from services.outbox import enqueue
from services.ports import OutgoingMessage, UnitOfWork
from services.roadmaps import unit_roadmaps

MAX_NAME = 80


class SectionStore(Protocol):
    async def add(self, unit: str, name: str, by: str, at: datetime) -> Section: ...

    async def get(self, section_id: int) -> Section | None: ...

    async def of_unit(self, unit: str, *, retired: bool = False) -> list[Section]: ...

    async def of_person(self, telegram_id: int) -> list[Section]: ...

    async def rename(self, section_id: int, name: str) -> None: ...

    async def set_active(self, section_id: int, active: bool) -> None: ...

    async def set_elements(self, section_id: int, elements: Sequence[str]) -> None: ...

    async def add_member(self, section_id: int, telegram_id: int) -> bool: ...

    async def put_targets(self, targets: Sequence[ShareTarget], by: str, at: datetime) -> None: ...

    async def targets(self, unit: str, year: int) -> list[ShareTarget]: ...

    async def add_figure(
        self,
        unit: str,
        holder: str,
        element: str,
        period: Period,
        value: int,
        author: Author,
        source: Source,
        reason: str | None,
        at: datetime,
    ) -> tuple[int, int | None]: ...

    async def figures(self, unit: str, year: int) -> dict[tuple[str, str, str], int]: ...


class SectionsUnitOfWork(UnitOfWork, Protocol):
    @property
    def sections(self) -> SectionStore: ...


Factory = Callable[[], SectionsUnitOfWork]


class NotAllowedError(DomainError):
    """The person may not do this to this unit or section (or it is not there: the same
    answer, so that a forged button learns nothing)."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a Telegram user (re-read in the transaction), or the command line."""

    telegram_id: int | None  # None: the command line, which may do everything
    name: str
    is_admin: bool = False  # listed in ADMIN_TELEGRAM_IDS

    @property
    def author(self) -> Author:
        who = "cli" if self.telegram_id is None else f"tg:{self.telegram_id}"
        return Author(who, self.name)


# --- who may do what --------------------------------------------------------------------------


async def _person(uow: SectionsUnitOfWork, actor: Actor) -> Person | None:
    return None if actor.telegram_id is None else await uow.people.get(actor.telegram_id)


def _is_head(catalogue: Catalogue, actor: Actor, person: Person | None, unit: str) -> bool:
    if actor.telegram_id is None or actor.is_admin:
        return True
    if person is None:
        return False
    if person.is_admin:
        return True
    tree = catalogue.units
    return any(
        m.role is Role.HEAD and m.unit in tree and tree.is_within(unit, m.unit)
        for m in person.memberships
    )


async def require_head(
    uow: SectionsUnitOfWork, catalogue: Catalogue, actor: Actor, unit: str
) -> Person | None:
    person = await _person(uow, actor)
    if unit not in catalogue.units or not _is_head(catalogue, actor, person, unit):
        raise NotAllowedError(f"only a head of {unit} may hand its targets down")
    return person


async def _section_for_head(
    uow: SectionsUnitOfWork, catalogue: Catalogue, actor: Actor, section_id: int
) -> Section:
    section = await uow.sections.get(section_id)
    if section is None:
        raise NotAllowedError(f"no section {section_id} of yours")
    try:
        await require_head(uow, catalogue, actor, section.unit)
    except NotAllowedError:
        raise NotAllowedError(f"no section {section_id} of yours") from None
    return section


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise ShareError("name", f"a section's name has 1 to {MAX_NAME} characters")
    return name


# --- sections ---------------------------------------------------------------------------------


async def add_section(
    unit_of_work: Factory, catalogue: Catalogue, actor: Actor, unit: str, name: str, now: datetime
) -> Section:
    name = _clean_name(name)
    async with unit_of_work() as uow:
        await require_head(uow, catalogue, actor, unit)
        if any(s.name.casefold() == name.casefold() for s in await uow.sections.of_unit(unit)):
            raise ShareError("exists", f"{unit} already has a section named {name!r}")
        section = await uow.sections.add(unit, name, actor.author.id, now)
        await uow.commit()
    return section


async def rename_section(
    unit_of_work: Factory, catalogue: Catalogue, actor: Actor, section_id: int, name: str
) -> Section:
    name = _clean_name(name)
    async with unit_of_work() as uow:
        section = await _section_for_head(uow, catalogue, actor, section_id)
        await uow.sections.rename(section_id, name)
        await uow.commit()
    return Section(section.id, section.unit, name, section.active, section.elements)


async def retire_section(
    unit_of_work: Factory, catalogue: Catalogue, actor: Actor, section_id: int
) -> Section:
    """The section reports no more; its figures stay. Its elements go back to the unit."""
    async with unit_of_work() as uow:
        section = await _section_for_head(uow, catalogue, actor, section_id)
        await uow.sections.set_active(section_id, False)
        await uow.sections.set_elements(section_id, [])
        await uow.commit()
    return Section(section.id, section.unit, section.name, False)


async def list_sections(
    unit_of_work: Factory, unit: str, *, retired: bool = False
) -> list[Section]:
    async with unit_of_work() as uow:
        return await uow.sections.of_unit(unit, retired=retired)


def element_codes(catalogue: Catalogue, unit: str, codes: Sequence[str]) -> list[str]:
    """Element codes from element or indicator codes ("V.1": its elements asked of the unit)."""
    asked = [e.code for e in catalogue.elements_for(catalogue.units.get(unit))]
    found: list[str] = []
    for code in codes:
        try:
            wanted = list(catalogue.indicator(code).elements)
        except UnknownIndicatorError:
            try:
                wanted = [catalogue.element(code).code]
            except UnknownElementError:
                raise ShareError(
                    "unknown", f"{code} is neither an element nor an indicator"
                ) from None
        for element in wanted:
            if element not in asked:
                raise ShareError("not_asked", f"{element} is not asked of {unit}")
            if element not in found:
                found.append(element)
    return found


async def assign_elements(
    unit_of_work: Factory,
    catalogue: Catalogue,
    actor: Actor,
    section_id: int,
    codes: Sequence[str],
) -> Section:
    """The section reports these elements (replacing what it reported): from now on the
    unit's own figure of each is the sum of its sections'."""
    async with unit_of_work() as uow:
        section = await _section_for_head(uow, catalogue, actor, section_id)
        if not section.active:
            raise ShareError("retired", "a retired section reports nothing")
        elements = element_codes(catalogue, section.unit, codes)
        await uow.sections.set_elements(section_id, elements)
        await uow.commit()
    return Section(section.id, section.unit, section.name, True, tuple(elements), section.members)


async def add_member(
    unit_of_work: Factory, catalogue: Catalogue, actor: Actor, section_id: int, telegram_id: int
) -> Section:
    """Bind one of the unit's people to the section."""
    async with unit_of_work() as uow:
        section = await _section_for_head(uow, catalogue, actor, section_id)
        person = await uow.people.get(telegram_id)
        if person is None or not any(m.unit == section.unit for m in person.memberships):
            raise ShareError("not_member", "only a person of the unit can join its section")
        await uow.sections.add_member(section_id, telegram_id)
        await uow.commit()
    return section


async def pooled_elements(uow: SectionsUnitOfWork, unit: str) -> dict[str, list[Section]]:
    """The unit's elements its sections report, with those sections."""
    pooled: dict[str, list[Section]] = {}
    for section in await uow.sections.of_unit(unit):
        for element in section.elements:
            pooled.setdefault(element, []).append(section)
    return pooled


# --- figures ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SectionSubmission:
    section: Section
    period: Period
    changed: dict[str, int]  # the section's new values
    pooled: dict[str, int]  # the unit's figures now: the sum of its sections'


async def submit_section_figures(
    unit_of_work: Factory,
    catalogue: Catalogue,
    actor: Actor,
    section_id: int,
    period: Period,
    values: Mapping[str, int],
    source: Source,
    now: datetime,
) -> SectionSubmission:
    """A section's figures: kept as its revisions, and the unit's figure of each element is
    then the sum of its sections', saved like any figure of the unit (all or nothing)."""
    async with unit_of_work() as uow:
        section = await uow.sections.get(section_id)
        person = await _person(uow, actor)
        allowed = (
            section is not None
            and section.active
            and (
                _is_head(catalogue, actor, person, section.unit)
                or (actor.telegram_id is not None and actor.telegram_id in section.members)
            )
        )
        if section is None or not allowed:
            raise NotAllowedError(f"no section {section_id} of yours")
        for code, value in values.items():
            if code not in section.elements:
                raise ShareError("not_assigned", f"{code} is not reported by {section.name}")
            catalogue.element(code).check_value(value)
        # lock the unit's figures before reading them (services.figures' writers do the same)
        await uow.figures.lock_units([section.unit])
        stored = await uow.sections.figures(section.unit, period.year)
        own = {e: v for (h, e, p), v in stored.items() if h == section.key and p == period.key}
        own.update(values)
        broken = violations(catalogue.rules, dict(own))
        if broken:
            raise FigureError("; ".join(v.rule.message.en for v in broken))
        for code, value in values.items():
            await uow.sections.add_figure(
                section.unit, section.key, code, period, value, actor.author, source, None, now
            )
        stored = await uow.sections.figures(section.unit, period.year)
        pooled_by = await pooled_elements(uow, section.unit)
        pooled: dict[str, int] = {}
        for code in values:
            keys = {s.key for s in pooled_by.get(code, [])}
            pooled[code] = sum(
                v for (h, e, p), v in stored.items() if e == code and p == period.key and h in keys
            )
        plan = await plan_submission(uow, catalogue, section.unit, period, pooled)
        reason = f"sections: {section.name}"
        await apply_plan(uow, catalogue, plan, actor.author, source, reason, now)
        await uow.commit()
    return SectionSubmission(section, period, dict(values), pooled)


async def submit_own_count(
    unit_of_work: Factory,
    catalogue: Catalogue,
    actor: Actor,
    unit: str,
    element: str,
    period: Period,
    value: int,
    now: datetime,
    *,
    official: int | None = None,
) -> int | None:
    """An official's own count (or the head's for them); the value it replaced. Personal
    counts are the official's, they do not add to the unit's figures."""
    catalogue.element(element).check_value(value)
    async with unit_of_work() as uow:
        person = await _person(uow, actor)
        whose = official if official is not None else actor.telegram_id
        if whose is None:
            raise ShareError("nobody", "say whose count it is")
        if whose != actor.telegram_id:
            await require_head(uow, catalogue, actor, unit)
        elif person is None or not any(m.unit == unit for m in person.memberships):
            raise NotAllowedError(f"you are not bound to {unit}")
        _, previous = await uow.sections.add_figure(
            unit, person_key(whose), element, period, value, actor.author, Source.CHAT, None, now
        )
        await uow.commit()
    return previous


# --- targets ----------------------------------------------------------------------------------


async def officials_of(uow: SectionsUnitOfWork, unit: str) -> list[Person]:
    """The unit's officials: the people bound to it as members."""
    people = await uow.people.members_of([unit])
    return [
        p for p in people if any(m.unit == unit and m.role is Role.MEMBER for m in p.memberships)
    ]


async def split_target(
    unit_of_work: Factory,
    catalogue: Catalogue,
    actor: Actor,
    unit: str,
    element: str,
    period: Period,
    total: int,
    method: SplitMethod,
    *,
    over: str = "sections",
    typed: Sequence[int] = (),
    now: datetime,
) -> list[ShareTarget]:
    """Split the unit's count target of `element` for `period` over its sections (or its
    officials): evenly, by last year's share of the same months, or as typed; the shares add
    up to `total` exactly."""
    catalogue.element(element)
    async with unit_of_work() as uow:
        await require_head(uow, catalogue, actor, unit)
        if over == "sections":
            holders = [s.key for s in await uow.sections.of_unit(unit)]
        else:
            holders = [person_key(p.telegram_id) for p in await officials_of(uow, unit)]
        if not holders:
            raise ShareError("nobody", f"{unit} has no {over} to split a target over")
        if method is SplitMethod.TYPED:
            if len(typed) != len(holders):
                raise ShareError("rows", f"type one share for each of the {len(holders)} {over}")
            shares = check_typed(total, typed)
        elif method is SplitMethod.EVEN:
            shares = split_count(total, [1] * len(holders))
        else:
            last = Period(period.year - 1, period.first, period.last)
            done = await uow.sections.figures(unit, last.year)
            weights = [
                sum(
                    v
                    for (h, e, p), v in done.items()
                    if h == holder and e == element and last.contains(Period.parse(p))
                )
                for holder in holders
            ]
            shares = split_count(total, weights)
        targets = [
            ShareTarget(unit, holder, element, period.key, TargetKind.COUNT, share)
            for holder, share in zip(holders, shares, strict=True)
        ]
        await uow.sections.put_targets(targets, actor.author.id, now)
        await uow.commit()
    return targets


async def hand_down_rate(
    unit_of_work: Factory,
    catalogue: Catalogue,
    actor: Actor,
    unit: str,
    holder: str,
    indicator: str,
    percent: Decimal | None,
    now: datetime,
) -> ShareTarget:
    """A rate target handed down to a section or an official, as it is (None) or raised."""
    found = catalogue.indicator(indicator)
    the_unit = catalogue.units.get(unit)
    target = found.target_for(the_unit.level, the_unit)
    if target is None:
        raise ShareError("no_target", f"{indicator} has no target for {unit}")
    chosen = check_rate(target, target if percent is None else percent)
    async with unit_of_work() as uow:
        await require_head(uow, catalogue, actor, unit)
        share = ShareTarget(
            unit, holder, found.code, str(catalogue.year), TargetKind.RATE, int(chosen * 100)
        )
        await uow.sections.put_targets([share], actor.author.id, now)
        await uow.commit()
    return share


# --- what each sees ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RateShare:
    """A rate target handed down, judged on the holder's own figures for the period against
    the unit's roadmap milestone at the period's end, raised as the share is."""

    holder: str
    name: str
    indicator: str
    target_bp: int
    numerator: int | None = None
    denominator: int | None = None
    milestone_bp: int | None = None  # None: no roadmap read (the year's target applies)

    @property
    def rate(self) -> Fraction | None:
        if self.numerator is None or not self.denominator:
            return None
        return Fraction(self.numerator, self.denominator)

    @property
    def due_bp(self) -> int:
        return self.target_bp if self.milestone_bp is None else self.milestone_bp

    @property
    def state(self) -> ShareState:
        rate = self.rate
        if rate is None:
            return ShareState.NO_DATA
        return ShareState.MET if rate * 10_000 >= self.due_bp else ShareState.BELOW


@dataclass(slots=True)
class Overview:
    """A unit's sections and officials for one period, as the person asking may see them."""

    unit: str
    period: Period
    is_head: bool
    sections: list[Section] = field(default_factory=list)
    lines: list[ShareLine] = field(default_factory=list)  # worst first
    rates: list[RateShare] = field(default_factory=list)
    mine: list[ShareLine] = field(default_factory=list)  # the person's own shares
    my_rates: list[RateShare] = field(default_factory=list)


async def _names(uow: SectionsUnitOfWork, unit: str) -> dict[str, str]:
    names = {s.key: s.name for s in await uow.sections.of_unit(unit, retired=True)}
    for person in await uow.people.members_of([unit]):
        names[person_key(person.telegram_id)] = person.name
    return names


async def share_lines(
    uow: SectionsUnitOfWork,
    unit: str,
    period: Period,
    *,
    within: bool = False,
    catalogue: Catalogue | None = None,
) -> tuple[list[ShareLine], list[RateShare]]:
    """Every count share of the unit for `period` (`within`: for the periods inside it), worst
    first, and its rate targets."""
    targets = await uow.sections.targets(unit, period.year)
    if not targets:
        return [], []
    figures = await uow.sections.figures(unit, period.year)
    names = await _names(uow, unit)
    lines = [
        ShareLine(
            t.holder,
            names.get(t.holder, t.holder),
            t.element,
            t.value,
            figures.get((t.holder, t.element, t.period_key)),
            t.period_key,
        )
        for t in targets
        if t.kind is TargetKind.COUNT
        and (
            t.period_key == period.key or (within and period.contains(Period.parse(t.period_key)))
        )
    ]
    rates = [
        await _rate_share(uow, catalogue, unit, period, t, names, figures)
        for t in targets
        if t.kind is TargetKind.RATE
    ]
    return worst_first(lines), rates


async def _rate_share(
    uow: SectionsUnitOfWork,
    catalogue: Catalogue | None,
    unit: str,
    period: Period,
    target: ShareTarget,
    names: Mapping[str, str],
    figures: Mapping[tuple[str, str, str], int],
) -> RateShare:
    """The holder's rate for `period` from its own figures, and the unit's roadmap milestone at
    the period's end raised by as much as the share's target is above the unit's."""
    name = names.get(target.holder, target.holder)
    if catalogue is None or target.element not in catalogue.indicators:
        return RateShare(target.holder, name, target.element, target.value)
    indicator = catalogue.indicator(target.element)

    def total(codes: Sequence[str]) -> int | None:
        found = [figures.get((target.holder, code, period.key)) for code in codes]
        return None if all(v is None for v in found) else sum(v or 0 for v in found)

    milestone = None
    for line in await unit_roadmaps(uow.roadmaps, catalogue, unit):
        if line.plan.indicator.code == indicator.code:
            due = line.roadmap.due(period.last).rate * 10_000
            raised = due + target.value - Fraction(line.target) * 100
            milestone = min(10_000, max(0, math.ceil(raised)))
            break
    return RateShare(
        target.holder,
        name,
        indicator.code,
        target.value,
        total(indicator.numerator),
        total(indicator.denominator),
        milestone,
    )


async def overview(
    unit_of_work: Factory, catalogue: Catalogue, actor: Actor, unit: str, period: Period
) -> Overview:
    """The head sees every section's and official's share; an official their own shares (and
    their section's), never a colleague's personal figures."""
    async with unit_of_work() as uow:
        person = await _person(uow, actor)
        head = _is_head(catalogue, actor, person, unit)
        if not head and (person is None or not person.can_see(unit, catalogue.units)):
            raise NotAllowedError(f"{unit} is not yours")
        lines, rates = await share_lines(uow, unit, period, catalogue=catalogue)
        sections = await uow.sections.of_unit(unit)
        view = Overview(unit, period, head, sections)
        mine: set[str] = set()
        if actor.telegram_id is not None:
            mine.add(person_key(actor.telegram_id))
            mine.update(s.key for s in sections if actor.telegram_id in s.members)
        view.mine = [line for line in lines if line.holder in mine]
        view.my_rates = [rate for rate in rates if rate.holder in mine]
        if head:
            view.lines, view.rates = lines, rates
        else:
            view.sections = [s for s in sections if s.key in mine]
        return view


async def section_detail(
    unit_of_work: Factory, catalogue: Catalogue, actor: Actor, section_id: int, period: Period
) -> tuple[Section, list[ShareLine]]:
    """One section's shares, for a head of its unit or one of its people."""
    async with unit_of_work() as uow:
        section = await uow.sections.get(section_id)
        person = await _person(uow, actor)
        allowed = section is not None and (
            _is_head(catalogue, actor, person, section.unit)
            or (actor.telegram_id is not None and actor.telegram_id in section.members)
        )
        if section is None or not allowed:
            raise NotAllowedError(f"no section {section_id} of yours")
        lines, _ = await share_lines(uow, section.unit, period)
        return section, [line for line in lines if line.holder == section.key]


async def export_shares(unit_of_work: Factory, unit: str, period: Period) -> list[ShareLine]:
    """Every count share of the unit within `period`, for the report workbook's sheet."""
    async with unit_of_work() as uow:
        lines, _ = await share_lines(uow, unit, period, within=True)
    return lines


# --- the heads' digest ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Below:
    """Shares below target: count shares worst first, then rate shares."""

    lines: tuple[ShareLine, ...]
    rates: tuple[RateShare, ...]

    def __bool__(self) -> bool:
        return bool(self.lines or self.rates)


class DigestWriter(Protocol):
    """The words of the digests (bot.sections_text.SharesWriter)."""

    def digest(
        self, language: str, catalogue: Catalogue, unit: str, period: Period, below: Below
    ) -> str:
        """For a head: every share of the unit below target."""

    def own(
        self, language: str, catalogue: Catalogue, unit: str, period: Period, below: Below
    ) -> str:
        """For a section's people or an official: their own shares below target."""


async def queue_digests(
    unit_of_work: Factory,
    catalogue: Catalogue,
    period: Period,
    now: datetime,
    write: DigestWriter,
    default_language: str = "vi",
) -> int:
    """One message to each head of each unit with shares below target for `period` (worst
    first), and one to each person whose own share (theirs, or their section's) is below it;
    queued once a day (the outbox key has the date). How many were queued."""
    queued = 0
    day = now.date().isoformat()
    async with unit_of_work() as uow:
        for unit in [u.code for u in catalogue.units]:
            lines, rates = await share_lines(uow, unit, period, catalogue=catalogue)
            below = Below(
                tuple(line for line in lines if line.state is not ShareState.MET),
                tuple(rate for rate in rates if rate.state is not ShareState.MET),
            )
            if not below:
                continue
            people = [p for p in await uow.people.members_of([unit]) if p.active]
            sections = {s.key: s for s in await uow.sections.of_unit(unit)}
            messages: list[OutgoingMessage] = []
            for person in people:
                language = person.language or default_language
                if any(m.unit == unit and m.role is Role.HEAD for m in person.memberships):
                    text = write.digest(language, catalogue, unit, period, below)
                    key = f"shares:{unit}:{period.key}:{day}:{person.telegram_id}"
                    messages.append(OutgoingMessage(key, person.telegram_id, "summary", text))
                    continue
                theirs = {person_key(person.telegram_id)} | {
                    key for key, s in sections.items() if person.telegram_id in s.members
                }
                own = Below(
                    tuple(line for line in below.lines if line.holder in theirs),
                    tuple(rate for rate in below.rates if rate.holder in theirs),
                )
                if own and not person.muted:
                    text = write.own(language, catalogue, unit, period, own)
                    key = f"share:{unit}:{period.key}:{day}:{person.telegram_id}"
                    messages.append(OutgoingMessage(key, person.telegram_id, "reminder", text))
            queued += await enqueue(uow, messages, now)
        await uow.commit()
    return queued


__all__ = [
    "Actor",
    "Below",
    "NotAllowedError",
    "Overview",
    "SectionSubmission",
    "SectionsUnitOfWork",
    "add_member",
    "add_section",
    "assign_elements",
    "export_shares",
    "hand_down_rate",
    "list_sections",
    "overview",
    "pooled_elements",
    "queue_digests",
    "rename_section",
    "retire_section",
    "section_detail",
    "share_lines",
    "split_target",
    "submit_own_count",
    "submit_section_figures",
]

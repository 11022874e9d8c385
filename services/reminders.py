"""Running one reminder fire time: who has not reported, and the messages queued for them.

    queued = await run_reminders(database.unit_of_work, catalogue, slot, now, writer, zone)

One transaction claims the fire time in the schedule log and queues every message, so a fire
time runs once, whichever process or restart gets to it first (a second run finds it claimed
and queues nothing). Recipients (active people; `muted` ones are skipped):

- a reminder: the unit's heads and members (viewers only look);
- an escalation (units of an escalating level overdue): their parent's heads (its members when
  it has no head);
- the summary: the provincial office, that is the heads and members of the root unit, the
  administrators (stored, and `office_ids` from the settings), and the group chats that follow
  the root unit.

Messages created in the quiet hours wait until the morning (`not_before`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import datetime, tzinfo

from kpi.access import Person, Role
from kpi.catalogue import Catalogue
from kpi.periods import Period
from kpi.quiet import not_before
from kpi.reminders import Slot, SlotPlan, plan_slot
from kpi.reporting import Series, reported
from services.notices import EscalationNote, NoticeWriter, ReminderNote, SummaryNote
from services.outbox import enqueue
from services.ports import OutgoingMessage, UnitOfWork

REPORTING_ROLES = frozenset({Role.HEAD, Role.MEMBER})


def language_of(person: Person, writer: NoticeWriter) -> str:
    return person.language or writer.default_language


def bound(people: Iterable[Person], unit: str, roles: Collection[Role]) -> list[Person]:
    """Active people bound to `unit` with one of `roles`, by Telegram id."""
    found = {
        p.telegram_id: p
        for p in people
        if p.active and any(m.unit == unit and m.role in roles for m in p.memberships)
    }
    return [found[k] for k in sorted(found)]


async def reported_units(uow: UnitOfWork, catalogue: Catalogue, period: Period) -> set[str]:
    """Codes of the units that have reported `period` (kpi.reporting), from one read."""
    figures: dict[str, dict[str, list[tuple[Period, int]]]] = {}
    for figure in await uow.figures.current_figures(period.year):
        figures.setdefault(figure.unit, {}).setdefault(figure.element, []).append(
            (figure.period, figure.value)
        )
    done: set[str] = set()
    for unit in catalogue.units:
        elements = catalogue.elements_for(unit)
        if not elements:
            continue
        own: dict[str, Series] = dict(figures.get(unit.code, {}))
        required = [e.code for e in elements]
        latest = {e.code for e in elements if e.latest_wins}
        if reported(required, own, period, latest=latest):
            done.add(unit.code)
    return done


async def plan_messages(
    uow: UnitOfWork,
    catalogue: Catalogue,
    plan: SlotPlan,
    writer: NoticeWriter,
    wait: datetime | None,
    office_ids: Collection[int] = (),
) -> list[OutgoingMessage]:
    """The messages of one fire time's plan, to the people (and groups) it concerns."""
    slot = plan.slot
    period = slot.period.key
    step = f"{slot.offset:+d}"
    messages: list[OutgoingMessage] = []
    parents = dict(plan.escalations or {})
    units = [u.code for u in plan.reminders] + list(parents)
    people = await uow.people.members_of(units) if units else []
    for unit in plan.reminders:
        note = ReminderNote(unit, slot.period, slot.deadline, slot.offset)
        for person in bound(people, unit.code, REPORTING_ROLES):
            if person.muted:
                continue
            notice = writer.reminder(note, catalogue, language_of(person, writer))
            messages.append(
                OutgoingMessage(
                    f"reminder:{period}:{step}:{unit.code}:{person.telegram_id}",
                    person.telegram_id,
                    "reminder",
                    notice.text,
                    notice.markup,
                    wait,
                )
            )
    for parent, overdue in parents.items():
        escalation = EscalationNote(
            catalogue.units.get(parent), slot.period, slot.deadline, overdue
        )
        heads = bound(people, parent, {Role.HEAD}) or bound(people, parent, REPORTING_ROLES)
        for person in heads:
            if person.muted:
                continue
            notice = writer.escalation(escalation, catalogue, language_of(person, writer))
            messages.append(
                OutgoingMessage(
                    f"escalation:{period}:{step}:{parent}:{person.telegram_id}",
                    person.telegram_id,
                    "escalation",
                    notice.text,
                    notice.markup,
                    wait,
                )
            )
    if plan.summary is not None and plan.summary.units:
        messages.extend(await _summary_messages(uow, catalogue, plan, writer, wait, office_ids))
    return messages


async def _summary_messages(
    uow: UnitOfWork,
    catalogue: Catalogue,
    plan: SlotPlan,
    writer: NoticeWriter,
    wait: datetime | None,
    office_ids: Collection[int],
) -> list[OutgoingMessage]:
    assert plan.summary is not None
    slot = plan.slot
    root = catalogue.units.root.code
    office = bound(await uow.people.members_of([root]), root, REPORTING_ROLES)
    office += [p for p in await uow.people.admins() if p.active]
    languages: dict[int, str] = {}
    for person in office:
        if not person.muted:
            languages.setdefault(person.telegram_id, language_of(person, writer))
    for chat in office_ids:
        known = next((p for p in office if p.telegram_id == chat), None)
        if known is None:
            languages.setdefault(chat, writer.default_language)
    for chat in (await uow.chats.subscribers([root])).get(root, []):
        languages.setdefault(chat, writer.default_language)
    note = SummaryNote(plan.summary, slot.deadline)
    messages = []
    for chat, language in sorted(languages.items()):
        notice = writer.summary(note, catalogue, language)
        messages.append(
            OutgoingMessage(
                f"summary:{slot.period.key}:{slot.offset:+d}:{chat}",
                chat,
                "summary",
                notice.text,
                notice.markup,
                wait,
            )
        )
    return messages


async def run_reminders(
    unit_of_work: Callable[[], UnitOfWork],
    catalogue: Catalogue,
    slot: Slot,
    now: datetime,
    writer: NoticeWriter,
    zone: tzinfo,
    office_ids: Collection[int] = (),
) -> int | None:
    """Claim the fire time and queue its messages, all or nothing; how many were queued, or
    None when the fire time had already been run (by this process or another)."""
    settings = catalogue.calendar.reminders
    wait = not_before(now, zone, settings.quiet_start, settings.quiet_end)
    async with unit_of_work() as uow:
        if not await uow.schedule.claim(slot.name, slot.at, now):
            return None
        done = await reported_units(uow, catalogue, slot.period)
        plan = plan_slot(catalogue, slot, done)
        messages = await plan_messages(uow, catalogue, plan, writer, wait, office_ids)
        queued = await enqueue(uow, messages, now)
        await uow.commit()
    return queued

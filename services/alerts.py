"""Evaluating alerts: every line of the units asked, over the current quarter and the year so
far, compared with the stored states; changes queued as messages in the same transaction.

    # after a submission, inside its unit of work, before the commit (services.figures):
    await alerts.after_submission(uow, catalogue, unit_code, period, now)
    # the daily sweep (scheduler/jobs.py):
    await sweep_alerts(database.unit_of_work, catalogue, now, writer, zone)

Routing of an alert about unit U (kpi.alerts decides whether there is one):

- the heads and members of U (active; muting concerns reminders, not alerts);
- the group chats that follow U or one of its ancestors below the root;
- the group chats that follow the root unit (the provincial office's) when U is the root, or
  when the alert concerns the floor (falling below it, or leaving it): the office hears of every
  unit below the floor, not of every unit below target.

Each chat gets one message per unit and evaluation, listing every line and scope that changed
(a submission that moves three rates of the quarter and the year is one message, not six).
Its outbox key is the unit, the chat and a digest of the announcements' keys, each naming the
line, the scope's period, the new state and when the line was last announced: a second
evaluation (another process, a re-run) of the same changes queues nothing more, and a weekly
repeat, announced at a new time, gets a new key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo

from kpi.alerts import AlertKind, AlertState, Decision, Scope, decide, line_id
from kpi.catalogue import Catalogue
from kpi.evaluation import evaluate_plan, plans_for
from kpi.pace import line_key
from kpi.periods import Period
from kpi.quiet import not_before
from kpi.units import Unit
from services.notices import AlertNote, NoticeWriter
from services.outbox import enqueue
from services.ports import OutgoingMessage, UnitOfWork
from services.reminders import REPORTING_ROLES, bound, language_of
from services.status import year_to_date

FLOOR = 2  # the severity of "below the floor" (kpi.attainment.Status.severity)


def scopes_of(month: Period) -> list[tuple[Scope, Period]]:
    """The quarter that holds `month`, and the year so far."""
    return [
        (Scope.QUARTER, Period.quarter(month.year, month.quarter_number)),
        (Scope.YEAR, Period.whole_year(month.year)),
    ]


@dataclass(frozen=True, slots=True)
class Announcement:
    note: AlertNote
    decision: Decision

    @property
    def unit(self) -> Unit:
        return self.note.unit


async def evaluate_alerts(
    uow: UnitOfWork,
    catalogue: Catalogue,
    units: Sequence[str] | None,
    month: Period,
    now: datetime,
    writer: NoticeWriter,
    zone: tzinfo,
) -> int:
    """Judge every line of `units` (None: all) for the scopes of `month`, store the states that
    changed and queue the alerts; the caller commits. How many messages were queued."""
    repeat = catalogue.settings.alert_repeat_days
    tree = catalogue.units
    chosen = list(tree) if units is None else [tree.get(code) for code in units]
    known = {s.key: s for s in await uow.alerts.states(None if units is None else units)}
    changed: list[AlertState] = []
    announced: list[Announcement] = []
    for scope, period in scopes_of(month):
        everything = await uow.figures.totals_of_units(units, period)
        for unit in chosen:
            totals = everything.get(unit.code, {})
            for plan in plans_for(catalogue, unit):
                line = evaluate_plan(catalogue, unit, plan, totals)
                name = line_id(line.indicator.code, line.level)
                decision = decide(
                    known.get((unit.code, name, scope.value)),
                    unit.code,
                    name,
                    scope,
                    period.key,
                    line.attainment.status,
                    now,
                    repeat,
                )
                if decision is None:
                    continue
                changed.append(decision.state)
                if decision.kind is not None:
                    note = AlertNote(unit, line, scope, period, decision.kind)
                    announced.append(Announcement(note, decision))
    if changed:
        await uow.alerts.save(changed)
    if not announced:
        return 0
    announced = await with_pace(uow, catalogue, month, announced)
    messages = await route(uow, catalogue, announced, now, writer, zone)
    return await enqueue(uow, messages, now)


async def with_pace(
    uow: UnitOfWork, catalogue: Catalogue, month: Period, announced: list[Announcement]
) -> list[Announcement]:
    """The announcements about the year so far of the catalogue's year, each with its line's
    pace to target and year-end projection (as /status shows them: services.status)."""
    if month.year != catalogue.year:
        return announced
    units = sorted({a.unit.code for a in announced if a.note.scope is Scope.YEAR})
    paces = {code: await year_to_date(uow, uow.roadmaps, catalogue, code, month) for code in units}
    found: list[Announcement] = []
    for item in announced:
        note = item.note
        if note.scope is Scope.YEAR:
            key = line_key(note.line.indicator.code, note.line.level)
            note = replace(note, pace=paces[note.unit.code].paces.get(key))
        found.append(Announcement(note, item.decision))
    return found


async def route(
    uow: UnitOfWork,
    catalogue: Catalogue,
    announced: Sequence[Announcement],
    now: datetime,
    writer: NoticeWriter,
    zone: tzinfo,
) -> list[OutgoingMessage]:
    """The messages of the announcements, to the people and chats they concern."""
    tree = catalogue.units
    root = tree.root.code
    quiet = catalogue.calendar.reminders
    wait = not_before(now, zone, quiet.quiet_start, quiet.quiet_end)
    codes = sorted({a.unit.code for a in announced})
    people = await uow.people.members_of(codes)
    followed = {root, *codes, *(u.code for c in codes for u in tree.ancestors(c))}
    chats = await uow.chats.subscribers(sorted(followed))
    by_chat: dict[tuple[str, int], list[Announcement]] = {}
    languages: dict[int, str] = {}
    for item in announced:
        decision = item.decision
        for person in bound(people, item.unit.code, REPORTING_ROLES):
            languages.setdefault(person.telegram_id, language_of(person, writer))
            by_chat.setdefault((item.unit.code, person.telegram_id), []).append(item)
        watching = [item.unit.code, *(u.code for u in tree.ancestors(item.unit.code))]
        groups = {
            chat
            for code in watching
            if code != root or item.unit.code == root or decision.severity >= FLOOR
            for chat in chats.get(code, [])
        }
        if decision.severity >= FLOOR:
            groups.update(chats.get(root, []))
        for chat in sorted(groups):
            languages.setdefault(chat, writer.default_language)
            by_chat.setdefault((item.unit.code, chat), []).append(item)
    messages: list[OutgoingMessage] = []
    for (unit, chat), items in sorted(by_chat.items()):
        notice = writer.alert([i.note for i in items], catalogue, languages[chat])
        keys = "|".join(sorted(str(i.decision.key) for i in items))
        digest = hashlib.sha256(keys.encode()).hexdigest()[:20]
        recovered = all(i.decision.kind is AlertKind.RECOVERED for i in items)
        messages.append(
            OutgoingMessage(
                f"alert:{unit}:{digest}:{chat}",
                chat,
                "recovery" if recovered else "alert",
                notice.text,
                notice.markup,
                wait,
            )
        )
    return messages


@dataclass(frozen=True, slots=True)
class SubmissionAlerts:
    """The alert check a submission runs in its own transaction (services.figures.apply_plan):
    the unit and its ancestors, whose totals it moved, for the current quarter and year."""

    writer: NoticeWriter
    zone: tzinfo

    async def __call__(
        self, uow: UnitOfWork, catalogue: Catalogue, unit: str, period: Period, now: datetime
    ) -> int:
        return await self.many(uow, catalogue, [unit], period, now)

    async def many(
        self,
        uow: UnitOfWork,
        catalogue: Catalogue,
        units: Sequence[str],
        period: Period,
        now: datetime,
    ) -> int:
        """The check of a submission of several units (an import): each unit and every
        ancestor, judged once."""
        month = catalogue.calendar.month_of(now.astimezone(self.zone).date())
        if month.year != period.year:  # a past (or future) year: judge the period's own quarter
            month = Period.month(period.year, period.last)
        tree = catalogue.units
        judged = dict.fromkeys(
            code for unit in units for code in (unit, *(u.code for u in tree.ancestors(unit)))
        )
        return await evaluate_alerts(
            uow, catalogue, list(judged), month, now, self.writer, self.zone
        )


async def sweep_alerts(
    unit_of_work: Callable[[], UnitOfWork],
    catalogue: Catalogue,
    now: datetime,
    writer: NoticeWriter,
    zone: tzinfo,
    name: str | None = None,
    fire_time: datetime | None = None,
) -> int | None:
    """The daily sweep: every unit of the catalogue, if it covers today (a past year's states do
    not change without a submission, which is judged when it is made). With `name` and
    `fire_time` the run is claimed in the schedule log first (None: it had already run)."""
    month = catalogue.calendar.month_of(now.astimezone(zone).date())
    async with unit_of_work() as uow:
        if (
            name is not None
            and fire_time is not None
            and not await uow.schedule.claim(name, fire_time, now)
        ):
            return None
        queued = 0
        if month.year == catalogue.year:
            queued = await evaluate_alerts(uow, catalogue, None, month, now, writer, zone)
        await uow.commit()
    return queued

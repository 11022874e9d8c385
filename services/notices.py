"""The notifications services queue, and the port that writes them in a person's language.

Services decide who hears what (kpi.reminders, kpi.alerts); the words, numbers and buttons are
the bot's (bot/notices.py renders them with its translations and Babel formatting), passed in
by the composition root as a `NoticeWriter`. So services never import bot/, and tests can pass
the bot's writer or their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from kpi.alerts import AlertKind, Scope
from kpi.catalogue import Catalogue
from kpi.evaluation import Line
from kpi.pace import Pace
from kpi.periods import Period
from kpi.reminders import Overdue
from kpi.units import Unit


@dataclass(frozen=True, slots=True)
class Notice:
    """A message's text and its inline keyboard (Bot API JSON), in one language."""

    text: str
    markup: dict[str, object] | None = None


@dataclass(frozen=True, slots=True)
class ReminderNote:
    """A unit has not reported `period`; it is due on `deadline` (offset: days from it)."""

    unit: Unit
    period: Period
    deadline: date
    offset: int


@dataclass(frozen=True, slots=True)
class EscalationNote:
    """Units under `parent` that have not reported `period` by their deadline (their level
    escalates: levels[].escalates)."""

    parent: Unit
    period: Period
    deadline: date
    overdue: tuple[Unit, ...]


@dataclass(frozen=True, slots=True)
class SummaryNote:
    """For the provincial office: how many units have not reported `period`, and which."""

    overdue: Overdue
    deadline: date


@dataclass(frozen=True, slots=True)
class AlertNote:
    """A line changed state (or stayed below target for long)."""

    unit: Unit
    line: Line
    scope: Scope
    period: Period
    kind: AlertKind
    pace: Pace | None = None  # the year so far's pace to target and year-end projection


class NoticeWriter(Protocol):
    """Writes each notification in a language ("vi", "en"); the default is the bot's."""

    @property
    def default_language(self) -> str: ...

    def reminder(self, note: ReminderNote, catalogue: Catalogue, language: str) -> Notice: ...

    def escalation(self, note: EscalationNote, catalogue: Catalogue, language: str) -> Notice: ...

    def summary(self, note: SummaryNote, catalogue: Catalogue, language: str) -> Notice: ...

    def alert(self, notes: Sequence[AlertNote], catalogue: Catalogue, language: str) -> Notice:
        """One message about one unit: every line and scope that changed."""

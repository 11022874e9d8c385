"""Alerts: a line's state (met, below target, below floor) followed over time, announced when it
changes and repeated while a problem persists. Pure: the caller keeps the states.

A line is one indicator of one unit (per level where targets differ by level), over one scope:
the current quarter or the year so far. What people were last told (`notified_state`) is what
a new state is compared with:

- never told, or told it was met: falling below the target (or the floor) is announced;
- below the target → below the floor: announced (worse); below the floor → below the target:
  announced (better, still below); back to met: announced (recovered);
- the same problem still there `repeat_days` after it was last announced: announced again;
- no data is never an alert, and the first state seen being met says nothing.

A new period of a scope (the next quarter) starts afresh: what was told of the last one does
not carry over. Equal to the target is met (kpi.attainment judges in exact arithmetic).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from kpi.attainment import Status
from kpi.units import Level

TRACKED = frozenset(
    {Status.MET, Status.BELOW_TARGET, Status.BELOW_FLOOR, Status.NO_DATA, Status.NOTHING_AROSE}
)


class Scope(StrEnum):
    QUARTER = "quarter"  # the current quarter
    YEAR = "year"  # the year so far


class AlertKind(StrEnum):
    BELOW_TARGET = "below_target"  # fell below the target
    BELOW_FLOOR = "below_floor"  # fell below the floor
    IMPROVED = "improved"  # from below the floor to below the target: better, still short
    RECOVERED = "recovered"  # back to met
    STILL_BELOW = "still_below"  # the same problem, repeated


def line_id(indicator: str, level: Level | None) -> str:
    """ "II.1", or "V.1/commune" for a line of one level."""
    return indicator if level is None else f"{indicator}/{level}"


@dataclass(frozen=True, slots=True)
class AlertState:
    """The last judged state of one line, and what was last announced about it."""

    unit: str
    line: str
    scope: Scope
    period_key: str
    state: Status
    since: datetime  # when the line entered `state`
    notified_state: Status | None = None
    notified_at: datetime | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.unit, self.line, self.scope.value)


@dataclass(frozen=True, slots=True)
class Decision:
    """The line's new state, and the alert to send (None: nothing to say)."""

    state: AlertState
    kind: AlertKind | None
    key: str | None  # the outbox key of the alert (add the chat): unique per announcement
    severity: int  # of the worst state involved: routes below-the-floor news further

    @property
    def changed(self) -> bool:
        return self.kind is not None


def _alert_kind(told: Status, now: Status) -> AlertKind | None:
    if now is told:
        return None
    if now is Status.MET:
        return AlertKind.RECOVERED if told.severity else None
    if now.severity > told.severity:
        return AlertKind(now.value)
    return AlertKind.IMPROVED


def decide(
    previous: AlertState | None,
    unit: str,
    line: str,
    scope: Scope,
    period_key: str,
    status: Status,
    now: datetime,
    repeat_days: int,
) -> Decision | None:
    """The line's new state and the alert it calls for; None for an untracked status
    (no target) or when nothing changes at all (the stored state can stay as it is)."""
    if status not in TRACKED:
        return None
    if previous is not None and previous.period_key != period_key:
        previous = None  # a new quarter (or year): start afresh
    if previous is None:
        base = AlertState(unit, line, scope, period_key, status, now)
    elif previous.state is status:
        base = previous
    else:
        base = replace(previous, state=status, since=now)
    told = base.notified_state or Status.MET
    kind: AlertKind | None = None
    if status not in (Status.NO_DATA, Status.NOTHING_AROSE):
        kind = _alert_kind(told, status)
        if (
            kind is None
            and status.severity
            and base.notified_at is not None
            and now - base.notified_at >= timedelta(days=repeat_days)
        ):
            kind = AlertKind.STILL_BELOW
    if kind is None:
        if previous is not None and base == previous:
            return None
        return Decision(base, None, None, 0)
    stamp = "-" if base.notified_at is None else str(int(base.notified_at.timestamp()))
    key = f"alert:{unit}:{line}:{scope}:{period_key}:{status}:{stamp}"
    severity = max(status.severity, told.severity)
    return Decision(replace(base, notified_state=status, notified_at=now), kind, key, severity)

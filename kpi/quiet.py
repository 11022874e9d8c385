"""Quiet hours: nothing is sent at night; what falls in them waits until the morning."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo


def in_quiet_hours(local: time, start: time, end: time) -> bool:
    """Whether a local time of day falls in the quiet hours [start, end) (which may wrap
    midnight: 21:00–07:00). Equal start and end: no quiet hours."""
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def not_before(now: datetime, zone: tzinfo, start: time, end: time) -> datetime | None:
    """When a message created at `now` (aware) may go out: None (at once) outside the quiet
    hours, else the end of the quiet hours that day or the next morning, in `zone`."""
    local = now.astimezone(zone)
    if not in_quiet_hours(local.timetz().replace(tzinfo=None), start, end):
        return None
    morning = datetime.combine(local.date(), end, tzinfo=zone)
    if morning <= local:
        morning = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=zone)
    return morning

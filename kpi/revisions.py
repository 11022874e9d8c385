"""Revisions: every figure keeps its history; the current value is the newest revision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from kpi.periods import Period


class Source(StrEnum):
    """Where a figure came from."""

    CHAT = "chat"
    IMPORT = "import"
    SANDBOX = "sandbox"
    CLI = "cli"


@dataclass(frozen=True, slots=True)
class Author:
    """Who made a revision: `id` is stable ("tg:123456", "cli:alice"), `name` is for people."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Revision:
    unit: str
    element: str
    period: Period
    value: int
    author: Author
    source: Source
    at: datetime  # UTC, time-zone aware
    reason: str | None = None
    number: int = 0  # 1 for the first revision of a (unit, element, period), then 2, 3...
    previous: int | None = None  # the value it replaced, if any

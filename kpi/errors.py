"""The domain's exceptions, in one place.

DomainError
├── UnknownUnitError, AmbiguousUnitError      a unit named by a person
├── UnknownElementError, UnknownIndicatorError
├── PeriodError                               a period that cannot be parsed or is out of range
├── CountError                                a count typed by a person
└── FigureError                               a figure that breaks a rule (overlap, kind, value)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kpi.units import Unit


class DomainError(ValueError):
    """Something a person can cause and correct: the message says what was expected."""


class UnknownUnitError(DomainError):
    def __init__(self, text: str) -> None:
        super().__init__(f"no unit is named or coded {text!r}")
        self.text = text


class AmbiguousUnitError(DomainError):
    def __init__(self, text: str, candidates: list[Unit]) -> None:
        names = "; ".join(f"{u.code} ({u.name.vi})" for u in candidates)
        super().__init__(f"{text!r} names several units: {names}; give the code")
        self.text = text
        self.candidates = candidates


class UnknownElementError(DomainError):
    def __init__(self, code: str) -> None:
        super().__init__(f"no data element has the code {code!r}")
        self.code = code


class UnknownIndicatorError(DomainError):
    def __init__(self, code: str) -> None:
        super().__init__(f"no indicator has the code {code!r}")
        self.code = code


class PeriodError(DomainError):
    """A period that cannot be read, e.g. '2022-13' or 'Q5'."""


class CountError(DomainError):
    """A count typed by a person that is not a whole, non-negative, plausible number."""

    def __init__(self, reason: str, text: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.text = text


class FigureError(DomainError):
    """A figure that cannot be kept as given."""

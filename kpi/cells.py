"""A figure's value from a cell of a file: text is read as a person's typing is (parse_count,
parse_flag); a number a workbook holds gets the same limits; nothing else is a figure."""

from __future__ import annotations

import math
from decimal import Decimal

from kpi.elements import ElementKind
from kpi.errors import CountError, FigureError
from kpi.numbers import MAX_COUNT, CountProblem, parse_count, parse_flag


def cell_value(cell: object, kind: ElementKind) -> int:
    """The count (or 1/0 for a yes/no element) a cell gives; CountError or FigureError with
    the reason otherwise. A yes/no cell (TRUE/FALSE) is a flag, never a count."""
    if isinstance(cell, bool):
        if kind is ElementKind.FLAG:
            return int(cell)
        raise FigureError(f"a yes/no cell ({cell}) is not a count; expected a whole number")
    if isinstance(cell, int | float | Decimal):
        return _number(cell, kind)
    text = "" if cell is None else str(cell)
    return parse_flag(text) if kind is ElementKind.FLAG else parse_count(text)


def _number(cell: float | Decimal, kind: ElementKind) -> int:
    text = str(cell)
    if isinstance(cell, float | Decimal) and not math.isfinite(cell):
        raise CountError(CountProblem.MALFORMED, text)
    if cell < 0:
        raise CountError(CountProblem.NEGATIVE, text)
    if cell > MAX_COUNT:
        raise CountError(CountProblem.TOO_LARGE, text)
    if cell != int(cell):
        raise CountError(CountProblem.DECIMAL, text)
    value = int(cell)
    if kind is ElementKind.FLAG and value not in (0, 1):
        raise FigureError(f"a yes/no figure is 1 or 0, not {value}")
    return value

"""The report workbook's sheet of sections and officials (Article 2.1): each share handed down
within the report's period, with its target, what was reported and its state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

from i18n.texts import element_name
from i18n.translations import Translator
from kpi.sections import ShareLine, ShareState
from services.export import Report


def shares_sheet(
    book: Workbook, report: Report, shares: Sequence[ShareLine], t: Translator, tz: str
) -> Any:
    from documents.workbook import COUNT_FORMAT, FIRST_ROW, HEADER_ROW, _header, _new_sheet, _put

    sheet = _new_sheet(
        book,
        t._("Sections and officials"),
        report,
        t._("Targets handed down to sections and officials (Article 2.1)"),
        t,
        tz,
    )
    headers = [
        t._("No."),
        t._("Section or official"),
        t._("Kind"),
        t._("Element"),
        t._("Period"),
        t._("Target"),
        t._("Reported"),
        t._("More needed"),
        t._("Assessment"),
    ]
    widths = (6, 30, 12, 36, 12, 12, 12, 12, 16)
    for column, (header, width) in enumerate(zip(headers, widths, strict=True), 1):
        _header(sheet, HEADER_ROW, column, header)
        sheet.column_dimensions[chr(ord("A") + column - 1)].width = width
    states = {
        ShareState.MET: t._("met"),
        ShareState.BELOW: t._("below target"),
        ShareState.NO_DATA: t._("no figure yet"),
    }
    for number, line in enumerate(shares, 1):
        row = FIRST_ROW + number - 2
        kind = t._("section") if line.holder.startswith("s:") else t._("official")
        _put(sheet, row, 1, number)
        _put(sheet, row, 2, line.name)
        _put(sheet, row, 3, kind)
        _put(sheet, row, 4, element_name(report.catalogue, line.element, t.language))
        _put(sheet, row, 5, line.period_key)
        _put(sheet, row, 6, line.target, COUNT_FORMAT)
        _put(sheet, row, 7, line.value, COUNT_FORMAT)
        _put(sheet, row, 8, line.missing, COUNT_FORMAT)
        _put(sheet, row, 9, states[line.state])
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=3)
    return sheet

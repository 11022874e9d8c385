"""The quarterly report (services.export.Report) as an .xlsx workbook or a .csv file.

Workbook: one sheet per section of the annex and one in the shape of the Government Office's
form for dossiers. Each sheet: a title (unit, period with its days, section), the time it was
made (province time, naive: openpyxl refuses aware datetimes), two bold wrapped header rows,
frozen below the headers and right of the unit columns, then one row per unit. Figures are
numbers with a number format, never text: counts `#,##0`; rates and targets fractions shown as
percentages (`0.00%`). A rate is stored as `chitieu status` shows it: rounded half-up to two
decimals, more where two would make it read equal to its target. Vietnamese decimal commas are
the reader's locale's business (Excel, LibreOffice), not the file's.

CSV (for further processing): the section rows only, one line per unit and indicator line, UTF-8
with a byte-order mark (so that Excel reads the Vietnamese letters), headers in the chosen
language, numbers bare (no thousands separator, a point before decimals), rates and targets in
percent as `chitieu status --format json` gives them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from i18n import texts
from i18n.formatting import TIMEZONE
from i18n.translations import N_, Translator, translator
from kpi.attainment import Attainment, Status
from kpi.errors import DomainError
from kpi.indicators import Binding
from kpi.sections import ShareLine
from kpi.units import Level, Unit, UnitTree
from services.export import Column, DossierRow, Report, SectionSheet, UnitRow

COUNT_FORMAT: Final = "#,##0"
MOMENT_FORMAT: Final = "hh:mm dd/mm/yyyy"
TITLE_ROWS: Final = 3  # title, section or form, time made; a blank row; then the headers
HEADER_ROW: Final = 5
FIRST_ROW: Final = HEADER_ROW + 2
FIXED_WIDTHS: Final = (6, 36, 14, 26, 24)  # No., unit, level, under, code
FIGURE_WIDTH: Final = 12
STATUS_WIDTH: Final = 16
PAGE_WIDTH: Final = 200  # characters of column width printed across a landscape A4 page
MAX_SHEET_NAME: Final = 31  # Excel's limit

SUFFIXES: Final = (".xlsx", ".csv")
XLSX_MIME: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

STATUS_LABELS: Mapping[Status, str] = {
    Status.MET: N_("Met"),
    Status.BELOW_TARGET: N_("Below target"),
    Status.BELOW_FLOOR: N_("Below the floor"),
    Status.NO_DATA: N_("No data"),
    Status.NOTHING_AROSE: N_("Nothing arose"),
    Status.NO_TARGET: N_("Tracked, no target"),
}
STATUS_FILLS: Mapping[Status, str] = {
    Status.MET: "E2EFDA",
    Status.BELOW_TARGET: "FFF2CC",
    Status.BELOW_FLOOR: "F8CBAD",
}
FIXED_HEADERS = (N_("No."), N_("Unit"), N_("Level"), N_("Under"), N_("Unit code"))
LINE_HEADERS = (
    N_("Numerator"),
    N_("Denominator"),
    N_("Rate"),
    N_("Target"),
    N_("Assessment"),
    N_("More needed"),
)
STATUS_COLUMN: Final = 4  # of LINE_HEADERS: the assessment, in words
EACH_UNIT_HEADERS = (N_("Units meeting it"), N_("Units with data"))

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=13)
WRAPPED = Alignment(wrap_text=True, vertical="center", horizontal="center")
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


class UnsupportedFormatError(DomainError):
    """The output's name ends neither in .xlsx nor in .csv."""


def output_format(name: str) -> str:
    """ "xlsx" or "csv" from a file name; UnsupportedFormatError otherwise."""
    lowered = name.lower()
    for suffix in SUFFIXES:
        if lowered.endswith(suffix):
            return suffix[1:]
    raise UnsupportedFormatError(
        f"{name!r}: the report is written as .xlsx or .csv; name the file so"
    )


def report_filename(report: Report, language: str, suffix: str = "xlsx") -> str:
    """ "bao-cao-dak-glei-2022-Q2.xlsx" (Vietnamese) or "report-dak-glei-2022-Q2.xlsx"."""
    stem = "report" if language == "en" else "bao-cao"
    return f"{stem}-{report.unit.code}-{report.period.key}.{suffix}"


def local_naive(moment: datetime, timezone: str = TIMEZONE) -> datetime:
    """An aware moment as the province's wall-clock time, without a zone (for openpyxl)."""
    if moment.tzinfo is None:
        raise ValueError("local_naive() needs an aware datetime")
    return moment.astimezone(ZoneInfo(timezone)).replace(tzinfo=None, microsecond=0)


def percent_format(decimals: int) -> str:
    return "0." + "0" * decimals + "%" if decimals else "0%"


def limit_decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def shown_rate(a: Attainment) -> tuple[Decimal | None, int]:
    """The rate in percent as the bot shows it, and its decimals."""
    decimals = a.display_decimals()
    return a.rate_percent(decimals), decimals


def column_title(column: Column, t: Translator) -> str:
    """ "III.2 Hồ sơ trực tuyến trên tổng số hồ sơ", with the level on a by-level line."""
    title = f"{column.indicator.code} {column.indicator.short.get(t.language)}"
    if column.level is not None:
        title += f" ({texts.level_name(column.level, t)})"
    return title


def line_headers(column: Column) -> tuple[str, ...]:
    if column.indicator.binding is Binding.EACH_UNIT:
        return LINE_HEADERS + EACH_UNIT_HEADERS
    return LINE_HEADERS


# --- the workbook -----------------------------------------------------------------------------


def workbook_bytes(
    report: Report,
    language: str = "vi",
    timezone: str = TIMEZONE,
    shares: Sequence[ShareLine] = (),
) -> bytes:
    """The report as an .xlsx file's bytes; `shares`: a sheet of the unit's sections and
    officials (documents.workbook_shares), when it handed targets down."""
    t = translator(language)
    book = Workbook()
    first = book.active
    if first is not None:
        book.remove(first)
    for sheet in report.sections:
        _section_sheet(book, report, sheet, t, timezone)
    _dossier_sheet(book, report, t, timezone)
    _figures_sheet(book, report, t)
    if shares:
        from documents.workbook_shares import shares_sheet

        shares_sheet(book, report, shares, t, timezone)
    book.properties.title = _title(report, t)
    book.properties.creator = "Chỉ tiêu"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


FIGURE_COLUMNS: Final = ("unit", "element", "period", "value", "note")


def _figures_sheet(book: Workbook, report: Report, t: Translator) -> None:
    """The figures filed, one per row in the import's columns (codes first, names after): a
    cell edited here and the workbook sent back to the bot corrects that figure."""
    sheet = book.create_sheet(t._("Figures")[:MAX_SHEET_NAME])
    names = (t._("Unit name"), t._("Data element"))
    for index, title in enumerate((*FIGURE_COLUMNS, *names), start=1):
        _header(sheet, 1, index, title)
    catalogue = report.catalogue
    for row, figure in enumerate(report.figures, start=2):
        sheet.cell(row=row, column=1, value=figure.unit)
        sheet.cell(row=row, column=2, value=figure.element)
        sheet.cell(row=row, column=3, value=figure.period.key)
        sheet.cell(row=row, column=4, value=figure.value).number_format = COUNT_FORMAT
        if figure.unit in catalogue.units:
            sheet.cell(
                row=row, column=6, value=catalogue.units.get(figure.unit).name.get(t.language)
            )
        if figure.element in catalogue.elements:
            element = catalogue.element(figure.element)
            sheet.cell(row=row, column=7, value=element.short.get(t.language))
    for index, width in enumerate((20, 30, 10, 12, 24, 30, 36), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"


def _title(report: Report, t: Translator) -> str:
    return t._(
        "Report on the targets: {unit}, {period}",
        unit=report.unit.name.get(t.language),
        period=texts.period_heading(report.period, report.catalogue, t),
    )


def _new_sheet(
    book: Workbook, name: str, report: Report, subtitle: str, t: Translator, tz: str
) -> Any:
    sheet = book.create_sheet(name[:MAX_SHEET_NAME])
    sheet["A1"] = _title(report, t)
    sheet["A1"].font = TITLE
    sheet["A2"] = subtitle
    sheet["A2"].font = BOLD
    sheet["A3"] = t._("Made at (province time):")
    sheet["D3"] = local_naive(report.generated_at, tz)
    sheet["D3"].number_format = MOMENT_FORMAT
    sheet["D3"].alignment = Alignment(horizontal="left")
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW + 1}"
    sheet.print_title_cols = "A:B"
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    return sheet


def _fixed_headers(sheet: Any, t: Translator) -> None:
    for index, (header, width) in enumerate(zip(FIXED_HEADERS, FIXED_WIDTHS, strict=True), 1):
        _header(sheet, HEADER_ROW, index, t._(header))
        _header(sheet, HEADER_ROW + 1, index, None)
        sheet.merge_cells(
            start_row=HEADER_ROW, start_column=index, end_row=HEADER_ROW + 1, end_column=index
        )
        sheet.column_dimensions[get_column_letter(index)].width = width


def _group_headers(
    sheet: Any, column: int, title: str, subtitles: Sequence[str], wide: int | None = None
) -> int:
    """A group title over its columns' titles, from `column` (the `wide`-th of them wider, for
    words); the next free column."""
    for offset, subtitle in enumerate(subtitles):
        _header(sheet, HEADER_ROW, column + offset, title if offset == 0 else None)
        _header(sheet, HEADER_ROW + 1, column + offset, subtitle)
        width = STATUS_WIDTH if offset == wide else FIGURE_WIDTH
        sheet.column_dimensions[get_column_letter(column + offset)].width = width
    last = column + len(subtitles) - 1
    if last > column:
        sheet.merge_cells(
            start_row=HEADER_ROW, start_column=column, end_row=HEADER_ROW, end_column=last
        )
    return last + 1


def _header(sheet: Any, row: int, column: int, value: str | None) -> None:
    cell = sheet.cell(row=row, column=column, value=value)
    cell.font = BOLD
    cell.alignment = WRAPPED
    cell.border = BOX
    cell.fill = HEADER_FILL


def _finish_headers(sheet: Any, columns: int) -> None:
    """Row heights, frozen panes, and printing: as many pages across as the width needs (about
    PAGE_WIDTH characters of columns a landscape page), as many down as the rows need."""
    sheet.row_dimensions[HEADER_ROW].height = 60
    sheet.row_dimensions[HEADER_ROW + 1].height = 45
    sheet.freeze_panes = sheet.cell(row=FIRST_ROW, column=len(FIXED_HEADERS) + 1)
    width = sum(FIXED_WIDTHS) + FIGURE_WIDTH * (columns - len(FIXED_HEADERS))
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = max(1, -(-width // PAGE_WIDTH))
    sheet.page_setup.fitToHeight = 0


def _put(sheet: Any, row: int, column: int, value: Any, number_format: str | None = None) -> Any:
    cell = sheet.cell(row=row, column=column, value=value)
    cell.border = BOX
    if number_format is not None:
        cell.number_format = number_format
    return cell


def level_label(tree: UnitTree, level: Level, language: str) -> str:
    """A unit's kind as its catalogue names it ("Cấp xã" / "Commune")."""
    assert tree.levels is not None
    return tree.levels.get(level).unit.get(language)


def _unit_cells(
    sheet: Any, row: int, number: int, unit: Unit, depth: int, report: Report, t: Translator
) -> None:
    tree = report.catalogue.units
    parent = None
    if depth and unit.parent is not None and unit.parent in tree:
        parent = tree.get(unit.parent).name.get(t.language)
    _put(sheet, row, 1, number, COUNT_FORMAT)
    name = _put(sheet, row, 2, unit.name.get(t.language))
    name.alignment = Alignment(indent=depth, wrap_text=True, vertical="center")
    if depth == 0:
        name.font = BOLD
    _put(sheet, row, 3, level_label(tree, unit.level, t.language))
    _put(sheet, row, 4, parent)
    _put(sheet, row, 5, unit.code)


def _section_sheet(
    book: Workbook, report: Report, section: SectionSheet, t: Translator, tz: str
) -> None:
    sheet = _new_sheet(
        book,
        t._("Section {code}", code=section.section.code),
        report,
        t._(
            "Section {code}. {name}",
            code=section.section.code,
            name=section.section.name.get(t.language),
        ),
        t,
        tz,
    )
    _fixed_headers(sheet, t)
    column = len(FIXED_HEADERS) + 1
    starts = []
    for group in section.columns:
        starts.append(column)
        column = _group_headers(
            sheet,
            column,
            column_title(group, t),
            [t._(h) for h in line_headers(group)],
            wide=STATUS_COLUMN,
        )
    _finish_headers(sheet, column - 1)
    for number, row in enumerate(section.rows, 1):
        at = FIRST_ROW + number - 1
        _unit_cells(sheet, at, number, row.unit, row.depth, report, t)
        for group, start in zip(section.columns, starts, strict=True):
            _line_cells(sheet, at, start, group, row, t)


def _line_cells(
    sheet: Any, row: int, start: int, column: Column, unit_row: UnitRow, t: Translator
) -> None:
    width = len(line_headers(column))
    line = unit_row.lines.get(column.key)
    if line is None:  # this unit has no such line (another level's): an empty, boxed group
        for offset in range(width):
            _put(sheet, row, start + offset, None)
        return
    a = line.attainment
    rate, decimals = shown_rate(a)
    target = a.target
    _put(sheet, row, start, a.numerator, COUNT_FORMAT)
    _put(sheet, row, start + 1, a.denominator, COUNT_FORMAT)
    _put(sheet, row, start + 2, None if rate is None else rate / 100, percent_format(decimals))
    _put(
        sheet,
        row,
        start + 3,
        None if target is None else target / 100,
        percent_format(0 if target is None else limit_decimals(target)),
    )
    status = _put(sheet, row, start + 4, t._(STATUS_LABELS[a.status]))
    if a.status in STATUS_FILLS:
        status.fill = PatternFill("solid", fgColor=STATUS_FILLS[a.status])
    needed: Any = a.needed if a.reachable else t._("no longer reachable in this period")
    cell = _put(sheet, row, start + 5, needed, COUNT_FORMAT)
    if not a.reachable:
        cell.alignment = Alignment(wrap_text=True)
    if width > len(LINE_HEADERS):
        _put(sheet, row, start + 6, a.units_met, COUNT_FORMAT)
        _put(sheet, row, start + 7, a.units_judged, COUNT_FORMAT)


DOSSIER_RECEIVED = (N_("Total"), N_("Online"), N_("In person or by post"))
DOSSIER_RESOLVED = (N_("Total"), N_("Early"), N_("On time"), N_("Late"))


def dossier_values(row: DossierRow) -> tuple[int | None, ...]:
    """The form's figures of a row, in its column order."""
    return (
        row.received,
        row.received_online,
        row.received_in_person_or_post,
        row.resolved,
        row.resolved_early,
        row.resolved_on_time,
        row.resolved_late,
    )


def _dossier_sheet(book: Workbook, report: Report, t: Translator, tz: str) -> None:
    sheet = _new_sheet(
        book,
        t._("Dossiers (form)"),
        report,
        t._("Receiving and resolving administrative-procedure dossiers (Government Office form)"),
        t,
        tz,
    )
    _fixed_headers(sheet, t)
    column = len(FIXED_HEADERS) + 1
    column = _group_headers(
        sheet, column, t._("Dossiers received"), [t._(h) for h in DOSSIER_RECEIVED]
    )
    column = _group_headers(
        sheet, column, t._("Dossiers resolved"), [t._(h) for h in DOSSIER_RESOLVED]
    )
    _finish_headers(sheet, column - 1)
    for number, row in enumerate(report.dossiers, 1):
        at = FIRST_ROW + number - 1
        _unit_cells(sheet, at, number, row.unit, row.depth, report, t)
        for offset, value in enumerate(dossier_values(row)):
            _put(sheet, at, len(FIXED_HEADERS) + 1 + offset, value, COUNT_FORMAT)


# --- CSV --------------------------------------------------------------------------------------

CSV_HEADERS = (
    N_("Section"),
    N_("Unit code"),
    N_("Unit"),
    N_("Level"),
    N_("Under"),
    N_("Indicator"),
    N_("Line of level"),
    N_("Numerator"),
    N_("Denominator"),
    N_("Rate (%)"),
    N_("Target (%)"),
    N_("Assessment"),
    N_("More needed"),
    N_("Units meeting it"),
    N_("Units with data"),
)


def csv_rows(report: Report, language: str = "vi") -> Iterable[list[Any]]:
    """The header, then one row per unit and indicator line, section by section."""
    t = translator(language)
    yield [t._(h) for h in CSV_HEADERS]
    for section in report.sections:
        for row in section.rows:
            unit = row.unit
            parent = unit.parent if row.depth and unit.parent is not None else ""
            for column in section.columns:
                line = row.lines.get(column.key)
                if line is None:
                    continue
                a = line.attainment
                rate, _decimals = shown_rate(a)
                yield [
                    section.section.code,
                    unit.code,
                    unit.name.get(language),
                    level_label(report.catalogue.units, unit.level, language),
                    parent,
                    column.indicator.code,
                    "" if column.level is None else column.level,
                    _bare(a.numerator),
                    _bare(a.denominator),
                    _bare(rate),
                    _bare(a.target),
                    t._(STATUS_LABELS[a.status]),
                    _bare(a.needed) if a.reachable else t._("no longer reachable in this period"),
                    _bare(a.units_met),
                    _bare(a.units_judged),
                ]


def _bare(value: int | Decimal | None) -> str:
    return "" if value is None else str(value)


def csv_bytes(report: Report, language: str = "vi") -> bytes:
    """The section rows as CSV: UTF-8 with a byte-order mark, CRLF line ends."""
    text = io.StringIO()
    csv.writer(text).writerows(csv_rows(report, language))
    return text.getvalue().encode("utf-8-sig")


def report_bytes(
    report: Report, file_format: str, language: str = "vi", shares: Sequence[ShareLine] = ()
) -> bytes:
    """The report in `file_format` ("xlsx" or "csv"; the shares' sheet only in a workbook)."""
    if file_format == "xlsx":
        return workbook_bytes(report, language, shares=shares)
    if file_format == "csv":
        return csv_bytes(report, language)
    raise UnsupportedFormatError(f"no writer for {file_format!r}")


__all__ = [
    "XLSX_MIME",
    "UnsupportedFormatError",
    "csv_bytes",
    "csv_rows",
    "dossier_values",
    "local_naive",
    "output_format",
    "report_bytes",
    "report_filename",
    "workbook_bytes",
]

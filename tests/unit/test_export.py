"""The report's data (services.export) on fakes, and its workbook and CSV (documents.workbook)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import openpyxl
import pytest

from documents.workbook import (
    UnsupportedFormatError,
    csv_bytes,
    local_naive,
    output_format,
    report_filename,
    workbook_bytes,
)
from kpi.catalogue import Catalogue
from kpi.periods import Period
from kpi.revisions import Author, Source
from services.export import Report, build_report, report_units
from services.figures import submit_figures
from services.ports import UnitOfWork
from services.status import unit_status
from tests.fakes import FakeState, FakeUnitOfWork

ALICE = Author("cli:alice", "Alice")
NOW = datetime(2022, 6, 10, 2, 30, tzinfo=UTC)  # 09:30 in Kon Tum
Q2 = Period.parse("2022-Q2")


def store() -> Callable[[], UnitOfWork]:
    state = FakeState()
    return lambda: FakeUnitOfWork(state)


async def submit(
    uow: Callable[[], UnitOfWork], catalogue: Catalogue, unit: str, period: str, **values: int
) -> None:
    await submit_figures(uow, catalogue, unit, Period.parse(period), values, ALICE, Source.CLI)


async def seeded(catalogue: Catalogue) -> Callable[[], UnitOfWork]:
    uow = store()
    dossiers = {
        "dossiers_received": 1_000,
        "dossiers_received_online": 120,
        "dossiers_resolved": 900,
        "dossiers_resolved_early": 500,
        "dossiers_resolved_on_time": 390,
        "dossiers_resolved_late": 10,
    }
    await submit(uow, catalogue, "so-y-te", "2022-04", **dossiers)
    await submit(
        uow, catalogue, "dak-glei", "2022-05", **{k: v // 10 for k, v in dossiers.items()}
    )
    await submit(
        uow,
        catalogue,
        "xop",
        "2022-05",
        dossiers_received=40,
        dossiers_received_online=4,
        cert_dossiers=20,
        e_cert_dossiers=1,
    )
    return uow


async def report_of(catalogue: Catalogue, unit: str, uow: Callable[[], UnitOfWork]) -> Report:
    async with uow() as u:
        return await build_report(u, catalogue, unit, Q2, NOW)


def test_rows_are_the_unit_its_children_then_theirs_grouped_under_each(
    kontum: Catalogue,
) -> None:
    tree = kontum.units
    ordered = report_units(tree, "kon-tum")
    assert ordered[0] == (tree.root, 0)
    children = tree.children("kon-tum")
    assert [u for u, _ in ordered[1 : 1 + len(children)]] == children
    rest = [u for u, _ in ordered[1 + len(children) :]]
    districts = [c for c in children if c.level == "district"]
    assert rest == [g for d in districts for g in tree.children(d.code)]
    assert {depth for u, depth in ordered if u.level == "commune"} == {2}
    assert [u.code for u, _ in report_units(tree, "xop")] == ["xop"]


async def test_every_line_of_every_row_is_what_status_gives_for_that_unit(
    kontum: Catalogue,
) -> None:
    uow = await seeded(kontum)
    report = await report_of(kontum, "kon-tum", uow)
    assert [s.section.code for s in report.sections] == ["I", "II", "III", "IV", "V"]
    compared = 0
    async with uow() as u:
        for sheet in report.sections:
            for row in sheet.rows:
                expected = {
                    (line.indicator.code, line.level): line
                    for line in await unit_status(u, kontum, row.unit.code, Q2)
                    if line.indicator.section == sheet.section.code
                }
                assert dict(row.lines) == expected
                compared += len(expected)
    assert compared > 1_000


async def test_a_section_lists_only_the_units_judged_on_it(kontum: Catalogue) -> None:
    report = await report_of(kontum, "kon-tum", store())
    sections = {s.section.code: s for s in report.sections}
    assert [r.unit.code for r in sections["I"].rows] == ["kon-tum"]
    assert {r.unit.level for r in sections["II"].rows} == {"province", "department"}
    v1 = [(c.indicator.code, c.level) for c in sections["V"].columns]
    assert v1 == [("V.1", "department"), ("V.1", "district"), ("V.1", "commune")]
    commune = await report_of(kontum, "xop", store())
    assert [s.section.code for s in commune.sections] == ["III", "IV", "V"]


async def test_the_dossier_form_sums_the_subtree_and_splits_received(kontum: Catalogue) -> None:
    report = await report_of(kontum, "kon-tum", await seeded(kontum))
    rows = {r.unit.code: r for r in report.dossiers}
    province = rows["kon-tum"]
    assert province.received == 1_000 + 100 + 40
    assert province.received_online == 120 + 12 + 4
    assert province.received_in_person_or_post == 1_140 - 136
    assert (province.resolved, province.resolved_early) == (990, 550)
    assert (province.resolved_on_time, province.resolved_late) == (429, 11)
    assert rows["dak-glei"].received == 140
    assert rows["xop"].resolved is None
    assert rows["kon-tum-city"].received is None
    assert rows["kon-tum-city"].received_in_person_or_post is None


async def test_the_workbook_has_numbers_formats_frozen_headers_and_vietnamese_titles(
    kontum: Catalogue,
) -> None:
    report = await report_of(kontum, "dak-glei", await seeded(kontum))
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(report, "vi")))
    assert book.sheetnames == ["Mục III", "Mục IV", "Mục V", "Hồ sơ TTHC (biểu mẫu)", "Số liệu"]
    figures = book["Số liệu"]  # the figures filed, in the import's columns: edited, sent back
    assert [c.value for c in figures[1]][:4] == ["unit", "element", "period", "value"]
    assert all(isinstance(row[3], int) for row in figures.iter_rows(min_row=2, values_only=True))
    sheet = book["Mục III"]
    assert sheet["A1"].value.startswith("Báo cáo kết quả thực hiện chỉ tiêu: Huyện Đăk Glei")
    assert "Quý 2/2022 (15/03/2022 – 14/06/2022)" in sheet["A1"].value
    assert sheet["D3"].value == datetime(2022, 6, 10, 9, 30)  # noqa: DTZ001 - naive local
    assert sheet.freeze_panes == "F7"
    assert sheet["B5"].value == "Đơn vị"
    assert sheet["B5"].font.bold
    assert sheet["B5"].alignment.wrap_text
    headers = [sheet.cell(6, c).value for c in range(6, 12)]
    assert headers == ["Tử số", "Mẫu số", "Tỷ lệ", "Chỉ tiêu giao", "Đánh giá", "Cần thêm"]
    titles = [sheet.cell(5, c).value for c in range(6, sheet.max_column + 1)]
    iii2 = 6 + titles.index(next(t for t in titles if t and t.startswith("III.2 ")))
    assert sheet.cell(7, 2).value == "Huyện Đăk Glei"
    assert (sheet.cell(7, iii2).value, sheet.cell(7, iii2 + 1).value) == (16, 140)
    rate = sheet.cell(7, iii2 + 2)
    assert rate.value == pytest.approx(0.1143)
    assert rate.number_format == "0.00%"
    assert sheet.cell(7, iii2 + 3).value == pytest.approx(0.25)
    assert sheet.cell(7, iii2 + 3).number_format == "0%"
    assert sheet.cell(7, iii2 + 4).value == "Chưa đạt"
    assert sheet.cell(7, iii2 + 5).value == 26  # (16 + 26) / (140 + 26) ≥ 25 %
    assert sheet.cell(7, iii2).number_format == "#,##0"
    form = book["Hồ sơ TTHC (biểu mẫu)"]
    assert [form.cell(6, c).value for c in range(6, 13)] == [
        "Tổng số", "Trực tuyến", "Trực tiếp, dịch vụ bưu chính",
        "Tổng số", "Trước hạn", "Đúng hạn", "Quá hạn",
    ]  # fmt: skip
    assert [form.cell(7, c).value for c in range(6, 13)] == [140, 16, 124, 90, 50, 39, 1]


async def test_an_english_reader_gets_english_headers_and_names(kontum: Catalogue) -> None:
    report = await report_of(kontum, "dak-glei", store())
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(report, "en")))
    assert book.sheetnames[0] == "Section III"
    sheet = book["Section III"]
    assert sheet["B5"].value == "Unit"
    assert sheet["B7"].value == "Dak Glei District"
    assert sheet.cell(6, 6).value == "Numerator"
    assert report_filename(report, "en") == "report-dak-glei-2022-Q2.xlsx"
    assert report_filename(report, "vi") == "bao-cao-dak-glei-2022-Q2.xlsx"


async def test_a_rate_just_below_its_target_keeps_the_decimals_that_tell_them_apart(
    kontum: Catalogue,
) -> None:
    uow = store()
    await submit(
        uow, kontum, "so-y-te", "2022-04",
        dossiers_resolved=100_000, dossiers_resolved_early=0,
        dossiers_resolved_on_time=98_999, dossiers_resolved_late=1_001,
    )  # fmt: skip
    report = await report_of(kontum, "so-y-te", uow)
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(report, "vi")))
    sheet = book["Mục V"]
    assert sheet.cell(6, 8).value == "Tỷ lệ"
    rate = sheet.cell(7, 8)  # 98.999\u00a0% against 99\u00a0%: "99.00%" would read as met
    assert rate.number_format == "0.000%"
    assert rate.value == pytest.approx(0.98999)
    assert sheet.cell(7, 9).value == pytest.approx(0.99)
    assert sheet.cell(7, 10).value == "Chưa đạt"


async def test_the_csv_has_a_byte_order_mark_and_bare_numbers(kontum: Catalogue) -> None:
    report = await report_of(kontum, "dak-glei", await seeded(kontum))
    data = csv_bytes(report, "vi")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Mục", "Mã đơn vị", "Đơn vị"]
    line = next(r for r in rows if r[1] == "dak-glei" and r[5] == "III.2")
    assert line[7:13] == ["16", "140", "11.43", "25", "Chưa đạt", "26"]


def test_the_output_format_comes_from_the_file_name() -> None:
    assert output_format("Báo cáo.XLSX") == "xlsx"
    assert output_format("r.csv") == "csv"
    with pytest.raises(UnsupportedFormatError, match=r"\.xlsx or \.csv"):
        output_format("r.pdf")


def test_times_in_the_workbook_are_province_wall_clock_without_a_zone() -> None:
    assert local_naive(NOW) == datetime(2022, 6, 10, 9, 30)  # noqa: DTZ001 - naive local
    with pytest.raises(ValueError, match="aware"):
        local_naive(datetime(2022, 6, 10))  # noqa: DTZ001 - the naive input is the point


def test_targets_with_decimals_show_them() -> None:
    from documents.workbook import limit_decimals, percent_format

    assert percent_format(limit_decimals(Decimal("97.5"))) == "0.0%"
    assert percent_format(limit_decimals(Decimal(25))) == "0%"

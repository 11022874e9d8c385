"""`chitieu export`: every figure of the workbook (and of the CSV) is what `chitieu status`
gives for the same unit and period, on SQLite and PostgreSQL; bad arguments write nothing; the
workbook converts to PDF with LibreOffice (kept as tests/artifacts/export.pdf)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from cli.main import main
from tests.cli.test_cli import write_csv

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
LEVELS = {"cấp tỉnh": "province", "sở, ban ngành": "department", "cấp huyện": "district"}
LEVELS["cấp xã"] = "commune"
STATUSES = {
    "Đạt": "met",
    "Chưa đạt": "below_target",
    "Dưới mức sàn": "below_floor",
    "Chưa có số liệu": "no_data",
    "Không phát sinh": "nothing_arose",
    "Theo dõi, không giao chỉ tiêu": "no_target",
}
UNREACHABLE = "không còn đạt được trong kỳ này"
FORM = "Hồ sơ TTHC (biểu mẫu)"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def status(capsys: pytest.CaptureFixture[str], unit: str, period: str) -> dict[str, Any]:
    """`chitieu status --format json`, by "indicator" or "indicator/level"."""
    code, out, err = run(capsys, "status", "--unit", unit, "--period", period, "--format", "json")
    assert code == 0, err
    return {
        (r["indicator"] + (f"/{r['level']}" if r["level"] else "")): r for r in json.loads(out)
    }


def seed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Figures of a department, a district and two of its communes over two months of Q2."""
    run(capsys, "init")
    rows: list[list[Any]] = []
    for unit, scale in (("so-y-te", 10), ("dak-glei", 3), ("xop", 1), ("dak-blo", 2)):
        for month in ("2022-04", "2022-05"):
            rows += [
                [unit, "dossiers_received", month, 97 * scale],
                [unit, "dossiers_received_online", month, 23 * scale],
                [unit, "dossiers_resolved", month, 90 * scale],
                [unit, "dossiers_resolved_early", month, 40 * scale],
                [unit, "dossiers_resolved_on_time", month, 49 * scale],
                [unit, "dossiers_resolved_late", month, scale],
                [unit, "payment_transactions", month, 50 * scale],
                [unit, "payments_online_national", month, 7 * scale],
            ]
    rows += [
        ["dak-glei", "cert_dossiers", "2022-05", 80],
        ["dak-glei", "e_cert_dossiers", "2022-05", 9],
        ["dak-glei", "e_cert_provided", "2022-05", "có"],
        ["xop", "e_cert_provided", "2022-05", "không"],
        ["xop", "cert_dossiers", "2022-05", 30],
        ["xop", "e_cert_dossiers", "2022-05", 2],
        ["so-y-te", "tthc_online", "2022-05", 77],
        ["so-y-te", "tthc_online_with_dossiers", "2022-05", 30],
        ["so-y-te", "tthc_online_eligible", "2022-05", 90],
        ["kon-tum", "tthc_total", "2022-05", 1_757],
        ["kon-tum", "tthc_online", "2022-05", 1_020],
    ]
    code, _, err = run(capsys, "figures", "import", str(write_csv(tmp_path / "f.csv", rows)))
    assert code == 0, err


def groups(sheet: Any) -> list[tuple[str, int]]:
    """("III.2" or "V.1/district", first column) of each indicator line's group of columns."""
    found = []
    for column in range(6, sheet.max_column + 1):
        title = sheet.cell(5, column).value
        if not title:
            continue
        code = title.split(" ", 1)[0]
        level = next((v for k, v in LEVELS.items() if title.endswith(f"({k})")), None)
        found.append((f"{code}/{level}" if level else code, column))
    return found


def rate_matches(cell: Any, expected: float | None) -> bool:
    """The stored rate (a fraction) is the status's rate in percent, to its two decimals."""
    if expected is None:
        return cell.value is None
    decimals = cell.number_format.count("0") - 1
    assert decimals >= 2, cell.number_format
    return bool(abs(cell.value * 100 - expected) <= 0.005 + 1e-9)


def check_line(row: tuple[Any, ...], column: int, line: dict[str, Any]) -> None:
    cells = row[column - 1 : column + 7]
    numerator, denominator, rate, target, assessment, needed = cells[:6]
    assert numerator.value == line["numerator"]
    assert denominator.value == line["denominator"]
    assert rate_matches(rate, line["rate"]), (rate.value, line)
    assert (target.value * 100 if target.value is not None else None) == pytest.approx(
        line["target"]
    )
    assert STATUSES[assessment.value] == line["status"]
    assert needed.value == (line["needed"] if line["reachable"] else UNREACHABLE)
    if line["units_judged"] is not None:
        assert (cells[6].value, cells[7].value) == (line["units_met"], line["units_judged"])


def check_workbook(
    capsys: pytest.CaptureFixture[str], path: Path, period: str, only: set[str] | None = None
) -> int:
    """Every line of every (or each `only`) unit's row against `chitieu status`; how many."""
    book = openpyxl.load_workbook(path)
    checked = 0
    statuses: dict[str, dict[str, Any]] = {}
    for sheet in book.worksheets:
        if not sheet.title.startswith("Mục "):
            continue  # the form and the figures in the import's columns are checked elsewhere
        columns = groups(sheet)
        for row in sheet.iter_rows(min_row=7):
            code = row[4].value
            if only is not None and code not in only:
                continue
            if code not in statuses:
                statuses[code] = status(capsys, code, period)
            lines = statuses[code]
            section = sheet.title.removeprefix("Mục ")
            mine = {k for k, v in lines.items() if k.split(".")[0] == section}
            shown = set()
            for key, column in columns:
                if row[column + 3].value is None:
                    continue  # no assessment: this unit has no such line (another level's)
                check_line(row, column, lines[key])
                shown.add(key)
                checked += 1
            assert shown == mine, (code, sheet.title)
    form = book[FORM]
    for row in form.iter_rows(min_row=7, values_only=True):
        code = row[4]
        if code not in statuses:
            continue
        received, online, offline, resolved, early, on_time, late = row[5:12]
        lines = statuses[code]
        iii2 = lines["III.2"]
        assert (received, online) == (iii2["denominator"], iii2["numerator"])
        assert offline == (None if received is None else received - (online or 0))
        v1 = [v for k, v in lines.items() if k.split("/")[0] == "V.1"]
        if all(v["denominator"] is None for v in v1):
            continue
        assert resolved == sum(v["denominator"] or 0 for v in v1)
        assert early + on_time == sum(v["numerator"] or 0 for v in v1)
        assert late == resolved - early - on_time
        checked += 1
    return checked


def test_every_figure_of_a_districts_workbook_is_what_status_gives(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    seed(capsys, tmp_path)
    output = tmp_path / "dak-glei.xlsx"
    code, out, err = run(
        capsys,
        "export",
        "--unit",
        "Huyện Đắk Glei",
        "--period",
        "2022-Q2",
        "--output",
        str(output),
    )
    assert code == 0, err
    assert "dak-glei" in out
    checked = check_workbook(capsys, output, "2022-Q2")
    assert checked > 13 * 10  # 13 units, every line of each


def test_the_provinces_workbook_agrees_with_status_where_there_are_figures(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    seed(capsys, tmp_path)
    output = tmp_path / "kon-tum.xlsx"
    code, _, err = run(
        capsys, "export", "--unit", "kon-tum", "--period", "2022-H1", "--output", str(output)
    )
    assert code == 0, err
    book = openpyxl.load_workbook(output)
    assert book.sheetnames == ["Mục I", "Mục II", "Mục III", "Mục IV", "Mục V", FORM, "Số liệu"]
    assert book["Mục III"].max_row == 6 + 133  # every unit is judged on section III
    units = {"kon-tum", "so-y-te", "dak-glei", "xop", "dak-blo", "so-tu-phap", "kon-tum-city"}
    assert check_workbook(capsys, output, "2022-H1", units) > 40


def test_the_csv_carries_the_same_figures(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    seed(capsys, tmp_path)
    output = tmp_path / "dak-glei.csv"
    code, _, err = run(
        capsys, "export", "--unit", "dak-glei", "--period", "2022-Q2", "--output", str(output)
    )
    assert code == 0, err
    data = output.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(data.decode("utf-8-sig").splitlines()))
    assert rows
    statuses: dict[str, dict[str, Any]] = {}
    for row in rows:
        unit = row["Mã đơn vị"]
        if unit not in statuses:
            statuses[unit] = status(capsys, unit, "2022-Q2")
        key = row["Chỉ tiêu"] + (f"/{row['Dòng theo cấp']}" if row["Dòng theo cấp"] else "")
        line = statuses[unit][key]

        def number(text: str) -> float | None:
            return float(text) if text else None

        assert number(row["Tử số"]) == line["numerator"]
        assert number(row["Mẫu số"]) == line["denominator"]
        rate = number(row["Tỷ lệ (%)"])
        assert rate == line["rate"] or abs((rate or 0) - line["rate"]) <= 0.005
        assert number(row["Chỉ tiêu giao (%)"]) == line["target"]
        assert STATUSES[row["Đánh giá"]] == line["status"]
        needed = row["Cần thêm"]
        expected = "" if line["needed"] is None else str(line["needed"])
        assert needed == (expected if line["reachable"] else UNREACHABLE)
    assert len(statuses) == 13


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--unit", "dak-glei", "--period", "2022-Q2", "--output", "{dir}/r.pdf"],
            ".xlsx or .csv",
        ),
        (["--unit", "Atlantis", "--period", "2022-Q2", "--output", "{dir}/r.xlsx"], "Atlantis"),
        (["--unit", "dak-glei", "--period", "2022-Q5", "--output", "{dir}/r.xlsx"], "period"),
        (["--unit", "dak-glei", "--period", "2022-Q2", "--output", "{dir}/no/r.xlsx"], "no/r"),
    ],
)
def test_bad_arguments_are_told_and_nothing_is_written(
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    argv: list[str],
    message: str,
) -> None:
    run(capsys, "init")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, _, err = run(capsys, "export", *[a.format(dir=out_dir) for a in argv])
    assert code != 0
    assert message in err
    assert list(out_dir.iterdir()) == []


# --- LibreOffice ------------------------------------------------------------------------------


def libreoffice() -> str:
    """The soffice binary; skipped without it, failed instead when CHITIEU_REQUIRE_ALL=1."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is not None:
        return found
    reason = "LibreOffice not installed (apt-get install libreoffice-calc-nogui)"
    if os.environ.get("CHITIEU_REQUIRE_ALL") == "1":
        pytest.fail(f"{reason} (CHITIEU_REQUIRE_ALL=1)")
    pytest.skip(reason)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_libreoffice_converts_the_workbook_to_pdf(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    soffice = libreoffice()
    seed(capsys, tmp_path)
    output = tmp_path / "bao-cao-dak-glei-2022-Q2.xlsx"
    code, _, err = run(
        capsys, "export", "--unit", "dak-glei", "--period", "2022-Q2", "--output", str(output)
    )
    assert code == 0, err
    profile = (tmp_path / "lo-profile").as_uri()  # private: parallel runs do not collide
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    pdf = output.with_suffix(".pdf")
    assert done.returncode == 0, done.stderr
    assert pdf.is_file(), done.stdout + done.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pdf, ARTIFACTS / "export.pdf")
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf),
             str(ARTIFACTS / "export-page1")],
            check=True, timeout=60,
        )  # fmt: skip

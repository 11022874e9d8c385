"""Figures enter by one validation path: what the chat refuses, a file refuses too; and the
command line answers bad input with one line, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from cli.main import main
from tests.cli.test_cli import run, status


def write_xlsx(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [header, *rows]:
        sheet.append(row)
    book.save(path)
    return path


def row_error(err: str, number: int) -> str:
    found = [line for line in err.splitlines() if line.startswith(f"  row {number}:")]
    assert found, (number, err)
    return found[0]


def test_a_workbook_refuses_what_the_chat_refuses_and_saves_nothing(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, "init")
    before = status(capsys, "kon-tum", "2022")
    path = write_xlsx(
        tmp_path / "bad.xlsx",
        ["unit", "element", "period", "value"],
        [
            ["so-y-te", "dossiers_received", "2022-03", 5e9],  # beyond the count limit
            ["so-y-te", "payment_transactions", "2022-03", True],  # a yes/no is not a count
            ["so-y-te", "dossiers_resolved", "2022-03", 10**30],  # huge: no OverflowError
            ["so-tu-phap", "dossiers_received", "2022-03", 1e300],
            ["so-tu-phap", "dossiers_resolved", "2022-03", 12.5],  # not whole
            ["so-tu-phap", "payment_transactions", "2022-03", -3],
            ["so-xay-dung", "dossiers_received", "2031-03", 5],  # no catalogue for 2031
            ["so-xay-dung", "dossiers_received", "1999-03", 5],  # nor for 1999
            ["so-xay-dung", "e_cert_provided", "2022-03", 2],  # a yes/no is 1 or 0
        ],
    )

    code, _, err = run(capsys, "figures", "import", str(path))

    assert code == 1
    assert "Traceback" not in err
    assert "nothing was saved" in err
    for number, words in [
        (2, "too large"),
        (3, "yes/no cell"),
        (4, "too large"),
        (5, "too large"),
        (6, "comma"),
        (7, "negative"),
        (8, "no catalogue is loaded for 2031"),
        (9, "no catalogue is loaded for 1999"),
        (10, "1 or 0"),
    ]:
        assert words in row_error(err, number), (number, err)
    assert status(capsys, "kon-tum", "2022") == before


def test_a_yes_no_cell_is_a_flag_and_the_years_baseline_is_taken(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, "init")
    path = write_xlsx(
        tmp_path / "flags.xlsx",
        ["unit", "element", "period", "value"],
        [["duy-tan", "e_cert_provided", "2022-03", True], ["duy-tan", "cert_dossiers", "2021", 7]],
    )

    code, out, err = run(capsys, "figures", "import", str(path))

    assert code == 0, err
    assert "2 new revisions" in out


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_header_with_a_column_twice_is_refused(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, suffix: str
) -> None:
    run(capsys, "init")
    header = ["unit", "element", "period", "value", "value"]
    row = ["so-y-te", "dossiers_received", "2022-03", 5, 7]
    if suffix == ".csv":
        path = tmp_path / "twice.csv"
        path.write_text(",".join(header) + "\n" + ",".join(map(str, row)) + "\n")
    else:
        path = write_xlsx(tmp_path / "twice.xlsx", header, [row])

    code, _, err = run(capsys, "figures", "import", str(path))

    assert code == 1
    assert "value appear more than once" in err


def test_a_corrupt_workbook_gets_one_line(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, "init")
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not a workbook")

    code, _, err = run(capsys, "figures", "import", str(path))

    assert code == 1
    assert err.strip().splitlines() == [err.strip()]
    assert "not a readable .xlsx workbook" in err


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mysql://root@127.0.0.1/chitieu", "'mysql' is not supported"),
        ("postgresql://postgres@127.0.0.1:1/nowhere", "cannot be reached"),
        ("sqlite:////nonexistent/folder/x.db", "the database cannot be used"),
    ],
)
def test_a_database_that_cannot_be_used_gets_one_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    url: str,
    words: str,
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for argv in (["units", "list"], ["admin", "add", "12345"]):
        code, _, err = run(capsys, *argv)
        assert code == 1, (argv, err)
        assert len(err.strip().splitlines()) == 1, (argv, err)
        assert words in err, (argv, err)


@pytest.mark.parametrize("telegram_id", ["9" * 40, "-5", "0"])
def test_an_impossible_telegram_id_is_refused_by_the_arguments(
    capsys: pytest.CaptureFixture[str], telegram_id: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["admin", "add", telegram_id])
    _, err = capsys.readouterr()
    assert exited.value.code == 2
    assert "not a Telegram user id" in err
    assert "Traceback" not in err

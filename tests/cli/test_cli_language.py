"""The command line speaks the catalogue's language (Vietnamese unless --lang en) with the bot's
status words, stops quietly when its reader closes the pipe, and every setting it reads is
documented in .env.example and the README."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.cli.test_cli import run, write_csv

ROOT = Path(__file__).resolve().parents[2]
CODES = ("below_floor", "below_target", "no_data", "no_target", "missing")


def test_status_speaks_vietnamese_by_default_with_the_bots_status_words(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, "init")
    rows = [
        ["dak-glei", "dossiers_received", "2022-02", "100"],
        ["dak-glei", "dossiers_received_online", "2022-02", "5"],
    ]
    code, _out, err = run(capsys, "figures", "import", str(write_csv(tmp_path / "f.csv", rows)))
    assert code == 0, err
    code, out, err = run(capsys, "status", "--unit", "kon-tum", "--period", "2022-Q1", lang=None)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Tỉnh Kon Tum (kon-tum)"
    assert lines[1].startswith("Quý 1/2022 (15/12/2021 – 14/03/2022)")
    assert lines[2].split()[:4] == ["mã", "tên", "tử", "số"]
    assert "⚪ chưa có số liệu" in out
    assert "⚠️ chưa đạt" in out
    assert "5,00\u00a0%" in out
    assert not [code for code in CODES if code in out]

    code, out, err = run(
        capsys, "status", "--unit", "kon-tum", "--period", "2022-Q1", "--lang", "en", lang=None
    )
    assert code == 0, err
    assert out.splitlines()[1].startswith("Q1 2022 (Dec 15, 2021 – Mar 14, 2022)")
    assert "⚪ no data yet" in out
    assert "⚠️ below target" in out
    assert not [code for code in CODES if code in out]


def test_a_closed_pipe_ends_the_command_quietly(database_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": database_url}
    command = [sys.executable, "-m", "cli"]
    subprocess.run([*command, "init"], env=env, cwd=ROOT, check=True, capture_output=True)
    status = subprocess.Popen(
        [*command, "status", "--unit", "kon-tum", "--period", "2022-Q1"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert status.stdout is not None
    status.stdout.close()  # the reader goes away before the first line (| head -0)
    _out, err = status.communicate(timeout=60)
    assert b"Traceback" not in err
    assert b"BrokenPipeError" not in err
    assert status.returncode == 0


def test_every_setting_the_command_line_reads_is_documented() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = [name.upper() for name in Settings.model_fields] + ["BOT_USERNAME"]
    assert not [name for name in names if f"{name}=" not in example]
    assert not [name for name in names if f"`{name}`" not in readme]


def test_init_says_what_it_did_in_vietnamese_unless_asked_for_english(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "init", lang=None)
    assert code == 0, err
    assert out.startswith("danh mục kontum-2022: đã nạp; đơn vị thêm mới 133")
    code, out, err = run(capsys, "init", "--lang", "en", lang=None)
    assert code == 0, err
    assert out.startswith("catalogue kontum-2022: unchanged; units added 0")


def test_a_rejected_files_row_errors_are_in_vietnamese_unless_asked_for_english(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, "init")
    bad = write_csv(
        tmp_path / "bad.csv",
        [["Atlantis", "dossiers_received", "2022-02", "100"], ["dak-glei", "x", "2022-02", "-3"]],
    )
    code, _out, err = run(capsys, "figures", "import", str(bad), lang=None)
    assert code == 1
    assert "2 lỗi; chưa lưu gì" in err
    assert "  dòng 2: không có đơn vị nào có tên hoặc mã “Atlantis”" in err
    assert "  dòng 3: " in err
    code, _out, err = run(capsys, "figures", "import", str(bad), "--lang", "en", lang=None)
    assert code == 1
    assert "2 problems; nothing was saved" in err
    assert "  row 2: no unit is named or coded “Atlantis”" in err


def test_a_files_row_error_reads_the_same_in_the_bot_and_on_the_command_line() -> None:
    import bot.handlers  # noqa: F401 (the handlers import each other in this order)
    from bot.handlers.quick import rejected_text
    from i18n.problems import row_error_text
    from i18n.translations import translator
    from services.importing import ImportRejectedError, RowError

    error = RowError(4, "no unit is named or coded 'X'", "unknown_unit", {"text": "X"})
    t = translator("vi")
    said = rejected_text("f.csv", ImportRejectedError([error]), t)
    assert t._("Row {row}: {reason}", row=4, reason=row_error_text(error, t)) in said
    assert "không có đơn vị nào có tên hoặc mã “X”" in said


def test_report_speaks_vietnamese_by_default_and_english_when_asked(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "init")
    argv = ("report", "--period", "2022-Q1", "--today", "2022-06-10")
    code, out, err = run(capsys, *argv, lang=None)
    assert code == 0, err
    assert out.startswith("Tỉnh Kon Tum (kon-tum), quý 1/2022, 10/06/2022")
    assert "chưa báo cáo: " in out
    assert "xếp hạng: " in out
    assert "missing" not in out
    code, out, err = run(capsys, *argv, "--lang", "en", lang=None)
    assert code == 0, err
    assert out.startswith("Kon Tum Province (kon-tum), Q1 2022, Jun 10, 2022")
    assert "not reported: " in out


def test_a_one_line_error_is_in_vietnamese_by_default_and_english_when_asked(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "init")
    code, _out, err = run(capsys, "status", "--unit", "Atlantis", "--period", "2022-Q1", lang=None)
    assert code == 1
    assert err == "lỗi: không có đơn vị nào có tên hoặc mã “Atlantis”\n"
    code, _out, err = run(capsys, "--lang", "en", "invite", "--unit", "dak-glei", "--role", "boss")
    assert code == 1
    assert err == "error: --role is head, member or viewer, not “boss”\n"

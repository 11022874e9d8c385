"""Numbers with words in an imported file: the same parser as the chat, never truncated."""

from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import run, status, write_csv


def test_an_import_expands_multiplier_words_and_refuses_letters_stuck_to_a_number(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, "init")
    bad: list[list[Any]] = [
        ["so-y-te", "dossiers_received", "2022-03", "12abc"],
        ["so-y-te", "dossiers_received_online", "2022-03", "1e5"],
        ["so-tu-phap", "dossiers_received", "2022-03", "5k"],
    ]
    code, _, err = run(capsys, "figures", "import", str(write_csv(tmp_path / "bad.csv", bad)))
    assert code == 1
    assert "“12abc”" in err
    assert "“1e5”" in err
    assert "scientific notation" in err
    assert "“5k”" in err

    good: list[list[Any]] = [
        ["so-y-te", "dossiers_received", "2022-03", "2 nghìn"],
        ["so-y-te", "dossiers_received_online", "2022-03", "5 trăm hồ sơ"],
    ]
    code, _, err = run(capsys, "figures", "import", str(write_csv(tmp_path / "ok.csv", good)))
    assert code == 0, err
    line = status(capsys, "so-y-te", "2022-03")["III.2"]
    assert (line["numerator"], line["denominator"]) == (500, 2000)

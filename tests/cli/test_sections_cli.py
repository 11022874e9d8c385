"""`chitieu sections add|list|retire --unit U` against a real database."""

import json

import pytest

from tests.cli.test_cli import run


def test_sections_are_added_listed_and_retired_from_the_command_line(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "init")[0] == 0
    code, out, err = run(capsys, "sections", "add", "--unit", "Sở Y tế", "--name", "Một cửa")
    assert code == 0, err
    assert "'Một cửa' added to so-y-te" in out
    run(capsys, "sections", "add", "--unit", "so-y-te", "--name", "Pháp chế")
    code, out, err = run(capsys, "sections", "add", "--unit", "so-y-te", "--name", "một  cửa")
    assert code == 1
    assert "already has a section" in err

    _, out, _ = run(capsys, "sections", "list", "--unit", "so-y-te", "--format", "json")
    listed = json.loads(out)
    assert [s["name"] for s in listed] == ["Một cửa", "Pháp chế"]

    first = listed[0]["id"]
    code, out, _ = run(capsys, "sections", "retire", "--unit", "so-y-te", "--id", str(first))
    assert code == 0
    assert "retired" in out
    _, out, _ = run(capsys, "sections", "list", "--unit", "so-y-te")
    assert "Pháp chế" in out
    assert "Một cửa" not in out
    _, out, _ = run(capsys, "sections", "list", "--unit", "so-y-te", "--retired")
    assert "Một cửa (retired)" in out

    # another unit's section cannot be retired through this unit
    code, out, _ = run(capsys, "sections", "retire", "--unit", "dak-glei", "--id", str(first))
    assert code == 1

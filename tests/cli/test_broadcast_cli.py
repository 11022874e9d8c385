"""`chitieu broadcast` against a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cli.main import main
from kpi.access import Role
from storage import Database


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--lang", "en", *argv])  # the English messages asserted
    out, err = capsys.readouterr()
    return code, out, err


async def _people(url: str) -> None:
    """Two commune heads (one blocked the bot earlier) and a district head."""
    async with Database.connect(url) as db, db.unit_of_work() as uow:
        for telegram_id, unit in ((71, "dak-blo"), (72, "dak-man"), (73, "dak-glei")):
            await uow.people.upsert(telegram_id, f"P{telegram_id}")
            await uow.people.add_membership(telegram_id, unit, Role.HEAD)
        await uow.people.set_active(72, False)
        await uow.commit()


@pytest.fixture
def people(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "init")
    assert code == 0, err
    asyncio.run(_people(database_url))


@pytest.mark.usefixtures("people")
def test_a_broadcast_is_queued_with_yes_and_its_report_printed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(
        capsys, "broadcast", "--text", "Họp giao ban", "--audience", "level:commune", "--yes"
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "audience level:commune: 2 recipients (1 blocked the bot earlier)"
    broadcast_id = lines[-1]
    assert broadcast_id.isdigit()
    code, out, err = run(capsys, "broadcast", "--report", broadcast_id)
    assert code == 0, err
    assert out.strip() == (
        f"broadcast {broadcast_id}: in progress; recipients 2, delivered 0, blocked 1,"
        " failed 0, pending 1"
    )


@pytest.mark.usefixtures("people")
def test_a_broadcast_asks_first_and_a_no_sends_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    notice = tmp_path / "notice.txt"
    notice.write_text("Thông báo\nnhiều dòng\n", encoding="utf-8")
    monkeypatch.setattr("builtins.input", lambda _prompt: "n")
    code, out, err = run(
        capsys, "broadcast", "--file", str(notice), "--audience", "units:Huyện Đăk Glei"
    )
    assert code == 1
    assert "1 recipient\n" in out
    assert "not sent" in err
    code, _, err = run(capsys, "broadcast", "--report", "1")
    assert code == 1
    assert "no broadcast has the id 1" in err
    monkeypatch.setattr("builtins.input", lambda _prompt: "y")
    code, out, err = run(
        capsys, "broadcast", "--file", str(notice), "--audience", "subtree:dak-glei"
    )
    assert code == 0, err
    assert out.splitlines()[-1] == "1"


@pytest.mark.usefixtures("people")
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--text", "x", "--audience", "everyone"], "unknown audience 'everyone'"),
        (["--text", "x", "--audience", "units:Đăk Long,Nowhere"], "'Nowhere'"),
        (["--text", "x", "--audience", "level:province"], "nobody is in the audience"),
        (["--text", "  ", "--audience", "heads"], "the message is empty"),
        (["--text", "x"], "--audience is required"),
        (["--file", "/no/such/file", "--audience", "heads"], "/no/such/file"),
    ],
)
def test_a_broadcast_that_cannot_be_sent_says_why(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, "broadcast", *argv)
    assert code == 1
    assert message in err

"""`chitieu report` against a real database (SQLite, and PostgreSQL when configured): who
reported, who by the deadline (from when the figures were first submitted), the ranking and the
score preview, as JSON and as a table; bad arguments are refused with a non-zero exit."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cli.demo import LOCALS as COMMUNES
from cli.demo import MIDDLE as DISTRICT
from cli.demo import month_values
from cli.main import main
from kpi.periods import Period
from kpi.revisions import Author, Source
from services.catalogue_file import DEFAULT_CATALOGUE, load_catalogue
from services.figures import submit_figures
from storage import Database

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def run(
    capsys: pytest.CaptureFixture[str], *argv: str, lang: str | None = "en"
) -> tuple[int, str, str]:
    """English (the messages asserted) unless `lang`; None: the default, Vietnamese."""
    code = main(["--lang", lang, *argv] if lang else list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def seed(url: str) -> None:
    """Đăk Glei (due 19/03) reports Q1 on 19/03; Đăk Blô (due 16/03) on 17/03: late."""
    catalogue = load_catalogue(DEFAULT_CATALOGUE)[0]
    profiles = {p.unit: p for p in (*COMMUNES, DISTRICT)}

    def when(day: int) -> Callable[[int], datetime]:
        return lambda month: datetime(2022, month, day if month == 3 else 5, 9, tzinfo=ZONE)

    async def send() -> None:
        database = Database.connect(url)
        try:
            for unit, sent in (("dak-glei", when(19)), ("dak-blo", when(17))):
                asked = {e.code for e in catalogue.elements_for(catalogue.units.get(unit))}
                for month in (1, 2, 3):
                    values = {
                        code: value
                        for code, value in month_values(profiles[unit], month).items()
                        if code in asked
                    }
                    await submit_figures(
                        database.unit_of_work,
                        catalogue,
                        unit,
                        Period.month(2022, month),
                        values,
                        Author("cli:test", "Test"),
                        Source.CLI,
                        now=sent(month).astimezone(UTC),
                    )
        finally:
            await database.dispose()

    asyncio.run(send())


def report(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = run(capsys, "report", "--format", "json", "--today", "2022-06-10", *argv)
    assert code == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def test_the_report_of_a_district_counts_who_reported_and_who_by_the_deadline(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "init")[0] == 0
    seed(database_url)

    result = report(capsys, "--unit", "Huyện Đăk Glei", "--period", "2022-Q1", "--lang", "en")

    assert (result["unit"], result["name"], result["period"]) == (
        "dak-glei",
        "Dak Glei District",
        "2022-Q1",
    )
    levels = {lv["level"]: lv for lv in result["levels"]}
    assert levels["district"] | {} == {
        "level": "district",
        "deadline": "2022-03-19",
        "expected": 1,
        "reported": 1,
        "on_time": 1,
        "late": 0,
        "not_reported": 0,
        "completeness": 100.0,
        "timeliness": 100.0,
    }
    communes = levels["commune"]
    assert (communes["expected"], communes["reported"], communes["on_time"]) == (12, 1, 0)
    assert communes["completeness"] == 8.33  # 1 / 12
    units = {u["unit"]: u for u in result["units"]}
    assert units["dak-blo"]["timeliness"] == "late"
    assert units["dak-blo"]["completed_on"] == "2022-03-17"
    assert units["dak-glei"]["completed_at"] == "2022-03-19T02:00:00+00:00"
    assert units["xop"]["timeliness"] == "missing"
    assert units["xop"]["missing"]
    ranking = result["ranking"]
    assert list(ranking) == ["commune"]
    first = ranking["commune"][0]
    assert (first["rank"], first["unit"], first["zero_on"]) == (1, "dak-blo", ["V.1"])
    assert first["below_floor"] == 1
    assert all(r["rank"] is None for r in ranking["commune"][1:])


def test_the_province_s_report_is_a_table_by_level_with_the_rankings(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "init")
    seed(database_url)

    code, out, err = run(
        capsys, "report", "--period", "2022-Q1", "--today", "2022-06-10", lang=None
    )

    assert code == 0, err
    assert out.startswith("Tỉnh Kon Tum (kon-tum), quý 1/2022, 10/06/2022")
    communes = next(line for line in out.splitlines() if line.startswith("cấp xã "))
    assert communes.split() == [
        "cấp",
        "xã",
        "16/03/2022",
        "102",
        "1",
        "0,98",
        "%",
        "0",
        "0,00",
        "%",
    ]
    assert "chưa báo cáo: 131" in out
    assert "báo cáo trễ hạn: 1" in out
    assert "xếp hạng: sở, ban ngành" in out
    assert "xếp hạng: cấp huyện" in out
    assert "dak-blo" in out


def test_the_ranking_can_be_limited_to_one_level(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "init")
    result = report(capsys, "--period", "2022-H1", "--level", "district")
    assert list(result["ranking"]) == ["district"]
    assert len(result["ranking"]["district"]) == 10
    assert {lv["reported"] for lv in result["levels"]} == {0}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--unit", "Atlantis"], "no unit is named or coded “Atlantis”"),
        (["--unit", "Đăk Long"], "names several units"),
        (["--period", "2022-03"], "no report is due for 2022-03"),
        (["--period", "2022-Q5"], "is not a period"),
        (["--period", "2031"], "no catalogue of 2031 is loaded"),
        (["--today", "10/06/2022"], "--today is a day written YYYY-MM-DD"),
    ],
)
def test_bad_arguments_are_refused_with_a_reason_and_a_non_zero_exit(
    database_url: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    del database_url  # the fixture sets DATABASE_URL
    run(capsys, "init")
    code, out, err = run(capsys, "report", *argv)
    assert code == 1
    assert out == ""
    assert message in err


def test_an_unknown_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["report", "--format", "xml"])
    assert exit_.value.code == 2
    assert "invalid choice: 'xml'" in capsys.readouterr().err

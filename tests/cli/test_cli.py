"""The `chitieu` command line against a real database (SQLite, and PostgreSQL when configured)."""

import csv
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from cli.main import main
from services.catalogue_file import DEFAULT_CATALOGUE


def run(
    capsys: pytest.CaptureFixture[str], *argv: str, lang: str | None = "en"
) -> tuple[int, str, str]:
    """`chitieu [--lang LANG] ARGV...`: English (whose messages the tests assert) unless
    `lang` says otherwise; None: the command line's default (Vietnamese)."""
    code = main(["--lang", lang, *argv] if lang else list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def status(capsys: pytest.CaptureFixture[str], unit: str, period: str) -> dict[str, Any]:
    code, out, err = run(capsys, "status", "--unit", unit, "--period", period, "--format", "json")
    assert code == 0, err
    return {
        (r["indicator"] + (f"/{r['level']}" if r["level"] else "")): r for r in json.loads(out)
    }


def write_csv(path: Path, rows: list[list[Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["unit", "element", "period", "value", "note"], *rows])
    return path


def test_init_is_idempotent_and_lists_the_catalogue(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "init")
    assert code == 0
    assert "loaded" in out
    code, out, _ = run(capsys, "init")
    assert "unchanged" in out
    assert "added 0" in out
    _, out, _ = run(capsys, "units", "list", "--format", "json")
    units = json.loads(out)
    assert len(units) == 133
    assert sum(u["level"] == "commune" for u in units) == 102
    _, out, _ = run(capsys, "indicators", "list", "--format", "json")
    indicators = {i["code"]: i for i in json.loads(out)}
    assert indicators["V.1"]["target_by_level"] == {
        "department": 99,
        "district": 97,
        "commune": 100,
    }
    assert indicators["I.1"]["target"] == 78
    _, out, _ = run(capsys, "units", "list", "--under", "dak-glei")
    assert "Xã Đăk Long" in out


def test_the_2021_baselines_come_out_of_status_after_importing_their_raw_counts(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The annex's 2021 raw counts, at the units it names, give the annex's rates: I.1 and
    III.1 from the province's own distinct counts, III.4.a over the communes (the district
    justice offices not answered), IV.4 over both levels (the annex prints the provincial
    level's 18,57 % alone)."""
    run(capsys, "init")
    rows: list[list[Any]] = [
        ["kon-tum", "tthc_total", "2021", "1.757", "I.1 baseline"],
        ["Tỉnh Kon Tum", "dvc_national_l34", "2021", "1.020", ""],
        ["kon-tum", "tthc_online", "2021", "1 258", "III.1: 196 + 1 062"],
        ["kon-tum", "tthc_online_with_dossiers", "2021", "398", "III.1: 67 + 331"],
        ["so-tai-nguyen-va-moi-truong", "land_fin_dossiers", "2021", "16.243", ""],
        ["Sở Tài nguyên và Môi trường", "land_fin_paid_online", "2021", "3.016", ""],
        ["dak-glei", "land_fin_dossiers", "2021", "4.109", "the district level's"],
        ["dak-glei", "land_fin_paid_online", "2021", "0", ""],
    ]
    _, out, _ = run(capsys, "units", "list", "--format", "json")
    communes = [u["code"] for u in json.loads(out) if u["level"] == "commune"]
    rows += [
        [c, "e_cert_provided", "2021", "có" if i < 69 else "không"] for i, c in enumerate(communes)
    ]
    code, out, err = run(capsys, "figures", "import", str(write_csv(tmp_path / "b.csv", rows)))
    assert code == 0, err
    result = status(capsys, "kon-tum", "2021")
    assert result["I.1"]["rate"] == 58.05
    assert result["III.1"]["rate"] == 31.64
    assert result["III.4.a/commune"]["rate"] == 67.65
    assert result["III.4.a/commune"]["not_answered"] == 0
    assert result["III.4.a/district"]["status"] == "no_data"
    assert result["III.4.a/district"]["not_answered"] == 10
    assert result["IV.4"]["rate"] == 14.82
    assert (result["IV.4"]["numerator"], result["IV.4"]["denominator"]) == (3016, 20352)
    assert result["I.1"]["target"] == 78
    assert result["I.1"]["needed"] == 351
    assert set(result["I.1"]) >= {
        "indicator", "name", "numerator", "denominator", "rate", "target",
        "floor", "status", "needed", "reachable",
    }  # fmt: skip


def test_a_department_sees_no_sector_row_of_another_and_cannot_file_one(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, "init")
    shown = status(capsys, "so-ngoai-vu", "2022-Q1")
    assert not {"II.1", "II.2", "II.3", "IV.4"} & {key.split("/")[0] for key in shown}
    _, out, _ = run(capsys, "status", "--unit", "so-ngoai-vu", "--period", "2022-Q1")
    assert "II.3" not in out
    assert "II.3" in status(capsys, "so-y-te", "2022-Q1")
    rows: list[list[Any]] = [["so-ngoai-vu", "dvc_health_total", "2022-03", "10"]]
    code, _, err = run(capsys, "figures", "import", str(write_csv(tmp_path / "x.csv", rows)))
    assert code != 0
    assert "dvc_health_total" in err
    _, out, _ = run(capsys, "indicators", "list")
    assert "so-lao-dong-thuong-binh-va-xa-hoi" in out
    assert "own_or_children" in out


def test_the_worked_example_holds_over_twelve_months_and_several_units_from_a_workbook(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, "init")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["unit", "element", "period", "value"])
    units = ["so-y-te", "Sở Tư pháp", "dak-glei", "Xã Xốp", "Phường Duy Tân"]
    cells = [(u, m) for u in units for m in range(1, 13)]
    received, online = [277_307 // 60] * 60, [34_020 // 60] * 60
    received[7] += 277_307 - sum(received)
    online[3] += 34_020 - sum(online)
    for (unit, month), r, o in zip(cells, received, online, strict=True):
        sheet.append([unit, "dossiers_received", f"2022-{month:02d}", r])
        sheet.append([unit, "dossiers_received_online", f"2022-{month:02d}", o])
    book.save(tmp_path / "figures.xlsx")
    code, out, err = run(capsys, "figures", "import", str(tmp_path / "figures.xlsx"))
    assert code == 0, err
    assert "120 new revisions" in out
    line = status(capsys, "kon-tum", "2022")["III.2"]
    assert (line["numerator"], line["denominator"]) == (34_020, 277_307)
    assert (line["rate"], line["target"], line["needed"]) == (12.27, 25, 47_076)
    assert line["status"] == "below_target"
    # importing the same values again creates no revision
    code, out, _ = run(capsys, "figures", "import", str(tmp_path / "figures.xlsx"))
    assert "0 new revisions, 120 unchanged" in out
    # the table form speaks Vietnamese numbers
    _, out, _ = run(capsys, "status", "--unit", "kon-tum", "--period", "2022", lang=None)
    assert "277.307" in out
    assert "12,27\u00a0%" in out
    assert "47.076" in out


def test_every_bad_row_is_reported_and_nothing_is_saved(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, "init")
    good = write_csv(tmp_path / "good.csv", [["so-y-te", "dossiers_received", "2022-03", "100"]])
    assert run(capsys, "figures", "import", str(good))[0] == 0
    before = status(capsys, "kon-tum", "2022-Q1")
    bad = write_csv(
        tmp_path / "bad.csv",
        [
            ["so-y-te", "dossiers_received", "2022-03", "250"],  # fine alone
            ["Đăk Long", "dossiers_received", "2022-03", "5"],  # ambiguous
            ["Xã Không Có", "dossiers_received", "2022-03", "5"],  # unknown unit
            ["so-y-te", "dossiers_recieved", "2022-03", "5"],  # unknown element
            ["so-y-te", "dossiers_received_online", "2022-13", "5"],  # bad period
            ["so-tu-phap", "dossiers_received", "2022-03", "1,020"],  # decimal comma
            ["so-tu-phap", "dossiers_received_online", "2022-03", "-5"],  # negative
            ["so-tu-phap", "payment_transactions", "2022-03", "abc"],  # not a number
            ["so-xay-dung", "dossiers_resolved", "2022-03", "100"],
            ["so-xay-dung", "dossiers_resolved_early", "2022-03", "10"],
            ["so-xay-dung", "dossiers_resolved_on_time", "2022-03", "80"],
            ["so-xay-dung", "dossiers_resolved_late", "2022-03", "5"],  # 95 ≠ 100
            ["duy-tan", "land_fin_dossiers", "2022-03", "5"],  # not reported by communes
            ["so-y-te", "dossiers_received_online", "2022-03", "300"],  # > received (250)
            ["so-cong-thuong", "dossiers_received", "2022-Q1", "30"],
            ["so-cong-thuong", "dossiers_received", "2022-02", "10"],  # inside Q1 above
        ],
    )
    code, _, err = run(capsys, "figures", "import", str(bad))
    assert code == 1
    assert "nothing was saved" in err
    for number, words in [
        (3, "dak-glei-dak-long"),
        (4, "no unit"),
        (5, "no data element"),
        (6, "2022-13"),
        (7, "comma"),
        (8, "negative"),
        (9, "expected a whole number"),
        (10, "early + on time + late must equal"),
        (14, "commune"),
        (2, "rows 2, 15"),
        (17, "overlaps 2022-Q1 given in row 16"),
    ]:
        assert any(
            line.startswith(f"  row {number}:") and words in line for line in err.splitlines()
        ), (number, err)
    assert "dak-ha-dak-long" in err
    assert status(capsys, "kon-tum", "2022-Q1") == before


def test_a_changed_catalogue_keeps_every_figure(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, "init")
    figures = write_csv(
        tmp_path / "f.csv",
        [
            ["xop", "dossiers_received", "2022-03", "40"],
            ["xop", "dossiers_received_online", "2022-03", "20"],
        ],
    )
    assert run(capsys, "figures", "import", str(figures))[0] == 0
    changed = tmp_path / "changed.yaml"
    changed.write_text(
        DEFAULT_CATALOGUE.read_text(encoding="utf-8").replace("Xã Xốp", "Xã Xốp Mới"),
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "init", "--catalog", str(changed))
    assert code == 0
    assert "updated 1" in out
    assert status(capsys, "Xốp Mới", "2022-Q1")["III.2"]["rate"] == 50
    assert status(capsys, "dak-glei", "2022-Q1")["III.2"]["denominator"] == 40


def test_a_broken_catalogue_names_the_file_the_key_and_what_was_expected(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        DEFAULT_CATALOGUE.read_text(encoding="utf-8").replace("percent: 25", "percent: abc", 1),
        encoding="utf-8",
    )
    code, _, err = run(capsys, "init", "--catalog", str(broken))
    assert code == 1
    assert str(broken) in err
    assert "indicators[" in err
    assert "(III.2).target.percent" in err
    assert "expected" in err


def test_bad_arguments_get_a_clear_message_and_change_nothing(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, "init")
    cases = [
        (("status", "--unit", "kon-tum", "--period", "2022-13"), "'2022-13' is not a period"),
        (("status", "--unit", "Đắk Hà", "--period", "2022"), "tu-mo-rong-dak-ha"),
        (("status", "--unit", "Atlantis", "--period", "2022"), "no unit is named"),
        (("figures", "import", str(tmp_path / "missing.csv")), "no such file"),
        (("figures", "import", str(tmp_path / "figures.txt")), "expected a .csv or .xlsx"),
    ]
    for argv, words in cases:
        code, _, err = run(capsys, *argv)
        assert code == 1, argv
        assert words in err, (argv, err)
    header_only = tmp_path / "columns.csv"
    header_only.write_text("unit;element;value\nso-y-te;dossiers_received;3\n", encoding="utf-8")
    code, _, err = run(capsys, "figures", "import", str(header_only))
    assert code == 1
    assert "missing column(s) period" in err
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"unit,element,period,value\nX\xe3 X\xf4p,dossiers_received,2022-03,3\n")
    code, _, err = run(capsys, "figures", "import", str(latin))
    assert code == 1
    assert "UTF-8" in err
    _, out, _ = run(capsys, "status", "--unit", "kon-tum", "--period", "2022", "--format", "json")
    assert all(r["numerator"] is None for r in json.loads(out))


def test_the_period_is_taken_as_people_write_it(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "init")
    assert status(capsys, "dak-glei", "quý I/2022") == status(capsys, "dak-glei", "2022-Q1")
    assert status(capsys, "dak-glei", "6 tháng đầu năm 2022") == status(
        capsys, "dak-glei", "2022-H1"
    )
    code, _, err = run(capsys, "status", "--unit", "dak-glei", "--period", "quý năm")
    assert code == 1
    assert "'quý năm' is not a period" in err


def test_init_of_a_new_version_shows_the_merger_asks_and_keeps_every_figure(
    database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Three communes with Q1 figures merged into Xã An Bình from April (issue 14)."""
    import yaml

    from tests.conftest import CATALOGS

    three = ("xa-mot", "xa-hai", "xa-ba")
    data = yaml.safe_load((CATALOGS / "example-two-tier-2026.yaml").read_text("utf-8"))
    names = {c: {"vi": f"Xã {c[3:].capitalize()}", "en": c} for c in three}
    first = dict(data, units=dict(data["units"]))
    first["units"]["children"] = [
        *data["units"]["children"],
        *({"code": c, "level": "commune", "name": names[c]} for c in three),
    ]
    v1 = tmp_path / "v1.yaml"
    v1.write_text(yaml.safe_dump(first, allow_unicode=True), "utf-8")
    for unit in data["units"]["children"]:
        if unit["code"] == "xa-an-binh":
            unit["succeeds"] = {
                "from": "2026-04-01",
                "units": [{"code": c, "name": names[c]} for c in three],
            }
    v2 = tmp_path / "v2.yaml"
    v2.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")

    assert run(capsys, "init", "--catalog", str(v1))[0] == 0
    rows = [[c, e, "2026-02", v, ""] for c in three for e, v in (("dossiers_received", 100),)]
    rows += [[c, "dossiers_received_online", "2026-02", 30, ""] for c in three]
    code, _, err = run(capsys, "figures", "import", str(write_csv(tmp_path / "q1.csv", rows)))
    assert code == 0, err

    code, out, err = run(capsys, "init", "--catalog", str(v2))  # no answer: not applied
    assert code == 1
    assert "units merged: xa-mot, xa-hai, xa-ba -> xa-an-binh" in out
    assert "not applied" in err
    assert run(capsys, "init", "--catalog", str(v2), "--yes")[0] == 0
    lines = status(capsys, "xa-an-binh", "2026")
    assert (lines["III.2"]["numerator"], lines["III.2"]["denominator"]) == (90, 300)
    province = status(capsys, "vi-du", "2026")
    assert (province["III.2"]["numerator"], province["III.2"]["denominator"]) == (90, 300)

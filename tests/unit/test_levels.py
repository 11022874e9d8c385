"""Levels are catalogue data (issue 14): the Kon Tum catalogue keeps its four, a two-tier province
declares three, and the catalogue is refused with the key and what was expected when its levels
do not hold together."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from kpi.catalogue import Catalogue
from kpi.periods import Period
from kpi.reminders import SlotKind, plan_slot, slots
from kpi.revisions import Author, Source
from services.catalogue_file import CatalogueError, parse_catalogue_text
from services.figures import submit_figures
from services.ports import UnitOfWork
from services.status import status_rows, unit_status
from tests.conftest import CATALOGS
from tests.fakes import FakeState, FakeUnitOfWork
from tests.two_tier import made_two_tier

ALICE = Author("cli:alice", "Alice")
Q1 = Period.quarter(2022, 1)


def raw_kontum() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((CATALOGS / "kontum-2022.yaml").read_text("utf-8"))
    return loaded


def parsed(raw: dict[str, Any]) -> Catalogue:
    return parse_catalogue_text(yaml.safe_dump(raw, allow_unicode=True), "test.yaml")


def store() -> Callable[[], UnitOfWork]:
    state = FakeState()
    return lambda: FakeUnitOfWork(state)


def test_the_kontum_catalogue_declares_its_four_levels_from_the_top_down(
    kontum: Catalogue,
) -> None:
    levels = kontum.units.levels
    assert levels is not None
    assert levels.codes == ("province", "department", "district", "commune")
    commune = levels.get("commune")
    assert commune.name.vi == "cấp xã"
    assert commune.under == ("district",)
    assert commune.escalates
    assert {t.vi for t in commune.types} == {"xã", "phường", "thị trấn"}
    assert kontum.calendar.deadlines == {
        "commune": 16,
        "department": 18,
        "district": 19,
        "province": 20,
    }


def test_the_two_tier_example_has_communes_wards_and_a_special_zone_under_the_province() -> None:
    text = (CATALOGS / "example-two-tier-2026.yaml").read_text("utf-8")
    assert text.startswith("# AN EXAMPLE FOR TESTING AND DEMONSTRATION, NOT A REAL DECISION.")
    catalogue = parse_catalogue_text(text)
    tree = catalogue.units
    assert tree.level_order == ("province", "department", "commune")
    assert catalogue.year == 2026
    communes = [u for u in tree if u.level == "commune"]
    assert {u.parent for u in communes} == {tree.root.code}
    kinds = {u.name.vi.split()[0] for u in communes}
    assert kinds == {"Xã", "Phường", "Đặc"}  # xã, phường, đặc khu
    assert tree.find("Hải Đảo").code == "dac-khu-hai-dao"  # the type words are the catalogue's
    assert {i.code for i in catalogue.indicators.values()} == {
        i["code"] for i in raw_kontum()["indicators"]
    }


async def test_kontum_made_two_tier_loads_and_gives_a_communes_status() -> None:
    """The transformation a new user tries (communes moved under the province, every district
    key dropped) loads, and a commune is judged as in the four-level catalogue."""
    four = parsed(raw_kontum())
    two = parsed(made_two_tier(raw_kontum()))
    assert "district" not in two.units.level_order
    assert two.units.get("dak-blo").parent == "kon-tum"
    assert two.units.describe("dak-blo") == "Xã Đăk Blô"  # no district to name any more
    figures = {
        "dossiers_received": 200,
        "dossiers_received_online": 60,
        "dossiers_resolved": 100,
        "dossiers_resolved_early": 40,
        "dossiers_resolved_on_time": 58,
        "dossiers_resolved_late": 2,
    }
    rows = {}
    for name, catalogue in (("four", four), ("two", two)):
        uow = store()
        await submit_figures(uow, catalogue, "dak-blo", Q1, figures, ALICE, Source.CLI)
        async with uow() as u:
            lines = await unit_status(u, catalogue, "dak-blo", Q1)
        rows[name] = {(r.indicator, r.level): (r.rate, r.status) for r in status_rows(lines)}
    assert rows["two"] == rows["four"]
    assert rows["two"][("III.2", None)][0] == Decimal("30.00")


def test_in_a_two_tier_province_late_communes_are_named_to_the_province() -> None:
    two = parsed(made_two_tier(raw_kontum()))
    slot = next(
        s
        for s in slots(two, ZoneInfo("Asia/Ho_Chi_Minh"))
        if s.kind is SlotKind.REMINDERS
        and s.period == Q1
        and s.level == "commune"
        and s.after_deadline
    )
    plan = plan_slot(two, slot, reported={"dak-blo"})
    assert plan.escalations is not None
    assert set(plan.escalations) == {"kon-tum"}
    late = {u.code for u in plan.escalations["kon-tum"]}
    assert "dak-blo" not in late
    assert len(late) == len([u for u in two.units if u.level == "commune"]) - 1
    assert slot.deadline == date(2022, 3, 16)


def problems_of(raw: dict[str, Any]) -> str:
    with pytest.raises(CatalogueError) as error:
        parsed(raw)
    return str(error.value)


def test_a_unit_of_an_undeclared_level_or_in_the_wrong_place_is_refused_with_the_key() -> None:
    raw = raw_kontum()
    raw["units"]["children"][0]["level"] = "ward"
    assert "units: van-phong-ubnd-tinh has the level 'ward'" in problems_of(raw)

    raw = raw_kontum()
    raw["units"]["children"][-1]["children"][0]["children"] = [
        {"code": "x-in-x", "level": "commune", "name": {"vi": "Xã X", "en": "X"}}
    ]
    assert "units: x-in-x (commune) cannot be under" in problems_of(raw)


def test_references_to_levels_and_deadlines_must_match_the_declared_levels() -> None:
    raw = raw_kontum()
    raw["levels"] = [lvl for lvl in raw["levels"] if lvl["code"] != "district"]
    text = problems_of(raw)
    assert "levels[2](commune).under: expected a level declared above it" in text
    assert "expected a level among ['province', 'department', 'commune'], got 'district'" in text

    raw = raw_kontum()
    del raw["calendar"]["deadlines"]["district"]
    assert "calendar.deadlines: expected a day for every level, missing ['district']" in (
        problems_of(raw)
    )


def test_a_level_declared_twice_or_a_top_level_under_another_is_refused() -> None:
    raw = raw_kontum()
    raw["levels"].append(dict(raw["levels"][-1]))
    assert "levels[4](commune): the code is used twice" in problems_of(raw)

    raw = raw_kontum()
    raw["levels"][0]["under"] = ["department"]
    assert "levels[0](province).under" in problems_of(raw)

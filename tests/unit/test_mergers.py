"""Units merged between catalogue versions (issue 14, point 4): three communes with Q1 figures
merged into one from April. Their figures stay theirs (no revision rewritten), and count in the
successor's year so far and its parent's totals; their people and groups are moved to it and
each person is told once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.render import history_text
from i18n.texts import moved_text
from i18n.translations import translator
from kpi.access import Role
from kpi.periods import Period
from kpi.revisions import Author, Source
from services.catalogue_file import CatalogueError, parse_catalogue_text
from services.catalogues import Catalogues, Move, load_into_store
from services.figures import submit_figures
from services.status import status_rows, unit_status
from tests.conftest import CATALOGS
from tests.fakes import FakeState, FakeUnitOfWork

ALICE = Author("cli:alice", "Alice")
THREE = ("xa-mot", "xa-hai", "xa-ba")
SUCCESSOR = "xa-an-binh"
ROOT = "vi-du"
APPLIED = datetime(2026, 4, 2, 2, 0, tzinfo=UTC)


def raw() -> dict[str, Any]:
    text = (CATALOGS / "example-two-tier-2026.yaml").read_text("utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def name(code: str) -> dict[str, str]:
    words = code.removeprefix("xa-").capitalize()
    return {"vi": f"Xã {words}", "en": f"{words} Commune"}


def before() -> dict[str, Any]:
    data = raw()
    data["units"]["children"] += [
        {"code": code, "level": "commune", "name": name(code)} for code in THREE
    ]
    return data


def after() -> dict[str, Any]:
    data = raw()
    for unit in data["units"]["children"]:
        if unit["code"] == SUCCESSOR:
            unit["succeeds"] = {
                "from": "2026-04-01",
                "units": [{"code": code, "name": name(code)} for code in THREE],
            }
    return data


def written(tmp_path: Path, label: str, data: dict[str, Any]) -> Path:
    path = tmp_path / f"{label}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


def told(move: Move, catalogue: object, language: str | None) -> str:
    del catalogue, language
    return f"{move.old} → {move.new}"


async def test_three_communes_merged_into_one_count_in_its_year_and_their_people_move(
    tmp_path: Path,
) -> None:
    state = FakeState()

    def uow() -> FakeUnitOfWork:
        return FakeUnitOfWork(state)

    await load_into_store(uow, written(tmp_path, "v1", before()), APPLIED)
    async with uow() as u:
        first = (await Catalogues.from_store(u)).for_year(2026)
    for code in THREE:  # each files Q1 in February's report: 100 dossiers, 30 online
        figures = {"dossiers_received": 100, "dossiers_received_online": 30}
        await submit_figures(uow, first, code, Period.month(2026, 2), figures, ALICE, Source.CLI)
    async with uow() as u:
        await u.people.upsert(501, "Lan")
        await u.people.add_membership(501, "xa-mot", Role.HEAD)
        await u.people.upsert(502, "Minh")
        await u.people.add_membership(502, "xa-hai", Role.MEMBER)
        await u.chats.subscribe(-900, "xa-ba", 501, APPLIED)
        await u.commit()
    revisions = list(state.revisions)

    report = await load_into_store(uow, written(tmp_path, "v2", after()), APPLIED, tell=told)
    async with uow() as u:
        second = (await Catalogues.from_store(u)).for_year(2026)
    assert second.successors == dict.fromkeys(THREE, SUCCESSOR)
    assert all(code not in second.units for code in THREE)
    # the successor's own later figures
    later = {"dossiers_received": 50, "dossiers_received_online": 20}
    await submit_figures(uow, second, SUCCESSOR, Period.month(2026, 5), later, ALICE, Source.CLI)

    year = Period.parse("2026")
    for unit in (SUCCESSOR, ROOT):
        async with uow() as u:
            lines = await unit_status(u, second, unit, year)
        row = next(r for r in status_rows(lines) if r.indicator == "III.2")
        assert (row.numerator, row.denominator) == (3 * 30 + 20, 3 * 100 + 50), unit

    # nothing is lost: the revisions are those filed, none rewritten
    assert state.revisions[: len(revisions)] == revisions
    assert len(state.revisions) == len(revisions) + 2
    assert {r.unit for r in revisions} == set(THREE)

    # people and the group moved to the successor, each person told once
    assert {(m.chat_id, m.old, m.new, m.group) for m in report.moves} == {
        (501, "xa-mot", SUCCESSOR, False),
        (502, "xa-hai", SUCCESSOR, False),
        (-900, "xa-ba", SUCCESSOR, True),
    }
    assert {m.unit for m in state.people[501].memberships} >= {SUCCESSOR}
    assert state.subscriptions[-900, SUCCESSOR]
    moved = [m for m in state.outbox.values() if m.message.kind == "moved"]
    assert sorted(m.message.chat_id for m in moved) == [501, 502]
    words = moved_text(Move(501, "xa-mot", SUCCESSOR), second, None)
    assert words.startswith("Xã Mot đã được sáp nhập vào Xã An Bình từ ngày 01/04/2026.")
    assert "Moved" not in moved_text(Move(501, "xa-mot", SUCCESSOR), second, "en")

    # /history of the successor shows the predecessors' figures with their origin
    async with uow() as u:
        history = await u.figures.history(second.with_predecessors([SUCCESSOR]))
    assert {r.unit for r in history} == {*THREE, SUCCESSOR}
    page = history_text(second, second.units.get(SUCCESSOR), history, 0, 1, translator("vi"))
    assert "Xã Mot (đã sáp nhập vào Xã An Bình từ ngày 01/04/2026)" in page

    again = await load_into_store(uow, written(tmp_path, "v2", after()), APPLIED, tell=told)
    assert again.moves == ()
    assert len([m for m in state.outbox.values() if m.message.kind == "moved"]) == 2


def test_a_unit_merged_away_must_leave_the_tree() -> None:
    data = after()
    data["units"]["children"][-1]["succeeds"] = {
        "from": "2026-04-01",
        "units": [{"code": "xa-tan-phu", "name": name("xa-tan-phu")}],
    }
    try:
        parse_catalogue_text(yaml.safe_dump(data, allow_unicode=True), "v3.yaml")
    except CatalogueError as error:
        assert "'xa-tan-phu' is still a unit" in str(error)
    else:
        raise AssertionError("a predecessor still in the tree was accepted")

"""The draft of figures typed in one message, a correction or a file: plain JSON, and only the
latest prompt's buttons count."""

from __future__ import annotations

import json

from bot.handlers.quick import Action, Draft, parse_press


def test_a_draft_survives_a_restart_as_json() -> None:
    draft = Draft(
        unit="dak-blo",
        period="2022-11",
        answers={"dossiers_received": 1200},
        current={"dossiers_received": 1180},
        pending=[("trực tuyến 300", 300, ["dossiers_received_online", "tthc_online"])],
        unplaced=["chuối 12"],
        refused=[("giải quyết 12abc", "“12abc”: …")],
        element="dossiers_received",
        reason="Nhập nhầm số liệu",
        file={"name": "x.csv", "groups": [["dak-blo", "2022-11", {"a": 1}, {"a": None}, {}]]},
    )
    assert Draft.from_json(json.loads(json.dumps(draft.to_json()))) == draft


def test_a_draft_in_another_shape_is_none() -> None:
    assert Draft.from_json(None) is None
    assert Draft.from_json({"unit": "dak-blo"}) is None
    broken = Draft(unit="dak-blo", period="2022-11").to_json() | {"token": "BAD"}
    assert Draft.from_json(broken) is None


def test_a_press_carries_the_drafts_token_and_step() -> None:
    draft = Draft(unit="dak-blo", period="2022-11")
    draft.step = 3
    press = parse_press(draft.data(Action.PERIOD, "2022-q4"))
    assert press is not None
    assert (press.token, press.step, press.action, press.argument) == (
        draft.token,
        3,
        Action.PERIOD,
        "2022-q4",
    )
    assert parse_press("qk:fix:dak-blo:2022-11") is None
    assert parse_press("sb:abcdef:1:ok") is None

"""An alert is one digest per unit and evaluation: the unit and the period once, one line per
indicator line, worst first, at most a phone's screen (the rest counted, behind the button),
with the units meeting an indicator that binds each unit and the projections' basis."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot import notices
from bot.notices import BotNoticeWriter
from cli.demo import load_demo_figures
from i18n.translations import translator
from kpi.catalogue import Catalogue
from services import alerts
from services.notices import AlertNote
from tests.fakes import FakeState, FakeUnitOfWork

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2022, 6, 10, 2, 0, tzinfo=UTC)  # 09:00 in the province: the sandbox's day


async def dak_glei_notes(kontum: Catalogue, monkeypatch: pytest.MonkeyPatch) -> list[AlertNote]:
    """What the alert evaluation announces about Đăk Glei over the demo's figures."""
    state = FakeState()

    def uow() -> FakeUnitOfWork:
        return FakeUnitOfWork(state)

    await load_demo_figures(uow, kontum, NOW.date())
    found: list[AlertNote] = []

    async def capture(
        _uow: object, _catalogue: object, announced: Sequence[alerts.Announcement], *_: object
    ) -> list[object]:
        found.extend(a.note for a in announced if a.unit.code == "dak-glei")
        return []

    monkeypatch.setattr(alerts, "route", capture)
    async with uow() as u:
        month = kontum.calendar.month_of(NOW.astimezone(ZONE).date())
        await alerts.evaluate_alerts(u, kontum, ["dak-glei"], month, NOW, BotNoticeWriter(), ZONE)
    return found


async def test_the_digest_names_the_unit_and_period_once_and_each_line_once(
    kontum: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = await dak_glei_notes(kontum, monkeypatch)
    assert len(notes) > len({(n.line.indicator.code, n.line.level) for n in notes})  # 2 scopes
    notice = BotNoticeWriter().alert(notes, kontum, "vi")
    text = notice.text
    head, counts = text.splitlines()[:2]
    assert head == "⚠️ Huyện Đăk Glei · năm 2022 (lũy kế)"
    assert counts.endswith("chỉ tiêu chưa đạt")
    lines = [line for line in text.splitlines() if line.startswith(("⚠️ ", "🔴 ")) and ":" in line]
    assert len(lines) == notices.ALERT_LINES  # a phone's screen
    titles = [line.split(":")[0] for line in lines]
    assert len(set(titles)) == len(titles)
    assert "Huyện Đăk Glei" not in "\n".join(lines)  # the unit is said once, above
    assert "… và " in text
    assert "Dự kiến cuối năm: " in text
    assert len(text) <= 1500
    button = notice.markup["inline_keyboard"][0][0]  # type: ignore[index]
    assert button["text"].startswith("Xem đủ ")
    assert button["callback_data"] == "st:dak-glei:2022"


async def test_an_indicator_binding_each_unit_says_how_many_units_meet_it(
    kontum: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = await dak_glei_notes(kontum, monkeypatch)
    binding = [n for n in notes if n.line.attainment.units_judged]
    assert binding
    line = notices.alert_line(notices.DigestLine(binding[0]), kontum, translator("vi"))
    assert "đơn vị đạt" in line


async def test_the_worst_comes_first(kontum: Catalogue, monkeypatch: pytest.MonkeyPatch) -> None:
    notes = await dak_glei_notes(kontum, monkeypatch)
    digest = notices.alert_digest(notes)
    shares = [
        float(d.note.line.attainment.rate or 0) * 100 / float(d.note.line.attainment.target or 1)
        for d in digest
        if d.note.kind is digest[0].note.kind
    ]
    assert shares == sorted(shares)

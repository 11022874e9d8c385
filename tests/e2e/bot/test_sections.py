"""/sections end to end (Article 2.1): a department head creates three sections, gives them
V.1's elements, splits a count target by last year's share; each section's member files its
figures; the department's V.1 is the sum of its sections'; the head's digest names the worst
section; an official sees only their own targets and the unit's; forged buttons are refused."""

from __future__ import annotations

import re

from bot.scheduling import share_digests
from kpi.access import Role
from kpi.periods import Period
from kpi.revisions import Author, Source
from storage import SqlUnitOfWork
from tests.e2e.bot.conftest import BotDriver
from tests.e2e.bot.test_export import workbook_of
from tests.e2e.bot.test_status import LAN, MINH, fix_clock, pressed_answer

AN, BINH, CHI = 4311, 4312, 4313
Q2 = Period.parse("2022-Q2")
NAMES = ("Một cửa", "Pháp chế", "Nghiệp vụ")


async def add_sections(bot: BotDriver) -> list[int]:
    ids = []
    for name in NAMES:
        answer = await bot.ask(LAN, f"/sections add {name}", language_code="vi")
        found = re.search(r"\(#(\d+)\)", answer["text"])
        assert found is not None, answer["text"]
        assert name in answer["text"]
        ids.append(int(found[1]))
    return ids


async def seed_last_year(bot: BotDriver, ids: list[int]) -> None:
    """What each section resolved in Q2 2021 (kept in its own revisions): 500, 300, 200."""
    assert bot.application is not None
    now = bot.application.services.clock()
    async with bot.database.unit_of_work() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        for section, done in zip(ids, (500, 300, 200), strict=True):
            await uow.sections.add_figure(
                "so-y-te",
                f"s:{section}",
                "dossiers_resolved",
                Period.parse("2021-Q2"),
                done,
                Author("tg:4301", "Lan"),
                Source.CHAT,
                None,
                now,
            )
        await uow.commit()


async def set_up(bot: BotDriver) -> list[int]:
    fix_clock(bot)
    await bot.make_member(LAN, "so-y-te", name="Lan")
    for who, name in ((AN, "An"), (BINH, "Bình"), (CHI, "Chi")):
        await bot.make_member(who, "so-y-te", Role.MEMBER, name=name)
    ids = await add_sections(bot)
    for section, person in zip(ids, ("An", "Bình", "Chi"), strict=True):
        assigned = await bot.ask(LAN, f"/sections assign {section} V.1")
        assert "dossiers_resolved" in assigned["text"], assigned["text"]
        joined = await bot.ask(LAN, f"/sections member {section} {person}")
        assert "Đã thêm" in joined["text"], joined["text"]
    return ids


async def test_sections_report_v1_the_unit_pools_them_and_the_digest_names_the_worst(
    bot: BotDriver,
) -> None:
    ids = await set_up(bot)
    await seed_last_year(bot, ids)

    # /submit says the unit no longer files V.1's elements itself
    form = await bot.ask(LAN, "/submit", language_code="vi")
    assert "Do các bộ phận của đơn vị báo cáo" in form["text"], form["text"]
    assert "Một cửa, Pháp chế, Nghiệp vụ" in form["text"]
    await bot.ask(LAN, "/cancel")

    split = await bot.ask(LAN, "/sections split dossiers_resolved 2022-Q2 900 last")
    assert "900" in split["text"]
    assert "Một cửa: 450" in split["text"]
    assert "Pháp chế: 270" in split["text"]
    assert "Nghiệp vụ: 180" in split["text"]

    filed = {
        AN: (460, 450, 5),  # resolved, early, on time
        BINH: (100, 60, 20),
        CHI: (170, 160, 5),
    }
    for who, (resolved, early, on_time) in filed.items():
        answer = await bot.ask(
            who,
            f"/sections submit 2022-Q2 dossiers_resolved={resolved}"
            f" dossiers_resolved_early={early} dossiers_resolved_on_time={on_time}",
            language_code="vi",
        )
        assert "Đã lưu" in answer["text"], answer["text"]

    async with bot.database.unit_of_work() as uow:
        pooled = await uow.figures.current_of("so-y-te", Q2)
    assert pooled["dossiers_resolved"] == 460 + 100 + 170
    assert pooled["dossiers_resolved_early"] == 450 + 60 + 160
    assert pooled["dossiers_resolved_on_time"] == 5 + 20 + 5

    status = (await bot.ask(LAN, "/status 2022-Q2"))["text"]
    # V.1: (670 + 30) / 730 = 95,89 %
    assert "V.1" in status
    assert "95,89\u00a0%" in status

    exported = await bot.ask(LAN, "/export", expect="Báo cáo của")
    book = await workbook_of(bot, exported)
    sheet = book["Phòng, bộ phận và cán bộ"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=6) if row[1].value]
    assert [(r[1], r[5], r[6]) for r in rows] == [
        ("Pháp chế", 270, 100),
        ("Nghiệp vụ", 180, 170),
        ("Một cửa", 450, 460),
    ]

    table = (await bot.ask(LAN, "/sections"))["text"]
    first = table.index("Pháp chế: ")
    assert first < table.index("Nghiệp vụ: ") < table.index("Một cửa: ")

    assert bot.application is not None
    services = bot.application.services
    queued = await share_digests(services)(services.catalogues.newest, services.clock())
    # the head's digest, and a note to each person of a section below its share
    assert queued == 3
    async with bot.database.unit_of_work() as uow:
        claimed = await uow.outbox.claim(services.clock(), 10)
    sent = {message.chat_id: message.text for message in claimed}
    assert set(sent) == {LAN, BINH, CHI}
    lines = sent[LAN].splitlines()
    assert "dưới mức giao" in lines[0]
    assert lines[1].startswith("⚠️ Pháp chế")  # the worst first
    assert not any("Một cửa" in line for line in lines)  # met: not in the digest
    assert "Pháp chế" in sent[BINH]
    assert "Nghiệp vụ" not in sent[BINH]


async def test_a_rate_target_is_handed_down_raised_and_judged_on_the_sections_figures(
    bot: BotDriver,
) -> None:
    ids = await set_up(bot)
    lowered = await bot.ask(LAN, f"/sections rate #{ids[1]} V.1 98")
    assert "Chưa lưu: Chỉ tiêu tỷ lệ được giao nguyên mức hoặc cao hơn" in lowered["text"]
    raised = await bot.ask(LAN, f"/sections rate #{ids[1]} V.1 99,5")
    assert "99,50\u00a0%" in raised["text"], raised["text"]
    await bot.ask(
        BINH,
        "/sections submit 2022-Q2 dossiers_resolved=100 dossiers_resolved_early=60"
        " dossiers_resolved_on_time=20",
    )
    mine = (await bot.ask(BINH, "/sections", language_code="vi"))["text"]
    assert "⚠️ V.1" in mine, mine
    assert "80\u00a0%" in mine
    assert "chỉ tiêu 99,5\u00a0%" in mine
    # An (Một cửa) was handed nothing and sees none of it
    assert "V.1" not in (await bot.ask(AN, "/sections", language_code="vi"))["text"]


async def test_an_official_sees_own_targets_and_the_unit_never_a_colleagues(
    bot: BotDriver,
) -> None:
    ids = await set_up(bot)
    await bot.ask(LAN, "/sections split dossiers_resolved 2022-Q2 900 even")
    await bot.ask(LAN, "/sections split dossiers_received_online 2022-Q2 300 even officials")

    mine = (await bot.ask(AN, "/sections", language_code="vi"))["text"]
    assert "Chỉ tiêu của tôi" in mine
    assert "Một cửa" in mine
    assert "Pháp chế" not in mine
    assert "Nghiệp vụ" not in mine
    assert "Bình" not in mine
    assert "Chi" not in mine

    status = (await bot.ask(AN, "/status", language_code="vi"))["text"]
    assert status.startswith("👤 Chỉ tiêu của tôi")
    assert status.index("Chỉ tiêu của tôi") < status.index("📊 Sở Y tế")

    # a colleague's section: refused, as another unit's would be
    listed = await bot.ask(AN, "/sections")
    refused = await pressed_answer(bot, AN, listed, f"sx:s:{ids[1]}")
    assert "không thuộc" in refused["text"] or "không phải" in refused["text"], refused

    # her own section opens
    opened = await bot.press(AN, listed, "🏢 Một cửa", expect="Một cửa")
    assert "300" in opened["text"]

    # an official cannot hand targets down
    answer = await bot.ask(AN, "/sections add Tổ mới")
    assert "Tổ mới" not in answer["text"] or "(#" not in answer["text"]


async def test_a_forged_button_for_another_units_section_is_refused(bot: BotDriver) -> None:
    await set_up(bot)
    await bot.make_member(MINH, "dak-glei", name="Minh")
    other = await bot.ask(MINH, "/sections add Văn phòng", language_code="vi")
    found = re.search(r"\(#(\d+)\)", other["text"])
    assert found is not None
    theirs = int(found[1])

    listed = await bot.ask(LAN, "/sections")
    for data in (f"sx:s:{theirs}", f"sx:r:{theirs}", "sx:s:999999"):
        refused = await pressed_answer(bot, LAN, listed, data)
        assert refused["text"], data
        assert "Văn phòng" not in refused["text"]
    # still there, not retired
    still = (await bot.ask(MINH, "/sections"))["text"]
    assert "Văn phòng" in still
    # nor through the command
    answer = await bot.ask(LAN, f"/sections retire {theirs}")
    assert "Văn phòng" not in answer["text"]
    assert "Văn phòng" in (await bot.ask(MINH, "/sections"))["text"]

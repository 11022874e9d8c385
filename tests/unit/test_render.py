"""The texts and keyboards of the read-only views, from kpi objects alone."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

from bot import render
from bot.callbacks import MAX_BYTES, ChildrenView, DetailView, StatusView, decode
from i18n import formatting, texts
from i18n.translations import translator
from kpi.attainment import Status, judge, judge_each
from kpi.catalogue import Catalogue
from kpi.evaluation import Line
from kpi.periods import Period
from kpi.revisions import Author, Revision, Source
from kpi.units import Level

VI = translator("vi")
EN = translator("en")
YEAR = Period.parse("2022")


def line(
    catalogue: Catalogue,
    code: str,
    numerator: int | None,
    denominator: int | None,
    level: Level | None = None,
) -> Line:
    indicator = catalogue.indicator(code)
    target = indicator.target_for(level or "department")
    attainment = judge(numerator, denominator, target, indicator.floor, indicator.needed_mode)
    return Line(indicator, level, attainment)


def test_a_rate_below_target_reads_in_vietnamese_with_what_is_needed(kontum: Catalogue) -> None:
    text = texts.line_text(line(kontum, "III.2", 34_020, 277_307), kontum, VI)
    assert text == (
        "⚠️ III.2 Hồ sơ trực tuyến trên tổng số hồ sơ: 12,27\u00a0% (chỉ tiêu 25\u00a0%)"
        " · cần thêm 47.076 hồ sơ"
    )


def test_the_same_line_reads_in_english(kontum: Catalogue) -> None:
    text = texts.line_text(line(kontum, "III.2", 34_020, 277_307), kontum, EN)
    assert text == (
        "⚠️ III.2 Online dossiers / all dossiers: 12.27% (target 25%) · 47,076 more dossiers needed"
    )


def test_a_rate_just_below_its_target_is_never_shown_equal_to_it(kontum: Catalogue) -> None:
    text = texts.line_text(line(kontum, "III.2", 99_999, 400_000), kontum, VI)
    assert "24,9998\u00a0% (chỉ tiêu 25\u00a0%)" in text
    assert "cần thêm 2 hồ sơ" in text


def test_a_target_of_100_percent_missed_says_it_is_no_longer_reachable(
    kontum: Catalogue,
) -> None:
    text = texts.line_text(line(kontum, "V.1", 90, 100, "commune"), kontum, VI)
    assert text.startswith("🔴 V.1 Hồ sơ giải quyết trước hạn, đúng hạn (cấp xã): 90,00\u00a0%")
    assert "(chỉ tiêu 100\u00a0%, mức sàn 95\u00a0%)" in text
    assert text.endswith("không còn đạt được trong kỳ này")


def test_the_needed_count_uses_the_measure_of_the_numerator(kontum: Catalogue) -> None:
    payments = texts.line_text(line(kontum, "IV.1", 10, 100), kontum, VI)
    assert payments.endswith("cần thêm 29 giao dịch")
    procedures = texts.line_text(line(kontum, "II.4", 10, 100), kontum, VI)
    assert procedures.endswith("cần thêm 90 thủ tục")
    coverage = texts.line_text(line(kontum, "IV.5", 3, 4), kontum, VI)
    assert coverage.endswith("cần thêm 1 đơn vị")


def test_lines_without_data_or_target_and_met_lines_have_their_glyphs(
    kontum: Catalogue,
) -> None:
    assert texts.line_text(line(kontum, "II.1", None, None), kontum, VI) == (
        "⚪ II.1 DVC an sinh xã hội trực tuyến: chưa có số liệu (chỉ tiêu 100\u00a0%)"
    )
    tracked = texts.line_text(line(kontum, "II.3", 5, 10), kontum, VI)
    assert tracked.startswith("➖ II.3 ")
    assert tracked.endswith("50,00\u00a0% (chỉ theo dõi, không giao chỉ tiêu)")
    met = texts.line_text(line(kontum, "III.2", 30, 100), kontum, VI)
    assert met == "✅ III.2 Hồ sơ trực tuyến trên tổng số hồ sơ: 30,00\u00a0% (chỉ tiêu 25\u00a0%)"


def test_an_indicator_binding_each_unit_says_how_many_units_meet_it(kontum: Catalogue) -> None:
    indicator = kontum.indicator("III.4.b")
    target = Decimal(10)
    units = [judge(n, 100, target, None, indicator.needed_mode) for n in (20, 15, 5)]
    attainment = judge_each(judge(40, 300, target, None, indicator.needed_mode), units)
    text = texts.line_text(Line(indicator, None, attainment), kontum, VI)
    assert "13,33\u00a0% (chỉ tiêu 10\u00a0%)" in text
    assert "2/3 đơn vị đạt" in text
    assert text.startswith("⚠️ III.4.b")


def test_period_names_in_both_languages() -> None:
    names = {key: formatting.period_name(Period.parse(key), VI) for key in ("2022-03", "2022-Q2")}
    assert names == {"2022-03": "tháng 3/2022", "2022-Q2": "quý 2/2022"}
    assert formatting.period_name(Period.parse("2022-H1"), VI) == "6 tháng đầu năm 2022"
    assert formatting.period_name(Period.parse("2022-9M"), VI) == "9 tháng năm 2022"
    assert formatting.period_name(YEAR, VI) == "năm 2022"
    assert formatting.period_name(YEAR, VI, start=True) == "Năm 2022"
    assert formatting.period_name(Period.parse("2022-9M"), EN) == "the first nine months of 2022"


def test_the_status_text_has_the_unit_the_period_a_summary_and_a_legend(
    kontum: Catalogue,
) -> None:
    lines = [line(kontum, "III.2", 34_020, 277_307), line(kontum, "II.1", 10, 10)]
    text = render.status_text(kontum, kontum.units.get("so-y-te"), YEAR, lines, VI)
    assert text.splitlines()[:3] == [
        "📊 Sở Y tế",
        "Năm 2022 (15/12/2021 – 14/12/2022)",
        "Đạt 1/2 chỉ tiêu · 1 chưa đạt",
    ]
    assert "✅ đạt · ⚠️ chưa đạt" in text


def test_every_status_button_is_valid_data_within_64_bytes(kontum: Catalogue) -> None:
    unit = kontum.units.get("dak-glei")
    lines = [line(kontum, "III.2", 1, 10), line(kontum, "V.1", 9, 10, "commune")]
    choices = [render.PeriodChoice(Period.parse("2022-Q1"), "Quý 1/2022")]
    keyboard = render.status_keyboard(
        kontum, unit, YEAR, lines, choices, VI, kontum.units.get("kon-tum")
    )
    views = []
    for row in keyboard.inline_keyboard:
        for button in row:
            data = button.callback_data
            assert isinstance(data, str)
            assert len(data.encode()) <= MAX_BYTES
            views.append(decode(data))
    assert DetailView("dak-glei", YEAR, "III.2") in views
    assert ChildrenView("dak-glei", YEAR, 0) in views
    assert StatusView("kon-tum", YEAR) in views  # the parent
    assert StatusView("dak-glei", Period.parse("2022-Q1")) in views
    labels = [b.text for row in keyboard.inline_keyboard for b in row]
    assert "Đơn vị trực thuộc (12) ▸" in labels
    assert "🔴 V.1" in labels


def test_no_parent_button_when_the_parent_is_not_the_persons(kontum: Catalogue) -> None:
    keyboard = render.status_keyboard(kontum, kontum.units.get("dak-glei"), YEAR, [], [], VI, None)
    views = [decode(b.callback_data) for row in keyboard.inline_keyboard for b in row]  # type: ignore[arg-type]
    assert StatusView("kon-tum", YEAR) not in views


def test_the_detail_names_counts_target_floor_legal_basis_leads_and_baseline(
    kontum: Catalogue,
) -> None:
    indicator = kontum.indicator("I.1")
    lines = [line(kontum, "I.1", 1_200, 1_800)]
    text = render.detail_text(kontum, kontum.units.root, YEAR, indicator, lines, VI)
    assert text.startswith("I.1. Tỷ lệ cung cấp dịch vụ công trực tuyến mức độ 3, 4")
    assert "Tử số (DVCTT mức 3, 4 trên Cổng QG): 1.200" in text  # the annex's national portal
    assert "Mẫu số (Tổng số TTHC): 1.800" in text
    assert "66,67\u00a0% (chỉ tiêu 78\u00a0%)" in text
    assert "Cần thêm 204 dịch vụ" in text
    assert "Kết quả năm 2021: 58,05\u00a0% (1.020/1.757)" in text
    assert "Căn cứ giao chỉ tiêu: Năm 2021 đạt tỷ lệ 58%" in text
    assert "Đơn vị chủ trì: Văn phòng UBND tỉnh" in text
    assert "Đơn vị phối hợp: Các Sở, ban ngành" in text


def test_the_detail_of_a_level_line_uses_the_level_baseline(kontum: Catalogue) -> None:
    indicator = kontum.indicator("V.1")
    lines = [line(kontum, "V.1", 99, 100, "district")]
    text = render.detail_text(kontum, kontum.units.get("dak-glei"), YEAR, indicator, lines, VI)
    assert "✅ cấp huyện: 99,00\u00a0% (chỉ tiêu 97\u00a0%, mức sàn 95\u00a0%)" in text
    assert "Kết quả năm 2021: 96,34%" in text


def test_a_revision_reads_who_when_where_from_and_why(kontum: Catalogue) -> None:
    revision = Revision(
        "so-y-te",
        "dossiers_received_online",
        Period.parse("2022-03"),
        15,
        Author("tg:1", "Lan"),
        Source.CHAT,
        datetime(2022, 6, 10, 3, 5, tzinfo=UTC),
        "nhập nhầm",
        2,
        10,
    )
    text = render.revision_text(revision, kontum, VI, show_unit=True)
    assert text.splitlines() == [
        "• 10:05 10/06/2022 · Sở Y tế",
        "  Hồ sơ tiếp nhận trực tuyến, tháng 3/2022: 10 → 15",
        "  Lan · qua trò chuyện · lý do: nhập nhầm",
    ]


def test_a_yes_no_figure_reads_as_yes_or_no(kontum: Catalogue) -> None:
    revision = Revision(
        "dak-glei",
        "e_cert_provided",
        Period.parse("2022-03"),
        1,
        Author("import:a.csv", "Import"),
        Source.IMPORT,
        datetime(2022, 6, 10, 3, 5, tzinfo=UTC),
    )
    text = render.revision_text(revision, kontum, EN, show_unit=False)
    assert ": — → yes" in text
    assert "Import · by file import" in text


def test_long_texts_are_split_between_lines_within_the_limit() -> None:
    text = "\n\n".join("\n".join(f"line {p}.{i}" for i in range(30)) for p in range(10))
    chunks = texts.split_message(text, limit=200)
    assert all(len(chunk) <= 200 for chunk in chunks)
    assert "\n".join(chunks).replace("\n\n", "\n") == text.replace("\n\n", "\n")
    assert texts.split_message("short") == ["short"]
    assert texts.split_message("x" * 450, limit=200) == ["x" * 200, "x" * 200, "x" * 50]


def test_an_edit_is_cut_to_one_message_at_a_line() -> None:
    text = "\n".join("a" * 9 for _ in range(100))
    cut = texts.fit(text, limit=95)
    assert len(cut) <= 95
    assert cut.endswith("\n…")
    assert texts.fit("short", limit=95) == "short"


def test_pages_are_clamped_to_the_pages_there_are() -> None:
    items = list(range(20))
    assert texts.paginate(items, 0, 8) == (list(range(8)), 0, 3)
    assert texts.paginate(items, 7, 8) == ([16, 17, 18, 19], 2, 3)
    assert texts.paginate([], 3, 8) == ([], 0, 1)


def test_a_summary_counts_met_lines_and_keeps_the_worst_status(kontum: Catalogue) -> None:
    lines = [
        line(kontum, "III.2", 30, 100),
        line(kontum, "V.1", 90, 100, "commune"),
        line(kontum, "II.1", None, None),
    ]
    assert texts.summarise(lines) == texts.Summary(
        1, 3, Status.BELOW_FLOOR, below_floor=1, no_data=1
    )
    assert texts.summarise([]) == texts.Summary(0, 0, Status.NO_DATA)


def test_the_headline_counts_every_line_with_a_target_nothing_hidden(kontum: Catalogue) -> None:
    lines = [
        line(kontum, "III.2", 30, 100),
        line(kontum, "IV.1", 10, 100),
        line(kontum, "V.1", 90, 100, "commune"),
        line(kontum, "IV.2", None, None),
        line(kontum, "IV.3", 0, 0),
    ]
    assert lines[-1].attainment.status is Status.NOTHING_AROSE
    assert texts.summary_text(texts.summarise(lines), VI) == (
        "Đạt 1/5 chỉ tiêu · 1 chưa đạt · 1 dưới mức sàn · 1 chưa có số liệu · 1 không phát sinh"
    )
    assert "🔘 IV.3" in texts.line_text(lines[-1], kontum, VI)
    assert "không phát sinh (0/0)" in texts.line_text(lines[-1], kontum, VI)


def test_a_coverage_line_shows_the_units_not_yet_reported(kontum: Catalogue) -> None:
    plain = line(kontum, "III.4.a", 10, 102, "commune")
    covered = dataclasses.replace(
        plain, attainment=dataclasses.replace(plain.attainment, not_answered=92)
    )
    text = texts.line_text(covered, kontum, VI)
    assert "9,80\u00a0%" in text
    assert "chưa báo cáo: 92 đơn vị" in text
    assert "cần thêm 92 đơn vị" in text


def test_the_land_dues_baseline_states_its_scope(kontum: Catalogue) -> None:
    indicator = kontum.indicator("IV.4")
    lines = [line(kontum, "IV.4", 10, 100)]
    text = render.detail_text(kontum, kontum.units.root, YEAR, indicator, lines, VI)
    assert "Kết quả năm 2021: 14,82\u00a0% (3.016/20.352). Phạm vi: Cấp tỉnh và cấp huyện" in text
    assert "18,57 %" in text

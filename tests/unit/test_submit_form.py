"""The /submit form without Telegram: its state as JSON, moving through the questions, answers
read the Vietnamese way, buttons that fit Telegram and name their form, and the texts."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot import submit_form as sf
from bot.submit_form import Action, Button, Form, PeriodRefusal
from i18n.formatting import period_name
from i18n.problems import COUNT_TEXTS, count_problem_text
from i18n.translations import translator
from kpi.catalogue import FORM_ORDER, Catalogue
from kpi.elements import DataElement
from kpi.errors import CountError
from kpi.numbers import CountProblem
from kpi.periods import Period
from kpi.rules import RuleViolation
from services.figures import Change, Plan, Problem

VI = translator("vi")
EN = translator("en")
DECEMBER = Period.month(2022, 12)


@pytest.fixture
def questions(kontum: Catalogue) -> list[DataElement]:
    """A long form for the form's mechanics: every element a department may report, in form
    order (what /submit asks a unit is tested in test_scope)."""
    order = {code: i for i, code in enumerate(kontum.elements)}
    return sorted(
        (e for e in kontum.elements.values() if "department" in e.levels),
        key=lambda e: (FORM_ORDER.index(e.form), order[e.code]),
    )


def started(questions: list[DataElement], **answers: int) -> Form:
    form = Form.new("so-tu-phap")
    form.period = DECEMBER.key
    form.answers = dict(answers)
    del questions
    return form


def index_of(questions: list[DataElement], code: str) -> int:
    return [q.code for q in questions].index(code)


# --- state ------------------------------------------------------------------------------------


def test_a_form_survives_a_round_trip_through_json(questions: list[DataElement]) -> None:
    form = started(questions, tthc_total=1020)
    form.current = {"dossiers_received": 5}
    form.index, form.step, form.reviewing = 3, 7, True
    stored = json.loads(json.dumps(form.to_json()))
    assert Form.from_json(stored) == form


@pytest.mark.parametrize(
    "data",
    [
        None,
        "submit",
        {},
        {"unit": "x", "token": "abc", "step": 0, "index": 0, "answers": {}, "current": {}},
        {"unit": "x", "token": "abcdef", "step": "1", "index": 0, "answers": {}, "current": {}},
        {
            "unit": "x",
            "token": "abcdef",
            "step": 1,
            "index": 0,
            "answers": {"a": "1"},
            "current": {},
        },
        {
            "unit": "x",
            "token": "abcdef",
            "step": 1,
            "index": 0,
            "answers": {"a": True},
            "current": {},
        },
    ],
)
def test_a_stored_form_of_another_shape_is_no_form(data: object) -> None:
    assert Form.from_json(data) is None


def test_new_forms_get_different_tokens() -> None:
    assert len({Form.new("so-tu-phap").token for _ in range(50)}) == 50


# --- moving through the questions ---------------------------------------------------------


def test_answers_and_skips_move_to_the_next_question_until_the_summary(
    questions: list[DataElement],
) -> None:
    form = started(questions)
    assert form.answer(questions, 1020)
    assert form.index == 1
    assert form.answers == {"tthc_total": 1020}
    assert form.skip(questions)
    assert form.index == 2
    form.index = len(questions) - 1
    assert not form.skip(questions)  # the last one: the summary comes next


def test_skip_forgets_an_earlier_answer_to_that_question(questions: list[DataElement]) -> None:
    form = started(questions, tthc_total=1020)
    form.skip(questions)
    assert form.answers == {}


def test_back_goes_to_the_previous_question_and_not_before_the_first(
    questions: list[DataElement],
) -> None:
    form = started(questions)
    assert not form.back()
    form.index = 2
    assert form.back()
    assert form.index == 1


def test_an_answer_given_from_the_summary_goes_back_to_it(questions: list[DataElement]) -> None:
    form = started(questions, tthc_total=1020)
    assert form.edit(questions, 5)
    assert not form.answer(questions, 7)
    assert form.index == 5
    assert form.answers[questions[5].code] == 7
    assert not form.edit(questions, len(questions))


def test_the_value_a_form_leaves_is_the_answer_else_the_stored_one(
    questions: list[DataElement],
) -> None:
    form = started(questions, tthc_total=10)
    form.current = {"tthc_total": 5, "tthc_online": 3}
    assert form.value_of("tthc_total") == 10
    assert form.value_of("tthc_online") == 3
    assert form.value_of("dossiers_received") is None


# --- answers ----------------------------------------------------------------------------------


def test_counts_are_read_the_vietnamese_way(kontum: Catalogue) -> None:
    element = kontum.element("dossiers_received")
    assert sf.read_answer(element, "1.020") == 1020
    assert sf.read_answer(element, "1 020 hồ sơ") == 1020
    with pytest.raises(CountError) as comma:
        sf.read_answer(element, "1,020")
    assert comma.value.reason == CountProblem.DECIMAL


def test_yes_and_no_are_read_in_both_languages(kontum: Catalogue) -> None:
    flag = kontum.element("fee_account_e_receipts")
    assert sf.read_answer(flag, "Có") == 1
    assert sf.read_answer(flag, "no") == 0
    with pytest.raises(sf.FlagAnswerError):
        sf.read_answer(flag, "có lẽ")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1,020", "dấu phẩy"),
        ("-5", "không thể là số âm"),
        ("abc", "số nguyên"),
        ("98,88%", "tỉ lệ phần trăm"),
        ("", "chưa nhập gì"),
        ("12 và 13", "một số"),
        ("99999999999", "quá lớn"),
    ],
)
def test_every_bad_count_is_explained_in_vietnamese(
    kontum: Catalogue, typed: str, expected: str
) -> None:
    with pytest.raises(CountError) as error:
        sf.read_answer(kontum.element("dossiers_received"), typed)
    assert expected in count_problem_text(error.value, VI)


def test_every_count_problem_has_a_message() -> None:
    assert set(COUNT_TEXTS) == set(CountProblem)
    for problem in CountProblem:
        assert VI._(COUNT_TEXTS[problem]) != COUNT_TEXTS[problem]


def test_a_part_larger_than_its_whole_is_refused_naming_both(
    kontum: Catalogue, questions: list[DataElement]
) -> None:
    form = started(questions, dossiers_received=1200)
    online = kontum.element("dossiers_received_online")
    assert sf.part_too_large(online, 1200, form, questions) is None
    problem = sf.part_too_large(online, 1201, form, questions)
    assert problem is not None
    text = sf.part_too_large_text(problem, VI)
    assert text.startswith("Hồ sơ tiếp nhận trực tuyến không được lớn hơn Hồ sơ tiếp nhận")
    assert "1.201" in text
    assert "1.200" in text


def test_a_part_is_checked_against_the_stored_whole_when_the_whole_was_skipped(
    kontum: Catalogue, questions: list[DataElement]
) -> None:
    form = started(questions)
    online = kontum.element("dossiers_received_online")
    assert sf.part_too_large(online, 10**6, form, questions) is None  # no whole: nothing to say
    form.current = {"dossiers_received": 100}
    assert sf.part_too_large(online, 101, form, questions) is not None


# --- buttons ----------------------------------------------------------------------------------


def test_button_data_names_the_form_and_its_step_and_reads_back(
    questions: list[DataElement],
) -> None:
    form = started(questions)
    form.next_step()
    data = form.button_data(Button("Sửa", Action.EDIT, "25"))
    assert data == f"sb:{form.token}:1:e:25"
    press = sf.parse_press(data)
    assert press == sf.Press(form.token, 1, Action.EDIT, "25")
    assert form.accepts(press)
    form.next_step()
    assert not form.accepts(press)  # an older prompt
    assert not Form.new("so-tu-phap").accepts(press)  # another form


@pytest.mark.parametrize(
    "data",
    [None, "", "sb:", "sb:abcdef:1:zz", "sb:ABCDEF:1:ok", "sb:abcdef:x:ok", "st:a:b", "sb:u:x"],
)
def test_malformed_button_data_is_no_press(data: str | None) -> None:
    assert sf.parse_press(data) is None


def test_every_button_of_every_prompt_fits_telegram(kontum: Catalogue) -> None:
    longest = max((u for u in kontum.units), key=lambda u: len(u.code.encode()))
    assert len(sf.unit_button(longest.code).encode()) <= sf.MAX_BYTES
    assert sf.parse_unit_button(sf.unit_button(longest.code)) == longest.code
    form = Form(unit=longest.code, token="abcdef", step=999_999, period="2022-12")
    questions = kontum.elements_for(longest)
    rows: list[list[Button]] = []
    rows += sf.period_prompt("x", sf.period_choices(DECEMBER), None, VI)[1]
    rows += sf.question_prompt(form, questions, "x", VI)[1]
    rows += sf.edit_list_prompt(form, questions, VI)[1]
    for row in rows:
        for button in row:
            data = form.button_data(button)
            assert len(data.encode()) <= sf.MAX_BYTES
            assert sf.parse_press(data) is not None


def test_a_unit_button_with_a_forged_code_is_refused() -> None:
    assert sf.parse_unit_button("sb:u:../../etc") is None
    assert sf.parse_unit_button("sb:u:") is None
    with pytest.raises(ValueError, match="button"):
        sf.unit_button("Sở Tư pháp")


# --- periods ----------------------------------------------------------------------------------


def test_the_periods_offered_are_this_month_the_previous_one_and_the_quarter() -> None:
    assert sf.period_choices(DECEMBER) == [
        (DECEMBER, "current"),
        (Period.month(2022, 11), "previous"),
        (Period.quarter(2022, 4), "quarter"),
    ]
    january = Period.month(2022, 1)
    assert sf.period_choices(january) == [
        (january, "current"),
        (Period.quarter(2022, 1), "quarter"),
    ]
    text, rows = sf.period_prompt("Sở Tư pháp", sf.period_choices(DECEMBER), None, VI)
    assert text == "Báo cáo số liệu của Sở Tư pháp. Anh/chị chọn kỳ báo cáo:"
    assert [r[0].label for r in rows] == [
        "Tháng 12/2022 (kỳ hiện tại)",
        "Tháng 11/2022 (kỳ trước)",
        "Quý 4/2022 (cả quý)",
        "Kỳ khác…",
        "Hủy",
    ]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2022-03", Period.month(2022, 3)),
        ("2022-Q1", Period.quarter(2022, 1)),
        ("2022-13", PeriodRefusal.MALFORMED),
        ("tháng ba", PeriodRefusal.MALFORMED),
        ("2021-Q4", PeriodRefusal.NO_CATALOGUE),
        ("2022-06", Period.month(2022, 6)),  # began on 15/05
        ("2022-07", PeriodRefusal.NOT_BEGUN),
    ],
)
def test_a_typed_period_is_taken_only_if_figures_may_be_given_for_it(
    typed: str, expected: Period | PeriodRefusal
) -> None:
    assert sf.choose_period(typed, [2022], date(2022, 5, 20), 14) == expected


def test_a_refused_period_says_what_to_type() -> None:
    text = sf.period_refusal_text(PeriodRefusal.MALFORMED, "2022-13", [2022], VI)
    assert "“2022-13” không phải là kỳ báo cáo" in text
    assert "2022-Q1" in text
    assert "2022" in sf.period_refusal_text(PeriodRefusal.NO_CATALOGUE, "2031", [2022], EN)


# --- questions --------------------------------------------------------------------------------


def test_a_question_shows_its_group_name_measure_and_current_value(
    questions: list[DataElement],
) -> None:
    form = started(questions)
    form.index = index_of(questions, "dossiers_received")
    form.current = {"dossiers_received": 1020}
    text, rows = sf.question_prompt(form, questions, "Sở Tư pháp, Tháng 12/2022", VI)
    assert text.splitlines()[:2] == ["Sở Tư pháp, Tháng 12/2022", "▸ Hồ sơ"]
    assert f"Câu {form.index + 1}/{len(questions)}: Số hồ sơ tiếp nhận" in text
    assert "Đơn vị tính: hồ sơ. Hiện tại: 1.020." in text
    assert [[b.action for b in row] for row in rows] == [
        [Action.SKIP, Action.BACK],
        [Action.CANCEL],
    ]
    form.index += 1  # same group: no title again
    assert "▸" not in sf.question_prompt(form, questions, "h", VI)[0]


def test_a_yes_no_question_has_yes_and_no_buttons(questions: list[DataElement]) -> None:
    form = started(questions)
    form.index = index_of(questions, "fee_account_e_receipts")
    form.current = {"fee_account_e_receipts": 1}
    text, rows = sf.question_prompt(form, questions, "h", VI)
    assert "Hiện tại: Có." in text
    assert [b.label for b in rows[0]] == ["Có", "Không"]


# --- summary ----------------------------------------------------------------------------------


def _violation(kontum: Catalogue) -> Problem:
    rule = next(r for r in kontum.rules if r.code == "resolved_breakdown")
    return Problem("rule", rule.message.en, None, RuleViolation(rule, 950, 1000))


def test_a_broken_rule_is_named_and_offers_to_edit_its_answers_not_to_confirm(
    kontum: Catalogue, questions: list[DataElement]
) -> None:
    form = started(
        questions,
        dossiers_resolved=1000,
        dossiers_resolved_early=100,
        dossiers_resolved_on_time=800,
        dossiers_resolved_late=50,
    )
    preview = sf.Preview(None, [_violation(kontum)])
    text, rows = sf.summary_prompt(form, questions, preview, [], "h", kontum, DECEMBER, VI)
    assert "• Hồ sơ đã giải quyết: 1.000" in text
    assert (
        "• Số hồ sơ giải quyết trước hạn + đúng hạn + quá hạn phải bằng tổng số hồ sơ đã giải"
        " quyết (hiện là 950 so với 1.000)." in text
    )
    actions = [b.action for row in rows for b in row]
    assert Action.CONFIRM not in actions
    labels = [b.label for row in rows for b in row]
    assert labels[:4] == [
        "Sửa Hồ sơ đã giải quyết (1.000)",
        "Sửa Giải quyết trước hạn (100)",
        "Sửa Giải quyết đúng hạn (800)",
        "Sửa Giải quyết quá hạn (50)",
    ]


def test_a_clean_summary_shows_old_and_new_and_the_rates_then_offers_to_confirm(
    kontum: Catalogue, questions: list[DataElement]
) -> None:
    form = started(questions, dossiers_received=1100, dossiers_received_online=300, tthc_total=9)
    plan = Plan(
        "so-tu-phap",
        DECEMBER,
        [Change("dossiers_received", 1000, 1100), Change("dossiers_received_online", None, 300)],
        ["tthc_total"],
    )
    rates = ["✅ II.1 …: 27,27\u00a0%"]
    text, rows = sf.summary_prompt(
        form, questions, sf.Preview(plan), rates, "h", kontum, DECEMBER, VI
    )
    assert "• Tổng số TTHC: 9 (không đổi)" in text
    assert "• Hồ sơ tiếp nhận: 1.000 → 1.100" in text
    assert "• Hồ sơ tiếp nhận trực tuyến: 300" in text
    assert "Tỉ lệ sau khi lưu:\n✅ II.1 …: 27,27\u00a0%" in text
    assert [row[0].action for row in rows] == [Action.CONFIRM, Action.EDIT_LIST, Action.CANCEL]


def test_a_summary_without_answers_has_nothing_to_confirm(
    kontum: Catalogue, questions: list[DataElement]
) -> None:
    plan = Plan("so-tu-phap", DECEMBER)
    text, rows = sf.summary_prompt(
        started(questions), questions, sf.Preview(plan), [], "h", kontum, DECEMBER, EN
    )
    assert "You have not given any figure yet." in text
    assert Action.CONFIRM not in [b.action for row in rows for b in row]


def test_a_correction_asks_why_showing_old_and_new(questions: list[DataElement]) -> None:
    plan = Plan(
        "so-tu-phap",
        DECEMBER,
        [Change("dossiers_received", 1000, 1100), Change("tthc_total", None, 9)],
    )
    text, _rows = sf.reason_prompt(questions, plan, VI)
    assert "• Hồ sơ tiếp nhận: 1.000 → 1.100" in text
    assert "Tổng số TTHC" not in text  # a new figure, not a correction
    assert "tối đa 500 ký tự" in text


def test_a_reason_is_required_and_at_most_500_characters() -> None:
    assert sf.reason_problem("   ", VI) is not None
    assert sf.reason_problem("x" * 501, EN) == (
        "The reason is 501 characters long: keep it to 500 or fewer."
    )
    assert sf.reason_problem("x" * 500, VI) is None


def test_periods_are_named_the_way_the_status_names_them() -> None:
    assert period_name(DECEMBER, VI) == "tháng 12/2022"
    assert period_name(Period.quarter(2022, 4), VI) == "quý 4/2022"
    assert period_name(Period.parse("2022"), EN) == "the year 2022"


# --- the previous period and the typo guard ---------------------------------------------------


def test_the_previous_period_of_a_month_or_a_quarter_and_none_for_longer() -> None:
    assert sf.previous_period(Period.month(2022, 1)) == Period.month(2021, 12)
    assert sf.previous_period(Period.month(2022, 11)) == Period.month(2022, 10)
    assert sf.previous_period(Period.quarter(2022, 1)) == Period.quarter(2021, 4)
    assert sf.previous_period(Period(2022, 1, 6)) is None


@pytest.mark.parametrize(
    ("value", "asked"),
    [(11800, True), (118, True), (1180, False), (2000, False), (200, False), (0, False)],
)
def test_a_value_ten_times_or_a_tenth_of_last_periods_is_asked_about_once(
    kontum: Catalogue, value: int, asked: bool
) -> None:
    element = kontum.element("dossiers_received")
    form = sf.Form.new("dak-blo")
    form.previous = {"dossiers_received": 1180}
    assert (sf.far_from_previous(element, value, form) == 1180) is asked
    form.flagged["dossiers_received"] = value
    assert sf.far_from_previous(element, value, form) is None  # sent again: taken

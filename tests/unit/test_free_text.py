"""Figures written in one message, as to a colleague, are matched to the elements asked."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kpi.catalogue import Catalogue
from kpi.free_text import ElementWords, Reading, element_words, read_figures
from kpi.numbers import parse_count, parse_flag
from kpi.periods import Period

DOSSIERS = (
    "dossiers_received",
    "dossiers_received_online",
    "dossiers_resolved",
    "dossiers_resolved_early",
    "dossiers_resolved_on_time",
    "dossiers_resolved_late",
    "results_synced_national",
    "payment_transactions",
    "payments_online",
    "payments_online_national",
    "e_cert_provided",
    "tthc_total",
    "tthc_online",
)


@pytest.fixture
def words(kontum: Catalogue) -> tuple[ElementWords, ...]:
    elements = [kontum.element(code) for code in DOSSIERS]
    late = kontum.element("dossiers_resolved_late")
    elements[DOSSIERS.index("dossiers_resolved_late")] = replace(
        late, aliases=("trễ hạn", "trễ", "chậm")
    )
    return element_words(elements)


def read(text: str, words: tuple[ElementWords, ...]) -> Reading:
    return read_figures(text, words, parse_count, parse_flag, 2022, Period.month(2022, 11))


def test_the_colleague_message_gives_its_period_and_six_figures(
    words: tuple[ElementWords, ...],
) -> None:
    reading = read(
        "Tháng 11: tiếp nhận 1.200, trực tuyến 300, giải quyết 1.150 "
        "(trước hạn 600, đúng hạn 500, trễ 50)",
        words,
    )
    assert reading.period == Period.month(2022, 11)
    assert reading.values == {
        "dossiers_received": 1200,
        "dossiers_received_online": 300,
        "dossiers_resolved": 1150,
        "dossiers_resolved_early": 600,
        "dossiers_resolved_on_time": 500,
        "dossiers_resolved_late": 50,
    }
    assert not reading.unplaced
    assert not reading.ambiguous
    assert not reading.problems


def test_words_without_diacritics_and_abbreviations_are_understood(
    words: tuple[ElementWords, ...],
) -> None:
    reading = read("HS tiep nhan 1200; HS tiep nhan TT 300\nHS giai quyet: 1150", words)
    assert reading.values == {
        "dossiers_received": 1200,
        "dossiers_received_online": 300,
        "dossiers_resolved": 1150,
    }
    assert reading.period is None


def test_the_number_may_come_before_its_label(words: tuple[ElementWords, ...]) -> None:
    reading = read("1.200 hồ sơ tiếp nhận, 1.150 hồ sơ giải quyết", words)
    assert reading.values == {"dossiers_received": 1200, "dossiers_resolved": 1150}


def test_english_labels_are_understood(words: tuple[ElementWords, ...]) -> None:
    reading = read("received 1200, received online 300, resolved on time 500", words)
    assert reading.values == {
        "dossiers_received": 1200,
        "dossiers_received_online": 300,
        "dossiers_resolved_on_time": 500,
    }


def test_an_unknown_word_is_returned_unplaced_and_the_rest_understood(
    words: tuple[ElementWords, ...],
) -> None:
    reading = read("tiếp nhận 1.200, xe máy 40", words)
    assert reading.values == {"dossiers_received": 1200}
    assert reading.unplaced == ("xe máy 40",)


def test_a_label_that_fits_several_elements_is_left_for_the_person(
    words: tuple[ElementWords, ...],
) -> None:
    reading = read("trực tuyến 300", words)
    assert reading.values == {}
    assert len(reading.ambiguous) == 1
    assert reading.ambiguous[0].value == 300
    assert "dossiers_received_online" in reading.ambiguous[0].candidates
    assert len(reading.ambiguous[0].candidates) > 1


def test_a_bad_number_is_a_problem_quoted_never_a_guess(
    words: tuple[ElementWords, ...],
) -> None:
    reading = read("tiếp nhận 1,020, giải quyết 12abc", words)
    assert reading.values == {}
    assert [fragment for fragment, _ in reading.problems] == [
        "tiếp nhận 1,020",
        "giải quyết 12abc",
    ]


def test_two_large_numbers_under_one_label_are_refused(words: tuple[ElementWords, ...]) -> None:
    reading = read("giải quyết 1.150 1.200", words)
    assert reading.values == {}
    assert reading.problems


def test_a_flag_reads_yes_or_no(words: tuple[ElementWords, ...]) -> None:
    reading = read("chứng thực bản sao điện tử: có", words)
    assert reading.values == {"e_cert_provided": 1}


def test_the_same_element_given_twice_with_different_values_is_ambiguous(
    words: tuple[ElementWords, ...],
) -> None:
    reading = read("tiếp nhận 1.200, tiếp nhận 1.300", words)
    assert reading.values == {"dossiers_received": 1200}
    assert reading.ambiguous[0].candidates == ("dossiers_received",)


def test_only_the_elements_asked_are_matched(kontum: Catalogue) -> None:
    asked = element_words([kontum.element("dossiers_received")])
    reading = read_figures(
        "tiếp nhận 1.200, giải quyết 1.150", asked, parse_count, parse_flag, 2022
    )
    assert reading.values == {"dossiers_received": 1200}
    assert reading.unplaced == ("giải quyết 1.150",)


def test_text_without_any_figure_understands_nothing(words: tuple[ElementWords, ...]) -> None:
    reading = read("xin chào, cho tôi hỏi", words)
    assert not reading.understood_anything

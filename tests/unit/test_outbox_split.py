"""Long texts are split where a reader expects a break, and nothing is lost."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.outbox import split_message, split_text
from services.ports import OutgoingMessage


def test_a_short_text_stays_whole() -> None:
    assert split_text("Xin chào") == ["Xin chào"]


def test_a_long_text_is_cut_at_a_paragraph_before_a_line() -> None:
    text = "a" * 30 + "\n\n" + "b" * 30 + "\n" + "c" * 30
    assert split_text(text, limit=70) == ["a" * 30, "b" * 30 + "\n" + "c" * 30]


def test_a_text_without_breaks_is_cut_at_the_limit() -> None:
    assert split_text("x" * 25, limit=10) == ["x" * 10, "x" * 10, "x" * 5]


@given(st.text(alphabet="ab \nđ", max_size=400), st.integers(min_value=5, max_value=50))
def test_every_part_fits_and_nothing_but_separators_is_dropped(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(len(part) <= limit for part in parts)
    assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
        "\n", ""
    )


def test_the_buttons_go_with_the_last_part_and_each_part_has_its_own_key() -> None:
    markup: dict[str, object] = {"inline_keyboard": [[{"text": "Nộp", "callback_data": "s"}]]}
    parts = split_message(OutgoingMessage("k", 1, "alert", "x" * 9000, markup))
    assert [p.key for p in parts] == ["k", "k#2", "k#3"]
    assert [p.markup for p in parts] == [None, None, markup]

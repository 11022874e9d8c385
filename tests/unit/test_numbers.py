import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi.errors import CountError
from kpi.numbers import MAX_COUNT, CountProblem, parse_count, parse_flag


def vietnamese(n: int, separator: str = ".") -> str:
    return f"{n:,}".replace(",", separator)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.020", 1020),
        ("1 020", 1020),
        ("1020 hồ sơ", 1020),
        ("277.307", 277307),
        ("  42 ", 42),
        ("0", 0),
        ("1.000.000", 1_000_000),
        ("1\u00a0020", 1020),
        ("+7", 7),
        ("5 nghìn", 5_000),
        ("5 nghin", 5_000),
        ("5 ngàn", 5_000),
        ("5 ngan", 5_000),
        ("5 ngìn", 5_000),
        ("5nghìn", 5_000),
        ("5 Nghìn hồ sơ", 5_000),
        ("2 triệu", 2_000_000),
        ("2 trieu", 2_000_000),
        ("1,5 triệu", 1_500_000),
        ("1.500 nghìn", 1_500_000),
        ("1 tỷ", 1_000_000_000),
        ("1 tỉ", 1_000_000_000),
        ("1 ty", 1_000_000_000),
        ("3 trăm", 300),
    ],
)
def test_counts_typed_the_vietnamese_way_are_read_exactly(text: str, value: int) -> None:
    assert parse_count(text) == value


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("1,020", CountProblem.DECIMAL),
        ("98,88", CountProblem.DECIMAL),
        ("1.02", CountProblem.DECIMAL),
        ("-5", CountProblem.NEGATIVE),
        ("\u22125", CountProblem.NEGATIVE),
        ("", CountProblem.EMPTY),
        ("   ", CountProblem.EMPTY),
        ("abc", CountProblem.NO_NUMBER),
        ("98,88%", CountProblem.PERCENT),
        ("12 34", CountProblem.MALFORMED),
        ("1.0200", CountProblem.DECIMAL),
        ("khoảng 12", CountProblem.MALFORMED),
        ("12 và 13", CountProblem.SEVERAL),
        ("99999999999", CountProblem.TOO_LARGE),
        ("9" * 5000, CountProblem.TOO_LARGE),
        ("12abc", CountProblem.MALFORMED),
        ("1020hs", CountProblem.MALFORMED),
        ("12 hồ sơ.", CountProblem.MALFORMED),
        ("5k", CountProblem.MULTIPLIER),
        ("5 K", CountProblem.MULTIPLIER),
        ("5 tr", CountProblem.MULTIPLIER),
        ("5 chục", CountProblem.MULTIPLIER),
        ("5 vạn", CountProblem.MULTIPLIER),
        ("5 million", CountProblem.MULTIPLIER),
        ("5 nghìn 200", CountProblem.MULTIPLIER),
        ("5 nghìn tỷ", CountProblem.MULTIPLIER),
        ("5 hồ sơ nghìn", CountProblem.MULTIPLIER),
        ("2 tỷ", CountProblem.TOO_LARGE),
        ("1,2345 nghìn", CountProblem.DECIMAL),
        ("1.5 triệu", CountProblem.DECIMAL),
        ("1e5", CountProblem.NOTATION),
        ("1E+5", CountProblem.NOTATION),
        ("10^20", CountProblem.NOTATION),
        ("10**20", CountProblem.NOTATION),
        ("5x10^3", CountProblem.NOTATION),
    ],
)
def test_what_is_not_a_count_is_refused_with_the_reason(text: str, problem: CountProblem) -> None:
    with pytest.raises(CountError) as caught:
        parse_count(text)
    assert caught.value.reason == problem


@given(st.integers(min_value=0, max_value=MAX_COUNT), st.sampled_from([".", " ", "\u00a0"]))
def test_any_count_written_with_thousands_separators_reads_back(n: int, sep: str) -> None:
    assert parse_count(vietnamese(n, sep)) == n
    assert parse_count(f"{n} hồ sơ") == n


@given(st.integers(min_value=1, max_value=MAX_COUNT), st.integers(min_value=1, max_value=99))
def test_a_number_with_a_decimal_comma_is_never_taken_for_a_count(n: int, decimals: int) -> None:
    with pytest.raises(CountError):
        parse_count(f"{n},{decimals:02d}")


@given(st.text(max_size=20))
def test_parsing_never_guesses_it_returns_a_count_or_says_why(text: str) -> None:
    try:
        value = parse_count(text)
    except CountError as error:
        assert error.reason in set(CountProblem)
    else:
        assert 0 <= value <= MAX_COUNT


@pytest.mark.parametrize("text", ["5 nghìn", "2 triệu", "12abc", "5k", "1e5", "10^20"])
def test_a_number_with_words_is_never_truncated_to_its_digits(text: str) -> None:
    digits = int("".join(c for c in text if c.isdigit()))
    try:
        value = parse_count(text)
    except CountError as error:
        assert error.text == text
    else:
        assert value != digits


def test_yes_and_no_are_read_in_vietnamese_and_english() -> None:
    assert [parse_flag(t) for t in ("có", "Có", "yes", "1", "không", "no", "0")] == [
        1,
        1,
        1,
        1,
        0,
        0,
        0,
    ]
    with pytest.raises(CountError):
        parse_flag("maybe")


@given(st.text(alphabet="0123456789", min_size=1, max_size=12))
def test_plain_digits_read_as_the_same_digits_with_spaces_around_them_do(digits: str) -> None:
    # plain digits take a short way (a file's cells); padded, the same text takes the long one
    def outcome(text: str) -> int | str:
        try:
            return parse_count(text)
        except CountError as error:
            return str(error.reason)

    assert outcome(digits) == outcome(f" {digits} ")

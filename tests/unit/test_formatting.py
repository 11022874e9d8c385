"""Numbers as Babel writes them for vi_VN and en_US, written faster than Babel does."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from i18n.formatting import count, decimal, percent

LANGUAGES = st.sampled_from(["vi", "en"])
BABEL_LOCALES = {"vi": "vi_VN", "en": "en_US"}


def test_counts_are_grouped_by_three_the_vietnamese_way() -> None:
    assert count(277307) == "277.307"
    assert count(1_234_567, "en") == "1,234,567"
    assert count(-1020) == "-1.020"
    assert count(0) == "0"
    assert count(None) == "—"


def test_percentages_and_decimals_use_the_decimal_comma() -> None:
    assert percent(Decimal("12.27")) == "12,27\u00a0%"
    assert percent(Decimal("1234.5"), language="en") == "1,234.50%"
    assert percent(Decimal("99.999"), decimals=3) == "99,999\u00a0%"
    assert decimal(Decimal("8.75")) == "8,75"
    assert decimal(Decimal("9.00")) == "9"


@given(st.integers(-(10**15), 10**15), LANGUAGES)
def test_a_count_is_what_babel_writes(value: int, language: str) -> None:
    assert count(value, language) == format_decimal(value, locale=BABEL_LOCALES[language])


@given(
    st.decimals(min_value=-1000, max_value=10**6, places=4, allow_nan=False),
    st.integers(0, 4),
    LANGUAGES,
)
def test_a_percentage_and_a_decimal_are_what_babel_writes(
    value: Decimal, decimals: int, language: str
) -> None:
    locale = BABEL_LOCALES[language]
    fixed = "#,##0." + "0" * decimals if decimals else "#,##0"
    up_to = "#,##0." + "#" * decimals if decimals else "#,##0"
    expected = format_decimal(value, format=fixed, locale=locale)
    assert percent(value, decimals, language) in {f"{expected}\u00a0%", f"{expected}%"}
    assert decimal(value, decimals, language) == format_decimal(value, format=up_to, locale=locale)

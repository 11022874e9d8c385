"""Numbers, percentages and dates the way a Vietnamese (or English) reader expects them."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal

LOCALES = {"vi": "vi_VN", "en": "en_US"}


def locale_of(language: str) -> str:
    return LOCALES.get(language[:2], "vi_VN")


def count(value: int | None, language: str = "vi") -> str:
    """277307 → "277.307" (vi) or "277,307" (en); None → "—"."""
    if value is None:
        return "—"
    return format_decimal(value, locale=locale_of(language))


def percent(value: Decimal | None, decimals: int = 2, language: str = "vi") -> str:
    """Decimal("12.27") (already in percent) → "12,27 %" (vi) or "12.27%" (en)."""
    if value is None:
        return "—"
    pattern = "#,##0." + "0" * decimals if decimals else "#,##0"
    text = format_decimal(
        value, format=pattern, locale=locale_of(language), decimal_quantization=True
    )
    return f"{text} %" if language.startswith("vi") else f"{text}%"

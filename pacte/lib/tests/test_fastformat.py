"""The fast money and percentage formatting gives exactly what ``pacte.lib.money`` gives."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pacte.lib import fastformat, money

LANGUAGES = ("en", "fr", None)
CURRENCIES = ("EUR", "JPY", "USD", "GBP", "CHF", "BHD")


@given(
    minor=st.integers(min_value=-(10**17), max_value=10**17)
    | st.integers(min_value=-1000, max_value=1000),
    currency=st.sampled_from(CURRENCIES),
    language=st.sampled_from(LANGUAGES),
)
def test_money_is_what_babel_gives(minor: int, currency: str, language: str | None) -> None:
    assert fastformat.format_money(minor, currency, language) == money.format_money(
        minor, currency, language
    )


@given(
    ratio=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
    | st.decimals(min_value=-10, max_value=10, places=5),
    language=st.sampled_from(LANGUAGES),
)
def test_percent_is_what_babel_gives(ratio: float | Decimal, language: str | None) -> None:
    assert fastformat.format_percent(ratio, language) == money.format_percent(
        Decimal(str(ratio)), language
    )


@pytest.mark.parametrize("value", [None, ""])
def test_missing_values_show_a_dash(value: object) -> None:
    assert fastformat.format_money(None, "EUR", "fr") == "—"
    assert fastformat.format_percent(value, "fr") == "—"


def test_a_layout_babel_disagrees_with_falls_back_to_babel(monkeypatch: pytest.MonkeyPatch) -> None:
    fastformat._money_layout.cache_clear()
    real = money.format_money

    def odd(minor: int | None, currency: str, language: str | None, **kw: object) -> str:
        return real(minor, currency, language, **kw) + ("!" if minor == 50 else "")

    monkeypatch.setattr(money, "format_money", odd)
    try:
        assert fastformat._money_layout("EUR", "en") is None
        assert fastformat.format_money(50, "EUR", "en") == "€0!"
    finally:
        fastformat._money_layout.cache_clear()

"""The one reader of typed amounts: what it accepts in each language, what it refuses, and
that it never returns a wrong number (property tests against babel's own formatting)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_decimal
from hypothesis import example, given
from hypothesis import strategies as st

from pacte.lib.money import (
    MAX_MINOR,
    MoneyInputError,
    babel_locale,
    exponent,
    format_money,
    format_money_input,
    from_minor,
    parse_decimal,
    parse_money,
)

LANGUAGES = ("fr", "en")
CURRENCIES = ("EUR", "USD", "JPY", "KWD", "CHF", "GBP")
amounts = st.integers(min_value=0, max_value=MAX_MINOR)


@pytest.mark.parametrize(
    ("text", "language", "minor"),
    [
        ("1234,50", "fr", 123_450),
        ("1 234,50", "fr", 123_450),
        ("1\u00a0234,50", "fr", 123_450),
        ("1\u202f234,5", "fr", 123_450),
        ("1 234 567", "fr", 123_456_700),
        ("1 234,50 €", "fr", 123_450),
        ("1234 EUR", "fr", 123_400),
        ("0,05", "fr", 5),
        ("1234.50", "en", 123_450),
        ("1,234.50", "en", 123_450),
        ("1 234.50", "en", 123_450),
        ("€1,234.50", "en", 123_450),
        ("1,500", "en", 150_000),
        ("  125000  ", "en", 12_500_000),
        ("007", "en", 700),
        ("0", "fr", 0),
    ],
)
def test_accepted(text: str, language: str, minor: int) -> None:
    assert parse_money(text, "EUR", language) == minor


@pytest.mark.parametrize(
    ("text", "language", "code"),
    [
        # the bad inputs people typed, in both languages
        ("1.234,5", "fr", "invalid"),  # "." is no French group separator
        ("1.234,5", "en", "invalid"),
        ("12 34", "fr", "invalid"),  # groups are of three digits
        ("12 34", "en", "invalid"),
        ("1e6", "fr", "invalid"),
        ("1e6", "en", "invalid"),
        ("-5", "fr", "negative"),
        ("-5", "en", "negative"),
        ("\u22125", "fr", "negative"),
        ("-€5", "en", "negative"),
        ("", "fr", "required"),
        ("   ", "en", "required"),
        ("1" * 25, "fr", "too_large"),
        ("1" * 25, "en", "too_large"),
        # the decimal mark of the other language
        ("1234,50", "en", "invalid"),  # the page bug: not 12,345,000 cents
        ("1234.50", "fr", "invalid"),
        ("1,234.50", "fr", "invalid"),
        ("1 234,50", "en", "invalid"),
        # more decimals than the currency has, even zeros
        ("1,500", "fr", "too_precise"),
        ("1.001", "en", "too_precise"),
        # anything else
        ("+5", "en", "invalid"),
        ("1,234 567", "en", "invalid"),
        ("1  234", "fr", "invalid"),
        ("1234,", "fr", "invalid"),
        (",5", "fr", "invalid"),
        ("١٢٣", "en", "invalid"),
        ("NaN", "en", "invalid"),
        ("Infinity", "en", "invalid"),
        ("0x10", "en", "invalid"),
        ("12£", "en", "invalid"),  # not the workspace's currency
        ("€", "en", "invalid"),
        ("1 234\n567", "fr", "invalid"),
    ],
)
def test_refused(text: str, language: str, code: str) -> None:
    with pytest.raises(MoneyInputError) as exc:
        parse_money(text, "EUR", language)
    assert exc.value.code == code


def test_bound_is_inclusive() -> None:
    whole = MAX_MINOR // 100
    assert parse_money(str(whole), "EUR", "en") == MAX_MINOR
    with pytest.raises(MoneyInputError) as exc:
        parse_money(f"{whole}.01", "EUR", "en")
    assert exc.value.code == "too_large"


def test_currency_without_decimals() -> None:
    assert parse_money("1 234", "JPY", "fr") == 1234
    with pytest.raises(MoneyInputError) as exc:
        parse_money("1234,0", "JPY", "fr")
    assert exc.value.code == "too_precise"


def test_unknown_code_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown money input error code"):
        MoneyInputError("oops")


@given(
    minor=amounts,
    currency=st.sampled_from(CURRENCIES),
    language=st.sampled_from(LANGUAGES),
)
@example(minor=123_450, currency="EUR", language="fr")
def test_babel_formatted_amounts_read_back(minor: int, currency: str, language: str) -> None:
    """What babel writes (symbol, groups, the language's decimal mark) reads back exactly."""
    locale = babel_locale(language)
    amount = from_minor(minor, currency)
    assert parse_money(format_currency(amount, currency, locale=locale), currency, language) == (
        minor
    )
    plain = format_decimal(amount, locale=locale, decimal_quantization=False)
    assert parse_money(plain, currency, language) == minor


@given(minor=amounts, currency=st.sampled_from(CURRENCIES), language=st.sampled_from(LANGUAGES))
def test_pages_read_back_what_they_show(minor: int, currency: str, language: str) -> None:
    """An input's value (``format_money_input``) and a displayed whole amount read back."""
    assert parse_money(format_money_input(minor, currency, language), currency, language) == minor
    whole = parse_money(format_money(minor, currency, language), currency, language)
    scale = 10 ** exponent(currency)
    assert abs(whole - minor) * 2 <= scale
    assert whole % scale == 0


@given(minor=st.integers(min_value=1, max_value=MAX_MINOR), language=st.sampled_from(LANGUAGES))
def test_negative_amounts_are_refused_not_read(minor: int, language: str) -> None:
    text = format_currency(-from_minor(minor, "EUR"), "EUR", locale=babel_locale(language))
    with pytest.raises(MoneyInputError) as exc:
        parse_money(text, "EUR", language)
    assert exc.value.code == "negative"


@given(minor=st.integers(min_value=1000, max_value=MAX_MINOR))
def test_the_other_languages_format_never_reads_as_another_number(minor: int) -> None:
    """An amount with cents written in one language is refused by the other: never a wrong
    number (whole amounts may read the same in both, and then they are right)."""
    for written, read in (("fr", "en"), ("en", "fr")):
        text = format_decimal(
            from_minor(minor, "EUR"), format="#,##0.00", locale=babel_locale(written)
        )
        try:
            value = parse_money(text, "EUR", read)
        except MoneyInputError:
            continue
        assert value == minor


_junk_alphabet = st.sampled_from(list("0123456789,. \u00a0\u202f-+eE€$£abc'_\t()"))


@given(text=st.text(_junk_alphabet, max_size=24), language=st.sampled_from(LANGUAGES))
def test_any_text_is_an_error_or_the_number_it_writes(text: str, language: str) -> None:
    """Junk: an error with a known code, or a non-negative integer that is exactly the number
    written once the groups and the symbol are removed."""
    try:
        minor = parse_money(text, "EUR", language)
    except MoneyInputError as exc:
        code = exc.code
    else:
        code = ""
    if code:
        assert code in MoneyInputError.CODES
        return
    assert 0 <= minor <= MAX_MINOR
    mark = "," if language == "fr" else "."
    kept = "".join(c for c in text if c.isdigit() or c == mark)
    assert Decimal(kept.replace(",", ".")) * 100 == minor


@pytest.mark.parametrize(
    ("text", "language", "value"),
    [
        ("1 250,5", "fr", Decimal("1250.5")),
        ("1\u202f250,50", "fr", Decimal("1250.5")),
        ("12,5", "fr", Decimal("12.5")),
        ("1,250.5", "en", Decimal("1250.5")),
        ("1,250", "en", Decimal("1250")),  # a thousand and more, not 1.25
        ("12.5", "en", Decimal("12.5")),
        ("0", "en", Decimal("0")),
    ],
)
def test_a_typed_number_reads_as_a_person_means_it(
    text: str, language: str, value: Decimal
) -> None:
    assert parse_decimal(text, language, places=2) == value


@pytest.mark.parametrize(
    ("text", "language", "code"),
    [
        ("", "fr", "required"),
        ("1.250,5", "fr", "invalid"),
        ("12,5", "en", "invalid"),
        ("1e3", "en", "invalid"),
        ("-3", "en", "negative"),
        ("1,250", "fr", "too_precise"),
        ("1" * 20, "en", "too_large"),
    ],
)
def test_a_typed_number_that_is_not_one_is_refused(text: str, language: str, code: str) -> None:
    with pytest.raises(MoneyInputError) as caught:
        parse_decimal(text, language, places=2)
    assert caught.value.code == code

"""Conversion between currencies: exact integers, half to even, Polars equal to Python."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pacte.lib.currency import (
    MAX_RATE,
    RATE_PLACES,
    RateError,
    convert,
    convert_column,
    convert_expr,
    format_rate,
    format_rate_input,
    is_currency,
    minor_digits,
    rate_decimal,
    rate_units,
    with_rates,
)

amounts = st.integers(min_value=-(10**14), max_value=10**14)
rates = st.integers(min_value=1, max_value=MAX_RATE)
digits = st.sampled_from([0, 2, 3])


@given(amounts, rates, digits, digits)
def test_convert_is_the_exact_fraction_rounded_half_even(amount, rate, source, target):
    exact = Decimal(amount) * Decimal(rate) * Decimal(10) ** target
    exact /= Decimal(10) ** (RATE_PLACES + source)
    with_context = exact.copy_abs().quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    expected = int(with_context) * (-1 if amount < 0 else 1)
    assert convert(amount, rate, from_digits=source, to_digits=target) == expected


@settings(max_examples=50)
@given(st.lists(st.tuples(amounts, rates, digits), min_size=1, max_size=40), digits)
def test_the_polars_conversion_equals_the_python_one(rows, target):
    frame = pl.DataFrame(rows, schema={"a": pl.Int64, "r": pl.Int64, "d": pl.Int64}, orient="row")
    got = frame.select(convert_expr(pl.col("a"), pl.col("r"), pl.col("d"), target)).to_series()
    for (a, r, d), value in zip(rows, got.to_list(), strict=True):
        expected = convert(a, r, from_digits=d, to_digits=target)
        assert value == (expected if abs(expected) < 2**63 else None)


def test_a_credit_note_converts_to_the_negative_of_its_sale():
    rate = rate_units(Decimal("0.5"))
    assert convert(25, rate, from_digits=2, to_digits=2) == 12  # 12.5 → 12 (even)
    assert convert(-25, rate, from_digits=2, to_digits=2) == -12
    assert convert(15, rate, from_digits=2, to_digits=2) == 8  # 7.5 → 8 (even)


def test_minor_units_come_from_iso_4217():
    assert (minor_digits("JPY"), minor_digits("CHF"), minor_digits("BHD")) == (0, 2, 3)
    assert is_currency("chf")
    assert not is_currency("XYZ")
    assert not is_currency("EURO")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0", "rate_not_positive"),
        ("-1", "rate_not_positive"),
        ("1.00000000001", "rate_too_precise"),
        ("10000000", "rate_too_large"),
    ],
)
def test_bad_rates_are_refused(text, code):
    with pytest.raises(RateError) as exc:
        rate_units(Decimal(text))
    assert exc.value.code == code


def test_rates_read_and_write_back_in_each_language():
    units = rate_units(Decimal("1234.0712"))
    assert rate_decimal(units) == Decimal("1234.0712")
    assert format_rate(units, "fr") == "1\u202f234,0712"
    assert format_rate(units, "en") == "1,234.0712"
    assert format_rate_input(units, "fr") == "1234,0712"


@settings(max_examples=50)
@given(st.lists(st.tuples(amounts, rates, digits), min_size=1, max_size=40), digits)
def test_the_staged_conversion_equals_the_expression(rows, target):
    frame = pl.DataFrame(rows, schema={"a": pl.Int64, "r": pl.Int64, "d": pl.Int64}, orient="row")
    staged = convert_column(frame, amount="a", rate="r", digits="d", to_digits=target, out="v")
    assert staged.columns == ["a", "r", "d", "v"]
    expected = frame.select(convert_expr(pl.col("a"), pl.col("r"), pl.col("d"), target))
    assert staged.get_column("v").to_list() == expected.to_series().to_list()


def _rates(items):
    return pl.DataFrame(
        items,
        schema={"currency": pl.String, "rate_date": pl.Date, "rate": pl.Int64},
        orient="row",
    )


day = dt.date(2026, 3, 10)
days = st.integers(min_value=-5, max_value=40).map(lambda k: day + dt.timedelta(days=k))


@settings(max_examples=60)
@given(
    st.lists(st.tuples(st.sampled_from(["CHF", "USD"]), days, rates), max_size=12),
    st.lists(
        st.tuples(st.sampled_from(["CHF", "USD", "GBP", None]), st.none() | days), max_size=30
    ),
    st.sampled_from(["previous", "refuse"]),
)
def test_with_rates_is_the_as_of_lookup_in_the_rows_order(table, rows, rule):
    known = {(c, d): r for c, d, r in table}  # the last of a (currency, day) wins, as the dict
    frame = pl.DataFrame(rows, schema={"currency": pl.String, "date": pl.Date}, orient="row")
    got = with_rates(frame, _rates([(c, d, r) for (c, d), r in known.items()]), rule=rule)
    assert got.select("currency", "date").equals(frame)
    for (currency, date), rate in zip(rows, got.get_column("rate").to_list(), strict=True):
        if currency is None or date is None:
            expected = None
        elif rule == "refuse":
            expected = known.get((currency, date))
        else:
            before = [d for c, d in known if c == currency and d <= date]
            expected = known[(currency, max(before))] if before else None
        assert rate == expected, (currency, date, rule)

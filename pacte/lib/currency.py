"""Exchange rates and conversion into the workspace currency, in integer arithmetic.

A rate says how many units of the workspace currency one unit of a foreign currency is worth
(``CHF → EUR 1.0712``). It is kept as an integer number of ``10**-RATE_PLACES`` units
(``1.0712`` → ``10_712_000_000``), never a float.

Converting ``amount`` minor units of a currency with ``e`` minor digits into a workspace currency
with ``w`` minor digits at rate ``r`` (integer units) is the exact fraction
``amount * r * 10**w / 10**(RATE_PLACES + e)``, rounded to a whole minor unit **half to even**
(banker's rounding, as :func:`pacte.lib.money.round_to_minor`), symmetrically for credit notes
(the magnitude is rounded, the sign kept). :func:`convert` (Python ints) and
:func:`convert_expr` (Polars, ``Int128`` intermediates) compute the same thing; a property test
holds them together. :func:`convert_column` is the expression staged column by column (each
``Int128`` intermediate computed once: about five times faster on a million rows), and
:func:`with_rates` finds each row's rate by an equi-join on (currency, day) against the rates
made daily by an as-of join (no sort of the rows). A sale's converted amount is then split among its credits by largest
remainder, so the company total is the sum of the converted sales exactly.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

import polars as pl
from babel.numbers import get_currency_precision, list_currencies

#: Decimals a rate keeps (``0.0000573`` IDR → EUR needs seven).
RATE_PLACES = 10
RATE_SCALE = 10**RATE_PLACES
#: Largest rate accepted (one unit of a currency worth a million of the workspace's).
MAX_RATE = 10**6 * RATE_SCALE


class RateError(ValueError):
    """A rate that is not one: ``code`` ``rate_not_positive``, ``rate_too_precise`` or
    ``rate_too_large``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@lru_cache(maxsize=1)
def known_currencies() -> frozenset[str]:
    """ISO 4217 codes Babel (CLDR) knows."""
    return frozenset(code.upper() for code in list_currencies())


def is_currency(code: str) -> bool:
    return len(code) == 3 and code.upper() in known_currencies()


@lru_cache(maxsize=512)
def minor_digits(code: str) -> int:
    """ISO 4217 minor units: JPY 0, EUR 2, BHD 3."""
    return int(get_currency_precision(code.upper()))


def rate_units(rate: Decimal) -> int:
    """A rate as integer ``10**-RATE_PLACES`` units; :class:`RateError` when it is zero or
    negative, has more than ``RATE_PLACES`` decimals, or exceeds ``MAX_RATE``."""
    if not rate.is_finite() or rate <= 0:
        raise RateError("rate_not_positive")
    scaled = rate.scaleb(RATE_PLACES)
    if scaled != scaled.to_integral_value():
        raise RateError("rate_too_precise")
    units = int(scaled)
    if units > MAX_RATE:
        raise RateError("rate_too_large")
    return units


def rate_decimal(units: int) -> Decimal:
    """Integer units back to the rate (trailing zeros removed)."""
    value = Decimal(int(units)).scaleb(-RATE_PLACES)
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


def convert(amount: int, rate: int, *, from_digits: int, to_digits: int) -> int:
    """``amount`` minor units converted at ``rate`` (integer units), half to even."""
    numerator = abs(amount) * rate * 10**to_digits
    denominator = 10 ** (RATE_PLACES + from_digits)
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return -quotient if amount < 0 else quotient


def convert_expr(amount: pl.Expr, rate: pl.Expr, from_digits: pl.Expr, to_digits: int) -> pl.Expr:
    """:func:`convert` as a Polars expression (vectorised, ``Int128`` intermediates, so
    ``amount * rate`` never overflows): the converted amount as ``Int64``, null where it does
    not fit (the caller refuses it as too large)."""
    i128 = pl.Int128
    magnitude = amount.abs().cast(i128) * rate.cast(i128) * pl.lit(10**to_digits, i128)
    denominator = pl.lit(10, i128).pow(from_digits.cast(pl.UInt32) + RATE_PLACES).cast(i128)
    quotient = magnitude // denominator
    twice = (magnitude % denominator) * pl.lit(2, i128)
    up = (twice > denominator) | ((twice == denominator) & (quotient % pl.lit(2, i128) == 1))
    rounded = (quotient + up.cast(i128)).cast(pl.Int64, strict=False)
    return pl.when(amount < 0).then(-rounded).otherwise(rounded)


def format_rate(units: int, language: str | None) -> str:
    """A rate for display in ``language`` (``1,0712`` in French, ``1.0712`` in English)."""
    from babel.numbers import format_decimal

    from pacte.lib.money import babel_locale

    return format_decimal(
        rate_decimal(units), format="#,##0.##########", locale=babel_locale(language)
    )


def format_rate_input(units: int, language: str | None) -> str:
    """A rate as an input's value that ``parse_decimal`` reads back (no group separator)."""
    text = format(rate_decimal(units), "f")
    return text.replace(".", ",") if (language or "en").startswith("fr") else text


def convert_column(
    frame: pl.DataFrame, *, amount: str, rate: str, digits: str, to_digits: int, out: str
) -> pl.DataFrame:
    """``frame`` with column ``out``: :func:`convert_expr` of its columns, computed in stages
    so that each ``Int128`` intermediate is computed once (an expression repeats them)."""
    i128 = pl.Int128
    powers = {d: 10 ** (d + RATE_PLACES) for d in range(0, 5)}
    m, den, q, tw, r = "_cv_m", "_cv_den", "_cv_q", "_cv_tw", "_cv_r"
    staged = (
        frame.with_columns(
            (
                pl.col(amount).abs().cast(i128)
                * pl.col(rate).cast(i128)
                * pl.lit(10**to_digits, i128)
            ).alias(m),
            pl.col(digits)
            .replace_strict(powers, default=None, return_dtype=pl.Int64)
            .cast(i128)
            .alias(den),
        )
        .with_columns((pl.col(m) // pl.col(den)).alias(q))
        .with_columns(((pl.col(m) - pl.col(q) * pl.col(den)) * pl.lit(2, i128)).alias(tw))
        .with_columns(
            (
                pl.col(q)
                + (
                    (pl.col(tw) > pl.col(den))
                    | ((pl.col(tw) == pl.col(den)) & (pl.col(q) % pl.lit(2, i128) == 1))
                ).cast(i128)
            )
            .cast(pl.Int64, strict=False)
            .alias(r)
        )
    )
    return staged.with_columns(
        pl.when(pl.col(amount) < 0).then(-pl.col(r)).otherwise(pl.col(r)).alias(out)
    ).drop(m, den, q, tw, r)


def daily_rates(rates: pl.DataFrame) -> pl.DataFrame:
    """``rates`` (currency, rate_date, rate) made daily: for each currency, every day from its
    first rate to the last rate of any currency, with the last rate known on or before it (an
    as-of join over a few thousand rows, never over the sales)."""
    if rates.height == 0:
        return pl.DataFrame(schema={"currency": pl.String, "rate_date": pl.Date, "rate": pl.Int64})
    last = rates.get_column("rate_date").max()
    days = (
        rates.group_by("currency")
        .agg(start=pl.col("rate_date").min())
        .select("currency", rate_date=pl.date_ranges("start", pl.lit(last)))
        .explode("rate_date")
        .sort("rate_date")
    )
    return days.join_asof(
        rates.select("currency", "rate_date", "rate").sort("rate_date"),
        on="rate_date",
        by="currency",
        strategy="backward",
        check_sortedness=False,
    ).select("currency", "rate_date", pl.col("rate").cast(pl.Int64))


def with_rates(
    rows: pl.DataFrame,
    rates: pl.DataFrame,
    *,
    rule: str,
    currency: str = "currency",
    date: str = "date",
) -> pl.DataFrame:
    """``rows`` with a ``rate`` column, in their order: the rate of their currency on their
    date (``rule`` ``refuse``), or the last known on or before it (any other rule: a date after
    the last rate takes the last one); null before a currency's first rate or without one."""
    if rule == "refuse":
        table = rates.select("currency", "rate_date", pl.col("rate").cast(pl.Int64))
        key = pl.col(date)
    else:
        table = daily_rates(rates)
        last = table.get_column("rate_date").max() if table.height else None
        key = pl.col(date)
        if last is not None:  # a day after the last rate takes it (a null day stays null)
            key = (
                pl.when(pl.col(date) > pl.lit(last, pl.Date))
                .then(pl.lit(last, pl.Date))
                .otherwise(key)
            )
    keyed = rows.with_columns(key.alias("_rate_day"))
    return keyed.join(
        table,
        left_on=[currency, "_rate_day"],
        right_on=["currency", "rate_date"],
        how="left",
        maintain_order="left",
    ).drop("_rate_day")

"""Amounts in any currency, as every import reads them (sales and deals), in three steps:

1. ``read_codes``: each row's currency code (upper-cased, empty → the workspace currency), the
   rows in another known currency, the codes that name no currency, and each row's minor
   digits;
2. ``own_units``: the amounts, parsed with the most decimals any currency of the rows has
   (``Codes.widest``), brought to each row's own minor units (``10.5`` JPY is refused,
   ``10.505`` BHD is not);
3. ``convert``: the rows in another currency converted into the workspace currency at the rate
   of their date (``convert_rows``: the workspace's missing-rate rule, integer arithmetic of
   :mod:`pacte.lib.currency`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from pacte.lib.currency import convert_column, is_currency, minor_digits, with_rates
from pacte.lib.money import exponent
from pacte.sales.ingest.context import RATE_SCHEMA, load_rates, missing_rate_rule


@dataclass(frozen=True)
class Codes:
    """The currency of each row of a slice."""

    code: pl.Series  # upper-cased, null for the workspace currency
    foreign: pl.Series  # a known currency other than the workspace's
    unknown: pl.Series  # a code that names no currency
    digits: pl.Series | None  # each row's minor digits; None when no row is foreign
    widest: int  # the most minor digits any row's currency has


def read_codes(codes: pl.Series, *, currency: str, exponent: int) -> Codes:
    """The currency column ``codes`` of a slice, for a workspace in ``currency`` (``exponent``
    minor digits)."""
    code = codes.cast(pl.String).str.strip_chars().str.to_uppercase()
    code = pl.select(pl.when(code == "").then(None).otherwise(code)).to_series()
    foreign = (code.is_not_null() & (code != currency)).fill_null(False)
    if not foreign.any():
        return Codes(code, foreign, foreign, None, exponent)
    known = {
        c: minor_digits(c)
        for c in sorted(set(code.filter(foreign).unique().to_list()))
        if is_currency(c)
    }
    unknown = (foreign & ~code.is_in(list(known))).fill_null(False)
    foreign = foreign & ~unknown
    digits = pl.select(
        pl.when(foreign)
        .then(code.replace_strict(known, default=exponent, return_dtype=pl.Int64))
        .otherwise(pl.lit(exponent, pl.Int64))
    ).to_series()
    return Codes(code, foreign, unknown, digits, max(exponent, int(digits.max())))  # type: ignore[arg-type]


def own_units(values: pl.Series, codes: Codes) -> tuple[pl.Series, pl.Series]:
    """Amounts parsed with ``codes.widest`` decimals → each row's own minor units, and the rows
    that have more decimals than their currency."""
    if codes.digits is None:
        return values, pl.Series([False] * len(values), dtype=pl.Boolean)
    scaled = pl.DataFrame({"v": values, "d": codes.digits}).select(
        s=pl.lit(10, pl.Int64).pow(pl.lit(codes.widest, pl.Int64) - pl.col("d")).cast(pl.Int64),
        v=pl.col("v"),
    )
    extra = scaled.select((pl.col("v") % pl.col("s")) != 0).to_series().fill_null(False)
    return scaled.select(pl.col("v") // pl.col("s")).to_series(), extra


def convert(
    amounts: pl.Series,
    codes: Codes,
    dates: pl.Series,
    *,
    rates: pl.DataFrame | None,
    rule: str,
    to_digits: int,
) -> tuple[pl.Series, pl.Series, pl.Series]:
    """Rows in another currency converted at the rate of their date (:func:`convert_rows`).
    Returns the amounts in the workspace currency, the rows without a rate, the rows whose
    conversion is too large. Rows stay in their order: no sort, no join back."""
    rows = pl.DataFrame(
        {
            "amount": amounts,
            "currency": pl.select(pl.when(codes.foreign).then(codes.code)).to_series(),
            "foreign": codes.foreign,
            "digits": codes.digits,
            "date": dates,
        }
    )
    out = _converted(
        rows,
        rates if rates is not None else pl.DataFrame(schema=RATE_SCHEMA),
        rule=rule,
        to_digits=to_digits,
    )
    flags = out.select(
        missing=pl.col("foreign") & pl.col("date").is_not_null() & pl.col("rate").is_null(),
        too_large=pl.col("rate").is_not_null()
        & pl.col("amount").is_not_null()
        & pl.col("value").is_null(),
        value=pl.when(pl.col("foreign")).then(pl.col("value")).otherwise(pl.col("amount")),
    )
    return flags.get_column("value"), flags.get_column("missing"), flags.get_column("too_large")


def _converted(
    rows: pl.DataFrame, rates: pl.DataFrame, *, rule: str, to_digits: int
) -> pl.DataFrame:
    found = with_rates(rows, rates, rule=rule)
    return convert_column(
        found, amount="amount", rate="rate", digits="digits", to_digits=to_digits, out="value"
    )


def convert_rows(
    rows: pl.DataFrame, rates: pl.DataFrame, *, rule: str, to_digits: int
) -> pl.DataFrame:
    """Rows (i, amount, currency, digits, date) converted at the rate of their date against
    ``rates`` (RATE_SCHEMA): the last rate on or before the date, or with the ``refuse`` rule
    only a rate of that very day (:func:`pacte.lib.currency.with_rates`). Returns i, rate (null
    when none applies) and value (the converted amount, null without a rate or when too large),
    in the rows' order."""
    return _converted(rows, rates, rule=rule, to_digits=to_digits).select("i", "rate", "value")


def reconvert(workspace: Any, rows: pl.DataFrame, keep: tuple[str, ...] = ()) -> pl.DataFrame:
    """Rows ``(i, amount, currency, date, old, *keep)`` — an amount in its own currency and its
    converted ``old`` value — converted again at the workspace's rates and rule for a missing
    rate: those whose converted amount changes, as ``(i, *keep, old, new)``. A row without a
    rate keeps its amount (a re-valuation refuses nothing new)."""
    digits = {code: minor_digits(code) for code in rows.get_column("currency").unique()}
    rows = rows.with_columns(
        digits=pl.col("currency").replace_strict(digits, return_dtype=pl.Int64)
    )
    converted = convert_rows(
        rows.select("i", "amount", "currency", "digits", "date"),
        load_rates(workspace),
        rule=missing_rate_rule(workspace),
        to_digits=exponent(workspace.currency),
    )
    return (
        rows.join(converted, on="i")
        .filter(pl.col("value").is_not_null() & (pl.col("value") != pl.col("old")))
        .select("i", *keep, "old", new="value")
    )

"""Neutralising spreadsheet formulas in text written back to users (CSV injection)."""

from __future__ import annotations

import re

import polars as pl

# --------------------------------------------------------------------------- formulas

_FORMULA_START = re.compile(r"^[=+\-@\t\r＝＋－＠]")
_PLAIN_NEGATIVE = re.compile(r"^-[0-9][0-9.,\u00a0\u202f ]*$")
_FORMULA_START_PL = r"^[=+\-@\t\r＝＋－＠]"
_PLAIN_NEGATIVE_PL = r"^-[0-9][0-9.,\u00a0\u202f ]*$"


def neutralise_formula(value: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would run as a formula (``=``, ``+``, ``-``,
    ``@``, TAB, CR, and their full-width forms), except a plain negative number."""
    if _FORMULA_START.match(value) and not _PLAIN_NEGATIVE.match(value):
        return "'" + value
    return value


def neutralise_formulas(s: pl.Series) -> pl.Series:
    """Vectorised ``neutralise_formula``; nulls stay null."""
    t = s.cast(pl.String)
    risky = t.str.contains(_FORMULA_START_PL) & ~t.str.contains(_PLAIN_NEGATIVE_PL)
    return (
        pl.DataFrame({"v": t, "r": risky})
        .select(pl.when(pl.col("r")).then("'" + pl.col("v")).otherwise(pl.col("v")))
        .to_series()
        .alias(s.name)
    )

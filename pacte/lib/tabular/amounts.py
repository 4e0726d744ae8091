"""Parsing amounts into exact integer minor units (never floats), deciding the number style."""

from __future__ import annotations

from typing import Literal, NamedTuple

import polars as pl

from pacte.lib.tabular.common import AmbiguousAmounts

# --------------------------------------------------------------------------- amounts

AmountStyle = Literal["fr", "en"]


class ParsedAmounts(NamedTuple):
    """``values``: Int64 minor units (null where bad or empty); ``reasons``: code or null;
    ``style``: the decimal style used, or None when every value reads the same either way
    (keep ``auto`` for the next chunk)."""

    values: pl.Series
    reasons: pl.Series
    style: AmountStyle | None


_SPACES = ["\u00a0", "\u202f", "\u2009", "\u2007", "\u2002", "\u2003", "\t"]
# Overall shape (no capture groups: the regex engine can then use its fast DFA).
_AMOUNT_RE = r"^[-+]? *\(? *[€$]? *[-+]? *[0-9](?:[0-9., ]*[0-9])? *[€$]? *\)? *-?$"
_BODY_RE: dict[str, str] = {
    "en": r"^(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,3}(?: [0-9]{3})+)(?:\.[0-9]+)?$",
    "fr": r"^(?:[0-9]+|[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]{1,3}(?: [0-9]{3})+)(?:,[0-9]+)?$",
}
_MAX_DIGITS = 18  # 10**18 < 2**63


def _amount_style_stages(exponent: int, st: str) -> list[list[pl.Expr]]:
    """Expressions computing ``r_<st>`` (reason) then ``v_<st>`` (minor units), in stages so
    that no sub-expression is evaluated twice."""
    body = pl.col("body")
    dec, group = (".", ",") if st == "en" else (",", ".")
    parts = body.str.split_exact(dec, 1)
    whole, frac = pl.col(f"w_{st}"), pl.col(f"f_{st}")
    kept = frac.str.slice(0, exponent).str.pad_end(exponent, "0")
    reason = (
        pl.when(~pl.col("present"))
        .then(None)
        .when(~pl.col("shape_ok") | ~body.str.contains(_BODY_RE[st]))
        .then(pl.lit("amount_invalid"))
        .when(frac.str.slice(exponent).str.contains("[1-9]"))
        .then(pl.lit("amount_too_many_decimals"))
        .when(whole.str.strip_chars_start("0").str.len_bytes() + exponent > _MAX_DIGITS)
        .then(pl.lit("amount_too_large"))
    )
    magnitude = (whole + kept).cast(pl.Int64, strict=False)
    value = pl.when(pl.col(f"r_{st}").is_null() & pl.col("present")).then(
        pl.when(pl.col("neg")).then(-magnitude).otherwise(magnitude)
    )
    return [
        [
            parts.struct.field("field_0")
            .str.replace_all(group, "", literal=True)
            .str.replace_all(" ", "", literal=True)
            .alias(f"w_{st}"),
            parts.struct.field("field_1").fill_null("").alias(f"f_{st}"),
        ],
        [reason.alias(f"r_{st}")],
        [value.alias(f"v_{st}")],
    ]


def parse_amounts(
    s: pl.Series, *, exponent: int = 2, style: Literal["auto", "fr", "en"] = "auto"
) -> ParsedAmounts:
    """Parse money strings to exact Int64 minor units (``exponent`` decimals), no floats.

    Accepts ``1 234,56`` (any space, no-break or narrow no-break space), ``1.234,56``,
    ``1234,56``, ``1,234.56``, ``1234.56``, signs before or after, ``(12.50)`` for a
    negative, ``−`` (U+2212) and ``€``/``$`` before or after. More decimals than
    ``exponent`` are refused unless they are zeros. ``fr`` means decimal comma, ``en``
    decimal point; ``auto`` picks for the whole series the style that reads every value,
    and raises ``AmbiguousAmounts`` when both do but disagree (``1,200``). Empty → null
    value, null reason.
    """
    if exponent < 0 or exponent > 9:
        raise ValueError("exponent must be between 0 and 9")
    if style != "auto":
        quick = _plain(s, exponent, style)
        if quick is not None:
            return quick
    text = (
        pl.col("raw")
        .cast(pl.String)
        .str.replace_many(_SPACES, [" "] * len(_SPACES))
        .str.replace_all("\u2212", "-", literal=True)
        .str.strip_chars(" ")
    )
    txt = pl.col("text")
    has_open, has_close = txt.str.contains("(", literal=True), txt.str.contains(")", literal=True)
    df = (
        pl.DataFrame({"raw": s})
        .with_columns(text.alias("text"))
        .with_columns(
            present=txt.fill_null("") != "",
            body=txt.str.strip_chars("-+()€$ "),
            neg=txt.str.contains("-", literal=True) | has_open,
            shape_ok=(
                txt.str.contains(_AMOUNT_RE)
                & (has_open == has_close)
                & (txt.str.count_matches("[-+]") + has_open.cast(pl.UInt32) <= 1)
                & (txt.str.count_matches("[€$]") <= 1)
            ).fill_null(False),
        )
    )
    styles: tuple[AmountStyle, ...] = ("fr", "en") if style == "auto" else (style,)
    stages = [_amount_style_stages(exponent, st) for st in styles]
    lazy = df.lazy()
    for step in range(3):
        lazy = lazy.with_columns([e for st_stages in stages for e in st_stages[step]])
    df = lazy.collect()
    chosen: AmountStyle | None
    if style != "auto":
        chosen = style
    else:
        bad_fr, bad_en = df.select(
            pl.col("r_fr").is_not_null().sum(), pl.col("r_en").is_not_null().sum()
        ).row(0)
        both_ok = pl.col("r_fr").is_null() & pl.col("r_en").is_null() & pl.col("present")
        differ = df.select(
            (both_ok & (pl.col("v_fr") != pl.col("v_en"))).fill_null(False)
        ).to_series()
        if bad_fr < bad_en:
            chosen = "fr"
        elif bad_en < bad_fr:
            chosen = "en"
        elif differ.any():
            examples = df.filter(differ)["raw"].head(3).to_list()
            raise AmbiguousAmounts(("fr", "en"), [str(e) for e in examples])
        else:
            chosen = None
    col = chosen or "en"
    return ParsedAmounts(
        df.get_column(f"v_{col}").alias(s.name),
        df.get_column(f"r_{col}").alias(s.name),
        chosen,
    )


def _plain(s: pl.Series, exponent: int, style: AmountStyle) -> ParsedAmounts | None:
    """The common case of a known style without the general parse: every present value is
    digits with an optional leading minus and at most ``exponent`` decimals (``-1234,56``),
    short enough to fit. The same result as the general parse, or None when some value is
    anything else (groups, currency signs, brackets, too many digits)."""
    dec = "," if style == "fr" else r"\."
    decimals = rf"(?:{dec}[0-9]{{1,{exponent}}})?" if exponent else ""
    plain = rf"^-?[0-9]{{1,{_MAX_DIGITS - exponent}}}{decimals}$"
    text = pl.col("raw").cast(pl.String).str.strip_chars(" ")
    present = text.fill_null("") != ""
    df = pl.DataFrame({"raw": s}).select(
        present=present, fits=text.str.contains(plain).fill_null(False), text=text
    )
    if not (df.get_column("fits") | ~df.get_column("present")).all():
        return None
    sep = dec[-1]
    decimals_read = (
        pl.col("text").str.len_bytes().cast(pl.Int64)
        - pl.col("text").str.find(sep, literal=True)
        - 1
    ).fill_null(0)
    digits = pl.col("text").str.replace(sep, "", literal=True).cast(pl.Int64, strict=False)
    value = pl.when(pl.col("present")).then(
        digits * pl.lit(10, pl.Int64).pow(exponent - decimals_read)
    )
    return ParsedAmounts(
        df.select(value).to_series().alias(s.name),
        pl.repeat(None, len(s), dtype=pl.String, eager=True).alias(s.name),
        style,
    )

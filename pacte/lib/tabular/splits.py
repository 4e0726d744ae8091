"""Parsing split credits (``email:percent;email:percent``) and recognising columns of split
credits or of shares."""

from __future__ import annotations

from typing import NamedTuple

import polars as pl

_SPLIT_ENTRY = r"[^@\s:;,]+@[^@\s:;,]+\.[^@\s:;,.]+\s*:\s*[0-9]+(?:[.,][0-9]+)?\s*%?"
_SPLIT_CELL_RE = rf"^\s*{_SPLIT_ENTRY}(?:\s*;\s*{_SPLIT_ENTRY})*\s*;?\s*$"
_SHARE_RE = r"^\s*(?:100|[0-9]{1,2})(?:[.,][0-9]{1,2})?\s*%?\s*$"


def _values(s: pl.Series) -> pl.Series:
    text = s.cast(pl.String).str.strip_chars()
    return text.filter(text.is_not_null() & (text != ""))


def looks_like_split_credits(s: pl.Series, *, threshold: float = 0.9) -> bool:
    """Whether the non-empty cells of ``s`` read like split credits (``a@x.com:60;b@y.com:40``,
    a percentage after every e-mail), for at least ``threshold`` of them."""
    values = _values(s)
    if values.is_empty():
        return False
    return bool(values.str.contains(_SPLIT_CELL_RE).mean() >= threshold)  # type: ignore[operator]


def looks_like_shares(s: pl.Series, *, threshold: float = 0.9) -> bool:
    """Whether the non-empty cells of ``s`` read like percentages of a whole (``60``,
    ``33,33 %``, ``100``), not all 100, for at least ``threshold`` of them."""
    values = _values(s)
    if values.is_empty():
        return False
    shares = values.str.contains(_SHARE_RE)
    whole = values.str.replace_all(r"[\s%]", "").is_in(["100", "100.0", "100,0", "100.00"])
    return bool(shares.mean() >= threshold and not whole.all())  # type: ignore[operator]


# --------------------------------------------------------------------------- split credits


class ParsedSplits(NamedTuple):
    """``credits``: one row per (row, email) of the *valid* rows — ``row`` (UInt32, index in
    the input series), ``email`` (lowercased), ``basis_points`` (Int64, 100% = 10000);
    ``reasons``: one code or null per input row."""

    credits: pl.DataFrame
    reasons: pl.Series


_EMAIL_RE = r"^[^@\s:;,]+@[^@\s:;,]+\.[^@\s:;,.]+$"
_ENTRY_RE = r"^(?<email>[^:]+?)\s*(?::\s*(?<pct>[^:]*?)\s*%?)?$"
_PCT_RE = r"^(?<neg>[-\u2212]?)(?<int>[0-9]+)(?:[.,](?<frac>[0-9]+))?$"


def parse_split_credits(s: pl.Series) -> ParsedSplits:
    """Parse split-credit cells such as ``a@example.com:60;b@example.com:40``.

    A lone email means 100%. Percentages may have up to two decimals (``33.34``, ``33,34``)
    and a ``%``; they must be positive, name each person once and add up to exactly 100.
    Empty cells give no credits and no reason (the row's default seller applies).
    """
    text = s.cast(pl.String)
    present = (text.str.strip_chars().fill_null("") != "").arg_true()  # rows with a cell
    cells = pl.DataFrame({"row": present, "cell": text.gather(present)})
    if cells.height == 0:  # the common column: empty on every row, nothing to parse
        return ParsedSplits(
            pl.DataFrame(schema={"row": pl.UInt32, "email": pl.String, "basis_points": pl.Int64}),
            pl.repeat(None, len(s), dtype=pl.String, eager=True).alias(s.name),
        )
    entries = (
        cells.with_columns(entry=pl.col("cell").str.split(";"))
        .explode("entry")
        .with_columns(entry=pl.col("entry").str.strip_chars())
        .filter(pl.col("entry") != "")
        .with_columns(g=pl.col("entry").str.extract_groups(_ENTRY_RE))
        .with_columns(
            email=pl.col("g").struct.field("email").str.to_lowercase(),
            has_pct=pl.col("g").struct.field("pct").is_not_null(),
            p=pl.col("g").struct.field("pct").str.extract_groups(_PCT_RE),
            n_entries=pl.len().over("row"),
        )
        .with_columns(
            frac=pl.col("p").struct.field("frac").fill_null(""),
            neg=pl.col("p").struct.field("neg") != "",
        )
    )
    bp_abs = (
        pl.col("p").struct.field("int") + pl.col("frac").str.slice(0, 2).str.pad_end(2, "0")
    ).cast(pl.Int64, strict=False)
    entry_reason = (
        pl.when(pl.col("g").struct.field("email").is_null())
        .then(pl.lit("split_malformed"))
        .when(~pl.col("email").str.contains(_EMAIL_RE))
        .then(pl.lit("split_bad_email"))
        .when(~pl.col("has_pct") & (pl.col("n_entries") > 1))
        .then(pl.lit("split_missing_percent"))
        .when(
            pl.col("has_pct")
            & (
                pl.col("p").struct.field("int").is_null()
                | (pl.col("frac").str.len_chars() > 2)
                | (pl.col("p").struct.field("int").str.len_chars() > 6)
            )
        )
        .then(pl.lit("split_bad_percent"))
        .when(pl.col("neg") & (bp_abs > 0))
        .then(pl.lit("split_negative_percent"))
        .when(pl.col("has_pct") & (bp_abs == 0))
        .then(pl.lit("split_zero_percent"))
    )
    entries = entries.with_columns(
        reason=entry_reason,
        basis_points=pl.when(pl.col("has_pct")).then(bp_abs).otherwise(pl.lit(10_000, pl.Int64)),
    )
    per_row = entries.group_by("row", maintain_order=True).agg(
        first_reason=pl.col("reason").drop_nulls().first(),
        dup=pl.col("email").n_unique() < pl.len(),
        total=pl.col("basis_points").sum(),
    )
    row_reason = (
        pl.when(pl.col("first_reason").is_not_null())
        .then(pl.col("first_reason"))
        .when(pl.col("dup"))
        .then(pl.lit("split_duplicate_email"))
        .when(pl.col("total") != 10_000)
        .then(pl.lit("split_sum_not_100"))
    )
    per_row = per_row.select("row", row_reason=row_reason, seen=pl.lit(True))
    reasons = pl.repeat(None, len(s), dtype=pl.String, eager=True).alias(s.name)
    reasons.scatter(
        present,
        cells.join(per_row, on="row", how="left", maintain_order="left")
        .select(
            # a non-empty cell without any entry (";") is malformed
            pl.when(pl.col("seen").is_null())
            .then(pl.lit("split_malformed"))
            .otherwise(pl.col("row_reason"))
        )
        .to_series(),
    )
    bad_rows = per_row.filter(pl.col("row_reason").is_not_null()).get_column("row")
    credits = entries.filter(~pl.col("row").is_in(bad_rows.implode())).select(
        "row", "email", "basis_points"
    )
    return ParsedSplits(credits, reasons)

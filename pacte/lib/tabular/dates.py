"""Parsing dates, deciding day-first or month-first order from the column."""

from __future__ import annotations

from typing import Literal, NamedTuple

import polars as pl

from pacte.lib.tabular.common import AmbiguousDates

# --------------------------------------------------------------------------- dates

DateOrder = Literal["iso", "dmy", "mdy"]

_TIME = r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
_ISO_RE = rf"^(?<y>[0-9]{{4}})[-/](?<m>[0-9]{{1,2}})[-/](?<d>[0-9]{{1,2}}){_TIME}$"
_DMY_RE = rf"^(?<a>[0-9]{{1,2}})[/.\-](?<b>[0-9]{{1,2}})[/.\-](?<y>[0-9]{{4}}){_TIME}$"


class ParsedDates(NamedTuple):
    """``values``: Date (null where bad or empty); ``reasons``: code or null; ``order``:
    ``dmy``/``mdy`` when day-first/month-first values were read, ``iso`` when all values
    were ISO, None when no value was decisive (keep ``auto`` for the next chunk)."""

    values: pl.Series
    reasons: pl.Series
    order: DateOrder | None


def parse_dates(
    s: pl.Series, *, order: Literal["auto", "iso", "dmy", "mdy"] = "auto"
) -> ParsedDates:
    """Parse ISO (``2026-11-28``, optional time), day-first (``28/11/2026``) or month-first
    (``11/28/2026``) dates; ``/``, ``.`` or ``-`` separate day-first/month-first parts.

    ISO is always accepted, except that ``order="iso"`` refuses the others. In ``auto`` mode
    the whole series decides: a first part above 12 means ``dmy``, a second part above 12
    means ``mdy`` (the majority wins when both occur); when neither occurs and some value
    reads differently both ways, ``AmbiguousDates`` is raised. Empty → null, no reason.
    """
    quick = _plain_iso(s, order)
    if quick is not None:
        return quick
    text = pl.col("raw").cast(pl.String).str.strip_chars()
    df = (
        pl.DataFrame({"raw": s})
        .with_columns(text.alias("text"))
        .with_columns(
            iso=pl.col("text").str.extract_groups(_ISO_RE),
            dmy=pl.col("text").str.extract_groups(_DMY_RE),
            present=pl.col("text").fill_null("") != "",
        )
        .with_columns(
            a=pl.col("dmy").struct.field("a").cast(pl.Int32),
            b=pl.col("dmy").struct.field("b").cast(pl.Int32),
        )
    )
    chosen: DateOrder | None
    if order != "auto":
        chosen = order
    else:
        n_slash, n_dmy, n_mdy = df.select(
            pl.col("a").is_not_null().sum().alias("n_slash"),
            ((pl.col("a") > 12) & (pl.col("b") <= 12)).sum().alias("n_dmy"),
            ((pl.col("b") > 12) & (pl.col("a") <= 12)).sum().alias("n_mdy"),
        ).row(0)
        undecided = df.select((pl.col("a") != pl.col("b")).fill_null(False)).to_series()
        if n_slash == 0:
            chosen = "iso" if df["iso"].struct.field("y").is_not_null().any() else None
        elif n_dmy > n_mdy:
            chosen = "dmy"
        elif n_mdy > n_dmy:
            chosen = "mdy"
        elif undecided.any():
            examples = df.filter(undecided)["raw"].head(3).to_list()
            raise AmbiguousDates(("dmy", "mdy"), [str(e) for e in examples])
        else:
            chosen = None  # every d/m/y value has day == month: any order reads the same
    iso = pl.col("iso")
    y, m, d = iso.struct.field("y"), iso.struct.field("m"), iso.struct.field("d")
    if chosen in ("dmy", None):
        y2 = pl.col("dmy").struct.field("y")
        d2, m2 = pl.col("dmy").struct.field("a"), pl.col("dmy").struct.field("b")
    elif chosen == "mdy":
        y2 = pl.col("dmy").struct.field("y")
        m2, d2 = pl.col("dmy").struct.field("a"), pl.col("dmy").struct.field("b")
    if chosen != "iso":
        y, m, d = (pl.coalesce(y, y2), pl.coalesce(m, m2), pl.coalesce(d, d2))
    ymd = y + "-" + m.str.zfill(2) + "-" + d.str.zfill(2)
    df = df.with_columns(value=ymd.str.to_date("%Y-%m-%d", strict=False))
    reason = (
        pl.when(~pl.col("present"))
        .then(None)
        .when(ymd.is_null())
        .then(pl.lit("date_invalid"))
        .when(pl.col("value").is_null())
        .then(pl.lit("date_nonexistent"))
    )
    df = df.with_columns(reason=reason)
    return ParsedDates(
        df.get_column("value").alias(s.name), df.get_column("reason").alias(s.name), chosen
    )


_PLAIN_ISO_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def iso_shaped(s: pl.Series) -> bool:
    """Whether every present value has the shape ``YYYY-MM-DD`` (spaces around allowed): such
    a column never decides between day-first and month-first (``parse_dates`` reads it as
    ISO, valid or not), so a caller deciding the order may skip parsing it."""
    shape = r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\s*$"
    return bool(s.cast(pl.String).str.contains(shape).fill_null(True).all())


def _plain_iso(s: pl.Series, order: str) -> ParsedDates | None:
    """The common case without the general parse: every present value a valid
    ``YYYY-MM-DD`` (what exports write). The same result as the general parse, or None when
    some value is anything else (another form, a time, an invalid date)."""
    text = s.cast(pl.String).str.strip_chars()
    present = text.fill_null("") != ""
    values = text.str.to_date("%Y-%m-%d", strict=False)
    fits = (text.str.contains(_PLAIN_ISO_RE) & values.is_not_null()).fill_null(False)
    if not (fits | ~present).all():
        return None
    chosen: DateOrder | None = "iso" if present.any() else None
    if order != "auto":
        chosen = order  # type: ignore[assignment]
    return ParsedDates(
        pl.select(pl.when(present).then(values)).to_series().alias(s.name),
        pl.repeat(None, len(s), dtype=pl.String, eager=True).alias(s.name),
        chosen,
    )

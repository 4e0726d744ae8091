"""Validate a slice of rows and resolve its credits (pure Polars): parse the mapped columns
with their line numbers, apply split columns, crediting rules and overlays, find each seller's
team on the day of the sale, and allocate every credit's amount."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import polars as pl

from pacte.lib.tabular.amounts import parse_amounts
from pacte.lib.tabular.common import ERROR_SCHEMA, LINE
from pacte.lib.tabular.dates import parse_dates
from pacte.lib.tabular.splits import parse_split_credits
from pacte.lib.tabular.validation import DuplicateKeys, row_errors
from pacte.sales.ingest.context import (
    CREDIT_SCHEMA,
    FIELDS,
    MAX_ABS_AMOUNT,
    PARTNER_SCHEMA,
    REQUIRED,
    SALE_SCHEMA,
    TEXT_LIMITS,
    Context,
    booked_month,
    month_of,
)
from pacte.sales.ingest.currencies import convert, own_units, read_codes
from pacte.sales.ingest.stored import StoredPairs

# --------------------------------------------------------------------------- prepare


@dataclass
class State:
    """What carries from one chunk to the next: formats decided, ids seen, a running key; and
    the source's stored pairs when the caller gave them (``stored``): valid rows stored as they
    are left out once validated, before their credits are resolved, and counted (``skipped``)."""

    date_order: str = "auto"
    amount_style: str = "auto"
    next_k: int = 0
    dups: DuplicateKeys = field(default_factory=lambda: DuplicateKeys(["external_id"]))
    stored: StoredPairs | None = None
    skipped: int = 0


@dataclass
class Prepared:
    sales: pl.DataFrame  # SALE_SCHEMA
    credits: pl.DataFrame  # CREDIT_SCHEMA
    errors: pl.DataFrame  # ERROR_SCHEMA


def _err(lines: pl.Series, column: str, code: str, detail: pl.Series | None = None) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "line": lines,
            "column": pl.Series([column] * len(lines), dtype=pl.String),
            "code": pl.Series([code] * len(lines), dtype=pl.String),
            "detail": detail.cast(pl.String)
            if detail is not None
            else pl.Series([None] * len(lines), dtype=pl.String),
        },
        schema=ERROR_SCHEMA,
    )


def text_column(frame: pl.DataFrame, name: str) -> pl.Series:
    """A target field of a chunk as ``prepare`` reads it (stripped, empty → null)."""
    return _text(frame, name)


def _text(frame: pl.DataFrame, name: str) -> pl.Series:
    return _texts(frame, [name])[name]


def _texts(frame: pl.DataFrame, names: Iterable[str]) -> dict[str, pl.Series]:
    """``_text`` of every field at once (one query, columns in parallel)."""
    names = list(names)
    read = frame.select(pl.col(LINE), *(_text_expr(frame, name) for name in names))
    return {name: read.get_column(name) for name in names}


def _text_expr(frame: pl.DataFrame, name: str) -> pl.Expr:
    if name not in frame.columns:
        return pl.lit(None, pl.String).alias(name)
    s = pl.col(name).cast(pl.String).str.strip_chars()
    return pl.when(s == "").then(None).otherwise(s).alias(name)


def _parse_overlays(s: pl.Series) -> tuple[pl.DataFrame, pl.Series]:
    """``a@x.com;b@y.com:50`` → (row, email, basis_points) and a reason per row.

    An overlay without a percentage is a full (100%) overlay credit."""
    cells = pl.DataFrame({"cell": s}).with_row_index("row")
    entries = (
        cells.drop_nulls("cell")
        .with_columns(entry=pl.col("cell").str.split(";"))
        .explode("entry")
        .with_columns(entry=pl.col("entry").str.strip_chars())
        .filter(pl.col("entry") != "")
        .with_columns(
            g=pl.col("entry").str.extract_groups(
                r"^([^:\s]+@[^:\s]+\.[^:\s]+)(?::\s*([0-9]{1,3}(?:[.,][0-9]{1,2})?)\s*%?)?$"
            )
        )
        .with_columns(
            email=pl.col("g").struct.field("1").str.to_lowercase(),
            pct=pl.col("g").struct.field("2").str.replace(",", "."),
        )
    )
    int_part = pl.col("pct").str.split_exact(".", 1).struct.field("field_0")
    frac = pl.col("pct").str.split_exact(".", 1).struct.field("field_1").fill_null("")
    bp = (int_part + frac.str.pad_end(2, "0")).cast(pl.Int64, strict=False)
    entries = entries.with_columns(
        basis_points=pl.when(pl.col("pct").is_null()).then(pl.lit(10_000, pl.Int64)).otherwise(bp)
    ).with_columns(
        bad=pl.col("email").is_null()
        | (pl.col("basis_points") <= 0)
        | (pl.col("basis_points") > 10_000)
        | pl.col("email").is_duplicated().over("row")
    )
    bad_rows = entries.filter(pl.col("bad")).get_column("row").unique()
    reasons = (
        cells.select(
            pl.when(pl.col("row").is_in(bad_rows.implode()))
            .then(pl.lit("overlay_malformed"))
            .otherwise(None)
        )
        .to_series()
        .cast(pl.String)
    )
    good = entries.filter(~pl.col("row").is_in(bad_rows.implode())).select(
        pl.col("row").cast(pl.Int64), "email", "basis_points"
    )
    return good, reasons


def resolve_rules(ctx: Context, rows: pl.DataFrame, *, kind: str) -> pl.DataFrame:
    """Rule credits for ``rows`` (k, channel_id, territory, customer): k, seller_id.

    For ``split`` the most specific matching active rule gives one owner per row; for
    ``overlay`` likewise one owner per row (the most specific overlay rule)."""
    out = []
    remaining = rows.select("k", "channel_id", "territory", "customer").with_columns(
        t=pl.col("territory").str.to_lowercase()
    )
    for rule in ctx.rules:
        if rule["kind"] != kind or remaining.height == 0:
            continue
        cond = pl.lit(True)
        if rule["channel_id"]:
            cond = cond & (pl.col("channel_id") == rule["channel_id"])
        if rule["territory"]:
            cond = cond & (pl.col("t") == rule["territory"])
        hit = remaining.filter(cond.fill_null(False))
        if hit.height == 0:
            continue
        if rule["target"] == "account":
            hit = hit.join(ctx.managers, on="customer", how="left").select(
                "k", pl.col("manager_id").alias("seller_id")
            )
        else:
            hit = hit.select("k", pl.lit(rule["owner_id"], pl.Int64).alias("seller_id"))
        hit = hit.drop_nulls("seller_id")
        out.append(hit)
        remaining = remaining.filter(~pl.col("k").is_in(hit.get_column("k").implode()))
    if not out:
        return pl.DataFrame(schema={"k": pl.Int64, "seller_id": pl.Int64})
    return pl.concat(out)


def team_of_the_day(ctx: Context, credits: pl.DataFrame) -> pl.Series:
    """Unit of each credit's seller on the sale ``date`` (credits: seller_id, date), set-based.

    The placement in force that day; a sale dated before the seller's first placement goes to
    that first team, one after they left to their last team; nobody placed → the company."""
    if credits.height == 0:
        return pl.Series("unit_id", [], dtype=pl.Int64)
    # A seller placed once is in that team whatever the date: a join; only the credits of
    # sellers placed several times look for the placement of their day.
    lone, moved = ctx.placement_split
    units = (
        credits.select("seller_id")
        .join(lone, on="seller_id", how="left", maintain_order="left")
        .get_column("unit_id")
    )
    if moved.len():
        dated = credits.get_column("seller_id").is_in(moved.implode())
        if dated.any():
            at = dated.arg_true()
            units = units.scatter(at, _dated_units(ctx, credits.filter(dated)))
    return units.fill_null(ctx.root_unit_id)


def _dated_units(ctx: Context, credits: pl.DataFrame) -> pl.Series:
    """``team_of_the_day`` for the credits of sellers placed several times."""
    pl_sorted = ctx.placements.sort("valid_from")
    c = credits.select("seller_id", "date").with_row_index("i")
    asof = c.sort("date").join_asof(
        pl_sorted.select("seller_id", "valid_from", "unit_id"),
        left_on="date",
        right_on="valid_from",
        by="seller_id",
        strategy="backward",
        check_sortedness=False,  # both sides are sorted on their date just above
    )
    first = pl_sorted.group_by("seller_id").agg(pl.col("unit_id").first().alias("first_unit"))
    asof = asof.join(first, on="seller_id", how="left").sort("i")
    return asof.select(
        pl.coalesce("unit_id", "first_unit", pl.lit(ctx.root_unit_id, pl.Int64)).alias("unit_id")
    ).to_series()


def allocate(credits: pl.DataFrame) -> pl.Series:
    """Split amounts: ``sale_amount`` × share, largest remainder per sale (exact sum);
    overlay amounts: rounded half up. Credits: k, kind, basis_points, sale_amount, order.

    A sale's shortfall (its amount less the sum of its split credits' rounded-down shares)
    goes one minor unit at a time to its credits of largest remainder (then first listed).
    Only sales with several split credits are ranked, by one sort; a lone split credit takes
    the whole shortfall (no window over every sale).

    A credit of 100% is the sale's amount whatever the rule (nothing to round, and a sale's
    other split credits can only leave it a shortfall of zero or less): only the sales with
    a credit of another share go through the rounding."""
    amounts = credits.get_column("sale_amount").cast(pl.Int64).alias("amount")
    partial = credits.get_column("basis_points") != 10_000
    if not partial.any():
        return amounts
    keys = credits.get_column("k")
    rounded = keys.is_in(keys.filter(partial).implode())
    return amounts.scatter(rounded.arg_true(), _allocate(credits.filter(rounded)))


def _allocate(credits: pl.DataFrame) -> pl.Series:
    a = pl.col("sale_amount").abs()
    df = credits.select("k", "kind", "basis_points", "sale_amount").with_row_index("i")
    df = df.with_columns(
        base=a * pl.col("basis_points") // 10_000, rem=a * pl.col("basis_points") % 10_000
    )
    split = df.filter(pl.col("kind") == "split")
    shared = split.filter(pl.col("k").is_duplicated()).sort(
        ["k", "rem", "i"], descending=[False, True, False]
    )
    starts = (pl.col("k") != pl.col("k").shift(1)).fill_null(True)
    place = pl.col("at") - pl.when(starts).then(pl.col("at")).forward_fill()
    shared = shared.with_columns(at=pl.int_range(pl.len(), dtype=pl.Int64)).join(
        shared.group_by("k").agg(short=a.first() - pl.col("base").sum()), on="k"
    )
    ranked = shared.select("i", plus=(place < pl.col("short")).cast(pl.Int64))
    lone = (a - pl.col("base") >= 1).cast(pl.Int64)  # a lone share of 100% has no shortfall
    sign = pl.when(pl.col("sale_amount") < 0).then(-1).otherwise(1)
    return (
        df.join(ranked, on="i", how="left", maintain_order="left")
        .select(
            amount=sign
            * pl.when(pl.col("kind") == "overlay")
            .then((a * pl.col("basis_points") + 5_000) // 10_000)
            .otherwise(pl.col("base") + pl.coalesce("plus", lone))
        )
        .get_column("amount")
        .cast(pl.Int64)
    )


def _apply_partners(
    ctx: Context, cols: dict[str, pl.Series], lines: pl.Series, errors: list[pl.DataFrame]
) -> None:
    """Partner sales: a row naming a partner by its code (and no seller nor split) is credited
    to the partner's seat; every row credited to a seat gives its channel manager an overlay
    credit (unless the row names them already). An unknown code is a located error."""
    lookup = ctx.partners if ctx.partners is not None else pl.DataFrame(schema=PARTNER_SCHEMA)
    codes = cols["partner"].str.to_lowercase()
    named = pl.DataFrame({"code": codes}).join(lookup, on="code", how="left", maintain_order="left")
    unknown = (codes.is_not_null() & named.get_column("seat").is_null()).fill_null(False)
    if unknown.any():
        errors.append(
            _err(
                lines.filter(unknown), "partner", "unknown_partner", cols["partner"].filter(unknown)
            )
        )
    if lookup.height == 0:
        return
    seller, split = cols["seller"], cols["split"]
    cols["seller"] = pl.select(
        pl.when(seller.is_null() & split.is_null())
        .then(named.get_column("seat"))
        .otherwise(seller)
        .alias("seller")
    ).to_series()
    owners = (
        pl.DataFrame({"seat": cols["seller"].str.to_lowercase()})
        .join(lookup.select("seat", "owner"), on="seat", how="left", maintain_order="left")
        .get_column("owner")
    )
    overlay = cols["overlay"]
    frame = pl.DataFrame({"overlay": overlay, "owner": owners})
    cols["overlay"] = frame.select(
        pl.when(pl.col("owner").is_null())
        .then(pl.col("overlay"))
        .when(pl.col("overlay").is_null())
        .then(pl.col("owner"))
        .when(pl.col("overlay").str.to_lowercase().str.contains(pl.col("owner"), literal=True))
        .then(pl.col("overlay"))
        .otherwise(pl.col("overlay") + pl.lit(";") + pl.col("owner"))
        .alias("overlay")
    ).to_series()


def prepare(ctx: Context, frame: pl.DataFrame, state: State) -> Prepared:
    """Validate one chunk (``LINE`` + target field columns as strings) and resolve credits."""
    lines = frame.get_column(LINE)
    errors: list[pl.DataFrame] = []
    cols = _texts(frame, FIELDS)
    _apply_partners(ctx, cols, lines, errors)
    for name in REQUIRED:
        missing = cols[name].is_null()
        if missing.any():
            errors.append(_err(lines.filter(missing), name, "required_missing"))
    for name, limit in TEXT_LIMITS.items():
        if not (cols[name].str.len_bytes() > limit).any():  # no more characters than bytes
            continue
        long = (cols[name].str.len_chars() > limit).fill_null(False)
        if long.any():
            errors.append(_err(lines.filter(long), name, "text_too_long", cols[name].filter(long)))

    codes = read_codes(cols["currency"], currency=ctx.currency, exponent=ctx.exponent)
    if codes.unknown.any():
        errors.append(
            _err(
                lines.filter(codes.unknown),
                "currency",
                "unknown_currency",
                cols["currency"].filter(codes.unknown),
            )
        )
    currency, foreign, digits = codes.code, codes.foreign, codes.digits
    # Amounts are read with the most decimals any currency of the slice has, then brought to
    # each row's own minor units (``10.5`` JPY is refused, ``10.505`` BHD is not).
    amounts = parse_amounts(
        cols["amount"],
        exponent=codes.widest,
        style=state.amount_style,  # type: ignore[arg-type]
    )
    if amounts.style and state.amount_style == "auto":
        state.amount_style = amounts.style
    amount_reason = amounts.reasons
    own_amounts, extra = own_units(amounts.values, codes)
    if digits is not None:
        amount_reason = pl.select(
            pl.when(amount_reason.is_null() & extra)
            .then(pl.lit("amount_too_many_decimals"))
            .otherwise(amount_reason)
        ).to_series()
    dates = parse_dates(cols["date"], order=state.date_order)  # type: ignore[arg-type]
    if dates.order and state.date_order == "auto" and dates.order != "iso":
        state.date_order = dates.order
    converted = own_amounts
    if digits is not None:
        converted, rate_missing, too_large = convert(
            own_amounts,
            codes,
            dates.values,
            rates=ctx.rates,
            rule=ctx.missing_rate,
            to_digits=ctx.exponent,
        )
        amount_reason = pl.select(
            pl.when(amount_reason.is_null() & too_large)
            .then(pl.lit("amount_too_large"))
            .otherwise(amount_reason)
        ).to_series()
        if rate_missing.any():
            detail = currency.filter(rate_missing) + " " + cols["date"].filter(rate_missing)
            errors.append(_err(lines.filter(rate_missing), "currency", "no_rate", detail))
    huge = (converted.abs() >= MAX_ABS_AMOUNT).fill_null(False)
    amount_reason = pl.select(
        pl.when(huge).then(pl.lit("amount_too_large")).otherwise(amount_reason)
    ).to_series()
    for name, reasons in (("amount", amount_reason), ("date", dates.reasons)):
        bad = reasons.is_not_null()
        if bad.any():
            errors.append(row_errors(pl.DataFrame({LINE: lines, name: cols[name]}), reasons, name))
    own_currency = pl.select(pl.when(foreign).then(currency)).to_series().cast(pl.String)

    base = pl.DataFrame(
        {
            LINE: lines,
            "row": pl.Series(range(frame.height), dtype=pl.Int64),
            "external_id": cols["external_id"],
            "date": dates.values,
            "amount": converted,
            "currency": own_currency,
            "currency_amount": pl.select(pl.when(foreign).then(own_amounts)).to_series(),
            "channel_key": cols["channel"].str.to_lowercase(),
            "seller_email": cols["seller"].str.to_lowercase(),
            "customer": cols["customer"],
            "territory": cols["territory"],
            "solution": cols["solution"],
            "split": cols["split"],
            "overlay": cols["overlay"],
        }
    ).join(ctx.channels, left_on="channel_key", right_on="key", how="left", maintain_order="left")
    base = base.join(
        ctx.members, left_on="seller_email", right_on="email", how="left", maintain_order="left"
    )

    unknown = base.filter(pl.col("channel_key").is_not_null() & pl.col("channel_id").is_null())
    if unknown.height:
        errors.append(
            _err(
                unknown[LINE], "channel", "unknown_channel", cols["channel"].gather(unknown["row"])
            )
        )
    unknown = base.filter(pl.col("seller_email").is_not_null() & pl.col("seller_id").is_null())
    if unknown.height:
        errors.append(
            _err(unknown[LINE], "seller", "unknown_seller", cols["seller"].gather(unknown["row"]))
        )
    if ctx.closed_months and ctx.late_policy != "next_open":
        closed = month_of(dates.values).is_in(sorted(ctx.closed_months)).fill_null(False)
        if closed.any():
            errors.append(
                _err(lines.filter(closed), "date", "period_closed", cols["date"].filter(closed))
            )

    dup = state.dups.check(pl.DataFrame({LINE: lines, "external_id": cols["external_id"]}))
    if dup.height:
        errors.append(
            _err(
                dup["line"],
                "external_id",
                "duplicate_key",
                dup["external_id"] + " (" + dup["first_line"].cast(pl.String) + ")",
            )
        )

    # Explicit split credits and overlays.
    splits = parse_split_credits(cols["split"])
    if splits.reasons.is_not_null().any():
        errors.append(
            row_errors(pl.DataFrame({LINE: lines, "split": cols["split"]}), splits.reasons, "split")
        )
    split_credits = splits.credits.with_columns(pl.col("row").cast(pl.Int64)).join(
        ctx.members, on="email", how="left"
    )
    overlays, overlay_reasons = _parse_overlays(cols["overlay"])
    if overlay_reasons.is_not_null().any():
        errors.append(
            row_errors(
                pl.DataFrame({LINE: lines, "overlay": cols["overlay"]}), overlay_reasons, "overlay"
            )
        )
    overlays = overlays.join(ctx.members, on="email", how="left")
    for name, named in (("split", split_credits), ("overlay", overlays)):
        unknown = named.filter(pl.col("seller_id").is_null())
        if unknown.height:
            errors.append(
                _err(lines.gather(unknown["row"]), name, "unknown_seller", unknown["email"])
            )

    # Keys for the rows so far valid; rule credits for rows naming nobody.
    error_frame = pl.concat(errors) if errors else pl.DataFrame(schema=ERROR_SCHEMA)
    bad_lines = error_frame.get_column("line").unique()
    ok = base.filter(~pl.col(LINE).is_in(bad_lines.implode())) if bad_lines.len() else base
    ok = ok.with_columns(k=pl.int_range(state.next_k, state.next_k + ok.height, dtype=pl.Int64))
    has_split = pl.col("row").is_in(split_credits.get_column("row").implode())
    ok = ok.with_columns(named=has_split | pl.col("seller_id").is_not_null())
    unnamed = ok.filter(~pl.col("named"))
    ruled = resolve_rules(ctx, unnamed, kind="split")
    orphans = unnamed.filter(~pl.col("k").is_in(ruled.get_column("k").implode()))
    if orphans.height:
        error_frame = pl.concat([error_frame, _err(orphans[LINE], "seller", "no_credit")])
        ok = ok.filter(~pl.col("k").is_in(orphans.get_column("k").implode()))
    state.next_k += ok.height + orphans.height
    ok = ok.with_columns(row_hash=_row_hash(ok))
    if state.stored is not None and ok.height:
        same = state.stored.same(ok.get_column("external_id"), ok.get_column("row_hash"))
        state.skipped += int(same.sum())
        ok = ok.filter(~same)

    row_k = ok.select("row", "k")
    credits = pl.concat(
        [
            split_credits.join(row_k, on="row").select(
                "k", "seller_id", "basis_points", kind=pl.lit("split"), origin=pl.lit("row")
            ),
            ok.filter(~has_split & pl.col("seller_id").is_not_null()).select(
                "k",
                "seller_id",
                basis_points=pl.lit(10_000, pl.Int64),
                kind=pl.lit("split"),
                origin=pl.lit("row"),
            ),
            ruled.filter(pl.col("k").is_in(ok.get_column("k").implode())).select(
                "k",
                "seller_id",
                basis_points=pl.lit(10_000, pl.Int64),
                kind=pl.lit("split"),
                origin=pl.lit("rule"),
            ),
            overlays.join(row_k, on="row").select(
                "k", "seller_id", "basis_points", kind=pl.lit("overlay"), origin=pl.lit("row")
            ),
        ]
    )
    overlay_ruled = resolve_rules(ctx, ok, kind="overlay")
    if overlay_ruled.height:
        overlay_ruled = overlay_ruled.join(
            credits.filter(pl.col("kind") == "overlay"), on=["k", "seller_id"], how="anti"
        )
        credits = pl.concat(
            [
                credits,
                overlay_ruled.select(
                    "k",
                    "seller_id",
                    basis_points=pl.lit(10_000, pl.Int64),
                    kind=pl.lit("overlay"),
                    origin=pl.lit("rule"),
                ),
            ]
        )
    sales = ok.select(
        "k",
        pl.col(LINE).alias("line"),
        "external_id",
        "date",
        month=booked_month(pl.col("date"), ctx.closed_months, ctx.late_policy),
        amount="amount",
        currency="currency",
        currency_amount="currency_amount",
        channel_id="channel_id",
        customer="customer",
        territory="territory",
        solution="solution",
        credit_origin=pl.when(pl.col("named")).then(pl.lit("row")).otherwise(pl.lit("rule")),
        row_hash="row_hash",
    )
    credits = finish_credits(ctx, credits, sales)
    return Prepared(sales.cast(SALE_SCHEMA), credits, error_frame.sort("line"))  # type: ignore[arg-type]


def _row_hash(ok: pl.DataFrame) -> pl.Series:
    """What a row says, as a 64-bit hash: a stored sale with the same hash is unchanged."""
    fingerprint = ok.select(
        "external_id",
        "date",
        pl.coalesce("currency_amount", "amount").alias("amount"),
        "channel_id",
        "customer",
        "territory",
        "solution",
        "seller_email",
        "split",
        "overlay",
    )
    row_hash = fingerprint.hash_rows(seed=20261128)
    if ok.get_column("currency").is_not_null().any():  # a row in another currency: its code too
        with_code = pl.concat([fingerprint, ok.select("currency")], how="horizontal")
        row_hash = pl.select(
            pl.when(ok.get_column("currency").is_null())
            .then(row_hash)
            .otherwise(with_code.hash_rows(seed=20261128))
        ).to_series()
    return row_hash.reinterpret(signed=True)


def finish_credits(ctx: Context, credits: pl.DataFrame, sales: pl.DataFrame) -> pl.DataFrame:
    """Team of the day and amounts for credits (k, seller_id, basis_points, kind, origin)."""
    credits = (
        credits.with_row_index("order")
        .join(sales.select("k", "date", pl.col("amount").alias("sale_amount")), on="k")
        .sort("order")
    )
    credits = credits.with_columns(unit_id=team_of_the_day(ctx, credits))
    credits = credits.with_columns(amount=allocate(credits))
    return credits.select(list(CREDIT_SCHEMA)).cast(CREDIT_SCHEMA)  # type: ignore[arg-type]

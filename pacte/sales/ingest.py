"""The bulk path of every sale that enters Pacte (files, API batches, samples, the demo).

Never one query per row:

1. ``prepare`` (pure Polars, per slice): parse and validate the mapped columns with their line
   numbers, resolve credits (split column, seller column, crediting rules, overlays), the
   seller's team on the day of the sale (an as-of join on dated placements) and the amount of
   every credit (largest remainder, so split amounts sum exactly to the sale).
2. Storage, one of two ways (``pacte.sales.services.run_import`` chooses):

   - ``Direct`` (PostgreSQL, a source with no sale in the workspace yet, so every row is new):
     each valid slice is copied straight into ``sales_sale`` and ``sales_credit`` by a writer
     thread while the next slice is validated, inside ONE transaction that spans the import;
     the cube delta is summed in Polars and applied once at the end.
   - ``Stage`` (otherwise, and always on SQLite): valid rows go to two temporary tables
     (``COPY`` / batched ``executemany``) outside any transaction, then ``Stage.merge`` — ONE
     transaction: set-based insert of new sales, update of changed ones (with audit events),
     credits replaced, cube updated by deltas.

Either all of it or nothing: a process killed at any point leaves nothing or the whole import;
running the job again starts over from the file (temporary tables and an open transaction die
with the connection).
"""

from __future__ import annotations

import datetime
import io
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from pacte.lib import pgcopy, tabular
from pacte.lib.money import exponent as currency_exponent

LINE = tabular.LINE

#: Target fields of an import: name → required.
FIELDS: dict[str, bool] = {
    "external_id": True,
    "date": True,
    "amount": True,
    "channel": True,
    "seller": False,
    "split": False,
    "overlay": False,
    "currency": False,
    "customer": False,
    "territory": False,
    "solution": False,
}
REQUIRED = [name for name, required in FIELDS.items() if required]
TEXT_LIMITS = {"external_id": 100, "customer": 300, "territory": 100, "solution": 100}
MAX_ABS_AMOUNT = 10**14  # minor units; keeps amount * basis points inside 64 bits

SALE_SCHEMA: dict[str, Any] = {
    "k": pl.Int64,
    "line": pl.Int64,
    "external_id": pl.String,
    "date": pl.Date,
    "month": pl.Int32,
    "amount": pl.Int64,
    "channel_id": pl.Int64,
    "customer": pl.String,
    "territory": pl.String,
    "solution": pl.String,
    "credit_origin": pl.String,
    "row_hash": pl.Int64,
}
CREDIT_SCHEMA: dict[str, Any] = {
    "k": pl.Int64,
    "seller_id": pl.Int64,
    "unit_id": pl.Int64,
    "kind": pl.String,
    "basis_points": pl.Int64,
    "amount": pl.Int64,
    "origin": pl.String,
}


# --------------------------------------------------------------------------- context


@dataclass
class Context:
    """What validation needs from the workspace, loaded once per import (small frames)."""

    workspace_id: int
    currency: str
    exponent: int
    root_unit_id: int
    channels: pl.DataFrame  # key (lower-case code or name) → channel_id
    members: pl.DataFrame  # email → seller_id
    placements: pl.DataFrame  # seller_id, valid_from, valid_to, unit_id
    rules: list[dict[str, Any]]  # active rules, most specific first
    managers: pl.DataFrame  # customer (name) → manager_id
    closed_months: frozenset[int] = frozenset()  # Month.index of closed months (insights)
    late_policy: str = "refuse"  # a sale dated in a closed month: "refuse" or "next_open"


def _month_of(dates: pl.Expr | pl.Series) -> Any:
    return dates.dt.year().cast(pl.Int32) * 12 + dates.dt.month().cast(pl.Int32) - 1


def booked_month(dates: pl.Expr, closed: frozenset[int], policy: str) -> pl.Expr:
    """The month a sale counts in: its own, or with the ``next_open`` policy the first open
    month after a closed one (vectorised: one pass per closed month at most)."""
    month = _month_of(dates)
    if policy != "next_open" or not closed:
        return month
    shut = sorted(closed)
    for _ in shut:
        month = pl.when(month.is_in(shut)).then(month + 1).otherwise(month)
    return month


def load_context(workspace: Any) -> Context:
    from pacte.accounts.models import Membership
    from pacte.insights.selectors import closed_month_policy
    from pacte.org.models import Placement
    from pacte.org.selectors import root_unit
    from pacte.sales.models import Channel, Customer

    closed_months, late_policy = closed_month_policy(workspace)
    keys: dict[str, int] = {}
    channel_rows = list(
        Channel.objects.for_workspace(workspace).values_list("pk", "code", "name_en", "name_fr")
    )
    for pk, *names in reversed(channel_rows):  # codes win over names
        for name in names[::-1]:
            keys[name.strip().lower()] = pk
    members = list(
        Membership.objects.for_workspace(workspace).values_list("user__email", "pk").order_by()
    )
    placements = list(
        Placement.objects.filter(workspace=workspace).values_list(
            "membership_id", "valid_from", "valid_to", "unit_id"
        )
    )
    rules = active_rules(workspace)
    managers = list(
        Customer.objects.for_workspace(workspace)
        .filter(channel_manager__isnull=False)
        .values_list("name", "channel_manager_id")
    )
    return Context(
        workspace_id=workspace.pk,
        currency=workspace.currency,
        exponent=currency_exponent(workspace.currency),
        root_unit_id=root_unit(workspace).pk,
        channels=pl.DataFrame(
            {"key": list(keys), "channel_id": list(keys.values())},
            schema={"key": pl.String, "channel_id": pl.Int64},
        ),
        members=pl.DataFrame(
            {"email": [e.lower() for e, _ in members], "seller_id": [p for _, p in members]},
            schema={"email": pl.String, "seller_id": pl.Int64},
        ),
        placements=pl.DataFrame(
            placements,
            schema={
                "seller_id": pl.Int64,
                "valid_from": pl.Date,
                "valid_to": pl.Date,
                "unit_id": pl.Int64,
            },
            orient="row",
        ),
        rules=rules,
        managers=pl.DataFrame(
            managers, schema={"customer": pl.String, "manager_id": pl.Int64}, orient="row"
        ),
        closed_months=closed_months,
        late_policy=late_policy,
    )


def active_rules(workspace: Any) -> list[dict[str, Any]]:
    """The active crediting rules in the order they are tried: most specific first (channel
    and territory > territory > channel), then lowest priority, then oldest. Territories are
    lower-cased (``str.lower``) as sale territories are (Polars ``to_lowercase``)."""
    from pacte.sales.models import CreditRule

    rules = [
        {
            "id": r.pk,
            "channel_id": r.channel_id,
            "territory": r.territory.strip().lower(),
            "kind": r.kind,
            "target": r.target,
            "owner_id": r.owner_id,
        }
        for r in CreditRule.objects.for_workspace(workspace).filter(is_active=True)
    ]
    rules.sort(key=lambda r: (-(bool(r["territory"]) * 2 + bool(r["channel_id"])), 0))
    return rules


# --------------------------------------------------------------------------- prepare


@dataclass
class State:
    """What carries from one chunk to the next: formats decided, ids seen, a running key."""

    date_order: str = "auto"
    amount_style: str = "auto"
    next_k: int = 0
    dups: tabular.DuplicateKeys = field(
        default_factory=lambda: tabular.DuplicateKeys(["external_id"])
    )


@dataclass
class Prepared:
    sales: pl.DataFrame  # SALE_SCHEMA
    credits: pl.DataFrame  # CREDIT_SCHEMA
    errors: pl.DataFrame  # tabular.ERROR_SCHEMA


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
        schema=tabular.ERROR_SCHEMA,
    )


def text_column(frame: pl.DataFrame, name: str) -> pl.Series:
    """A target field of a chunk as ``prepare`` reads it (stripped, empty → null)."""
    return _text(frame, name)


def _text(frame: pl.DataFrame, name: str) -> pl.Series:
    if name not in frame.columns:
        return pl.Series(name, [None] * frame.height, dtype=pl.String)
    s = frame.get_column(name).cast(pl.String).str.strip_chars()
    return pl.select(pl.when(s == "").then(None).otherwise(s).alias(name)).to_series()


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
    overlay amounts: rounded half up. Credits: k, kind, basis_points, sale_amount, order."""
    sign = pl.when(pl.col("sale_amount") < 0).then(-1).otherwise(1)
    a = pl.col("sale_amount").abs()
    df = credits.with_row_index("i").with_columns(
        base=a * pl.col("basis_points") // 10_000,
        rem=a * pl.col("basis_points") % 10_000,
        sign=sign,
    )
    split = df.filter(pl.col("kind") == "split").with_columns(
        short=(pl.col("sale_amount").abs().first() - pl.col("base").sum()).over("k"),
        rank=pl.struct(pl.col("rem").neg(), "i").rank("ordinal").over("k"),
    )
    split = split.select(
        "i", amount=pl.col("sign") * (pl.col("base") + (pl.col("rank") <= pl.col("short")))
    )
    overlay = df.filter(pl.col("kind") == "overlay").select(
        "i",
        amount=pl.col("sign") * ((a * pl.col("basis_points") + 5_000) // 10_000),
    )
    return (
        pl.concat([split.cast({"amount": pl.Int64}), overlay.cast({"amount": pl.Int64})])
        .sort("i")
        .get_column("amount")
    )


def prepare(ctx: Context, frame: pl.DataFrame, state: State) -> Prepared:
    """Validate one chunk (``LINE`` + target field columns as strings) and resolve credits."""
    lines = frame.get_column(LINE)
    errors: list[pl.DataFrame] = []
    cols = {name: _text(frame, name) for name in FIELDS}
    for name in REQUIRED:
        missing = cols[name].is_null()
        if missing.any():
            errors.append(_err(lines.filter(missing), name, "required_missing"))
    for name, limit in TEXT_LIMITS.items():
        long = (cols[name].str.len_chars() > limit).fill_null(False)
        if long.any():
            errors.append(_err(lines.filter(long), name, "text_too_long", cols[name].filter(long)))

    amounts = tabular.parse_amounts(
        cols["amount"],
        exponent=ctx.exponent,
        style=state.amount_style,  # type: ignore[arg-type]
    )
    if amounts.style and state.amount_style == "auto":
        state.amount_style = amounts.style
    amount_reason = amounts.reasons
    huge = (amounts.values.abs() >= MAX_ABS_AMOUNT).fill_null(False)
    amount_reason = pl.select(
        pl.when(huge).then(pl.lit("amount_too_large")).otherwise(amount_reason)
    ).to_series()
    dates = tabular.parse_dates(cols["date"], order=state.date_order)  # type: ignore[arg-type]
    if dates.order and state.date_order == "auto" and dates.order != "iso":
        state.date_order = dates.order
    for name, reasons in (("amount", amount_reason), ("date", dates.reasons)):
        bad = reasons.is_not_null()
        if bad.any():
            errors.append(
                tabular.row_errors(pl.DataFrame({LINE: lines, name: cols[name]}), reasons, name)
            )

    base = pl.DataFrame(
        {
            LINE: lines,
            "row": pl.Series(range(frame.height), dtype=pl.Int64),
            "external_id": cols["external_id"],
            "date": dates.values,
            "amount": amounts.values,
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
    currency = cols["currency"].str.to_uppercase()
    wrong = (currency.is_not_null() & (currency != ctx.currency)).fill_null(False)
    if wrong.any():
        errors.append(
            _err(lines.filter(wrong), "currency", "currency_mismatch", currency.filter(wrong))
        )
    if ctx.closed_months and ctx.late_policy != "next_open":
        closed = _month_of(dates.values).is_in(sorted(ctx.closed_months)).fill_null(False)
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
    splits = tabular.parse_split_credits(cols["split"])
    if splits.reasons.is_not_null().any():
        errors.append(
            tabular.row_errors(
                pl.DataFrame({LINE: lines, "split": cols["split"]}), splits.reasons, "split"
            )
        )
    split_credits = splits.credits.with_columns(pl.col("row").cast(pl.Int64)).join(
        ctx.members, on="email", how="left"
    )
    overlays, overlay_reasons = _parse_overlays(cols["overlay"])
    if overlay_reasons.is_not_null().any():
        errors.append(
            tabular.row_errors(
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
    error_frame = pl.concat(errors) if errors else pl.DataFrame(schema=tabular.ERROR_SCHEMA)
    bad_lines = error_frame.get_column("line").unique()
    ok = base.filter(~pl.col(LINE).is_in(bad_lines.implode()))
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
        channel_id="channel_id",
        customer="customer",
        territory="territory",
        solution="solution",
        credit_origin=pl.when(pl.col("named")).then(pl.lit("row")).otherwise(pl.lit("rule")),
    )
    fingerprint = ok.select(
        "external_id",
        "date",
        "amount",
        "channel_id",
        "customer",
        "territory",
        "solution",
        "seller_email",
        "split",
        "overlay",
    )
    sales = sales.with_columns(
        row_hash=fingerprint.hash_rows(seed=20261128).reinterpret(signed=True)
    )
    credits = finish_credits(ctx, credits, sales)
    return Prepared(sales.cast(SALE_SCHEMA), credits, error_frame.sort("line"))  # type: ignore[arg-type]


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


# --------------------------------------------------------------------------- staging


_STAGE_SALE_COLS = [
    "k",
    "line",
    "external_id",
    "date",
    "month",
    "amount",
    "channel_id",
    "customer",
    "territory",
    "solution",
    "credit_origin",
    "row_hash",
]
_STAGE_CREDIT_COLS = list(CREDIT_SCHEMA)


def _uuid_sql() -> str:
    if connection.vendor == "postgresql":
        return "gen_random_uuid()"
    return "lower(hex(randomblob(16)))"


def sale_uuid_sql(sale_id: str) -> str:
    """A UUID (version 7 layout) for the sale whose id is the SQL expression ``sale_id``: the
    milliseconds of the transaction's start, then the id. Unique because the id is; growing
    with the id, so an import appends to the right edge of the uuid index instead of writing
    one random page per row (a third of the cost of storing a sale, measured)."""
    if connection.vendor == "postgresql":
        return (
            "(lpad(to_hex((EXTRACT(EPOCH FROM now()) * 1000)::bigint), 12, '0') || '7000' "
            f"|| '8' || lpad(to_hex({sale_id}), 15, '0'))::uuid"
        )
    return (  # Django keeps a UUIDField as 32 hex digits on SQLite
        "printf('%%012x7000' || '8' || '%%015x', "
        f"CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), {sale_id})"
    )


class Stage:
    """Temporary staging tables on the current connection, and the one-transaction merge."""

    def __init__(self) -> None:
        self.pg = connection.vendor == "postgresql"
        text = "text"
        with connection.cursor() as c:
            for table in ("stage_sale", "stage_credit", "stage_class"):
                c.execute(f"DROP TABLE IF EXISTS {table}")
            c.execute(
                "CREATE TEMP TABLE stage_sale (k bigint PRIMARY KEY, line bigint, "
                f"external_id {text}, date date, month integer, amount bigint, "
                f"channel_id bigint, customer {text}, territory {text}, solution {text}, "
                f"credit_origin {text}, row_hash bigint, sale_id bigint, old_hash bigint, "
                f"customer_id bigint, state char(1))"
            )
            c.execute(
                "CREATE TEMP TABLE stage_credit (k bigint, seller_id bigint, unit_id bigint, "
                f"kind {text}, basis_points integer, amount bigint, origin {text})"
            )

    def drop(self) -> None:
        with connection.cursor() as c:
            for table in ("stage_sale", "stage_credit", "stage_class"):
                c.execute(f"DROP TABLE IF EXISTS {table}")

    def add(self, prepared: Prepared) -> None:
        self._load("stage_sale", _STAGE_SALE_COLS, prepared.sales)
        self._load("stage_credit", _STAGE_CREDIT_COLS, prepared.credits)

    def _load(self, table: str, cols: list[str], df: pl.DataFrame) -> None:
        if df.height == 0:
            return
        df = df.select(cols)
        with connection.cursor() as c:
            if self.pg:
                buf = io.BytesIO()
                df.write_csv(buf, include_header=False, null_value="")
                with c.cursor.copy(
                    f"COPY {table} ({', '.join(cols)}) FROM STDIN WITH (FORMAT csv)"
                ) as copy:
                    copy.write(buf.getbuffer())
            else:
                df = df.with_columns(pl.col(pl.Date).cast(pl.String))
                marks = ", ".join(["?"] * len(cols))
                raw = c.cursor  # the sqlite3 cursor: no placeholder rewriting per batch
                sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})"  # noqa: S608
                for part in df.iter_slices(50_000):
                    raw.executemany(sql, part.iter_rows())

    def merge(self, *, workspace_id: int, source: str, job_id: int | None) -> dict[str, Any]:
        """Write the staged rows into the real tables; call inside ``transaction.atomic``.

        Returns the counts and, for changed sales, their audit before/after pairs."""
        now = timezone.now()
        with connection.cursor() as c:
            if self.pg:
                counts = self._classify_pg(c, workspace_id, source)
            else:
                counts = self._classify_sqlite(c, workspace_id, source)
            if counts.get("n", 0) + counts.get("c", 0) == 0:
                return {"created": 0, "updated": 0, "unchanged": counts.get("u", 0), "changes": []}
            self._add_customers(c, workspace_id, now)
            if not self.pg:
                c.execute(
                    "UPDATE stage_sale SET customer_id = (SELECT y.id FROM sales_customer y "
                    "WHERE y.workspace_id = %s AND y.name = stage_sale.customer) "
                    "WHERE state <> 'u' AND customer IS NOT NULL",
                    [workspace_id],
                )
                c.execute("CREATE INDEX stage_sale_sale ON stage_sale (sale_id)")
            changes: list[dict[str, Any]] = []
            if counts.get("c"):
                changes = self._before(c)
                changed = f"SELECT sale_id FROM {self.cls} WHERE state = 'c'"  # noqa: S608
                apply_cube(c, workspace_id, -1, f"c.sale_id IN ({changed})")
                c.execute(f"DELETE FROM sales_credit WHERE sale_id IN ({changed})")  # noqa: S608
                self._update_changed(c, workspace_id, job_id, now)
            if counts.get("n"):
                self._insert_new(c, workspace_id, source, job_id, now)
            # Credits of new and changed sales, then the cube delta, each in one statement.
            c.execute(
                "INSERT INTO sales_credit (workspace_id, sale_id, seller_id, unit_id, kind, "  # noqa: S608
                "basis_points, amount, origin) "
                "SELECT %s, t.sale_id, x.seller_id, x.unit_id, x.kind, x.basis_points, "
                f"x.amount, x.origin FROM stage_credit x JOIN {self.cls} t ON t.k = x.k "
                "WHERE t.state IN ('n', 'c')",
                [workspace_id],
            )
            c.execute(
                CUBE_UPSERT.format(
                    select="SELECT %s, x.seller_id, x.unit_id, t.channel_id, t.month, "  # noqa: S608
                    "SUM(CASE WHEN x.kind = 'split' THEN x.amount ELSE 0 END), "
                    "SUM(CASE WHEN x.kind = 'overlay' THEN x.amount ELSE 0 END), COUNT(*) "
                    f"FROM stage_credit x JOIN {self.cls} t ON t.k = x.k "
                    "WHERE t.state IN ('n', 'c') "
                    "GROUP BY x.seller_id, x.unit_id, t.channel_id, t.month"
                ),
                [workspace_id],
            )
            drop_empty_cells(c, workspace_id)
            if changes:
                self._after(c, changes)
        return {
            "created": counts.get("n", 0),
            "updated": counts.get("c", 0),
            "unchanged": counts.get("u", 0),
            "changes": changes,
        }

    @property
    def cls(self) -> str:
        """The table holding each staged row's ``k, state, sale_id, channel_id, month``."""
        return "stage_class" if self.pg else "stage_sale"

    def _classify_pg(self, c: Any, workspace_id: int, source: str) -> dict[str, int]:
        """One join against the existing sales: new ('n', an id drawn from the sequence right
        away, in file order), changed ('c') or unchanged ('u'); no update of the staging table
        and no re-read of the inserted sales. The lateral ``LIMIT 1`` keeps one probe of the
        unique index per row whatever the (possibly stale) statistics of ``sales_sale``."""
        c.execute("ANALYZE stage_sale")  # temporary tables have no statistics until analysed
        c.execute("SELECT pg_get_serial_sequence('sales_sale', 'id')")
        sequence = c.fetchone()[0]
        c.execute("DROP TABLE IF EXISTS stage_class")
        c.execute(
            "CREATE TEMP TABLE stage_class AS SELECT t.k, "
            "CASE WHEN s.id IS NULL THEN 'n' WHEN s.row_hash = t.row_hash THEN 'u' ELSE 'c' END "
            "AS state, COALESCE(s.id, nextval(%s::regclass)) AS sale_id, t.channel_id, t.month "
            "FROM stage_sale t LEFT JOIN LATERAL (SELECT s.id, s.row_hash FROM sales_sale s "
            "WHERE s.workspace_id = %s AND s.source = %s AND s.external_id = t.external_id "
            "LIMIT 1) s ON TRUE ORDER BY t.k",
            [sequence, workspace_id, source],
        )
        c.execute("ANALYZE stage_class")
        c.execute("SELECT state, COUNT(*) FROM stage_class GROUP BY state")
        return dict(c.fetchall())

    def _classify_sqlite(self, c: Any, workspace_id: int, source: str) -> dict[str, int]:
        c.execute("CREATE INDEX stage_sale_ext ON stage_sale (external_id)")
        # A correlated lookup through the unique index (SQLite may plan a join badly).
        c.execute(
            "UPDATE stage_sale SET (sale_id, old_hash) = (SELECT s.id, s.row_hash "
            "FROM sales_sale s WHERE s.workspace_id = %s AND s.source = %s "
            "AND s.external_id = stage_sale.external_id)",
            [workspace_id, source],
        )
        c.execute(
            "UPDATE stage_sale SET state = CASE WHEN sale_id IS NULL THEN 'n' "
            "WHEN old_hash = row_hash THEN 'u' ELSE 'c' END"
        )
        c.execute("SELECT state, COUNT(*) FROM stage_sale GROUP BY state")
        return dict(c.fetchall())

    def _add_customers(self, c: Any, workspace_id: int, now: datetime.datetime) -> None:
        c.execute(
            "INSERT INTO sales_customer (uuid, workspace_id, name, created_at) "  # noqa: S608
            f"SELECT {_uuid_sql()}, %s, x.name, %s FROM "
            f"(SELECT DISTINCT t.customer AS name FROM stage_sale t JOIN {self.cls} y "
            " ON y.k = t.k WHERE t.customer IS NOT NULL AND y.state <> 'u') x "
            "WHERE NOT EXISTS (SELECT 1 FROM sales_customer y "
            " WHERE y.workspace_id = %s AND y.name = x.name)",
            [workspace_id, now, workspace_id],
        )

    def _update_changed(
        self, c: Any, workspace_id: int, job_id: int | None, now: datetime.datetime
    ) -> None:
        sets = (
            "date = t.date, month = t.month, amount = t.amount, channel_id = t.channel_id, "
            "territory = COALESCE(t.territory, ''), solution = COALESCE(t.solution, ''), "
            "credit_origin = t.credit_origin, row_hash = t.row_hash, last_import_id = %s, "
            "updated_at = %s"
        )
        if self.pg:
            c.execute(
                f"UPDATE sales_sale SET {sets}, customer_id = cu.id "  # noqa: S608
                "FROM stage_class x JOIN stage_sale t ON t.k = x.k "
                "LEFT JOIN sales_customer cu ON cu.workspace_id = %s AND cu.name = t.customer "
                "WHERE x.state = 'c' AND sales_sale.id = x.sale_id",
                [job_id, now, workspace_id],
            )
        else:
            c.execute(
                f"UPDATE sales_sale SET {sets}, customer_id = t.customer_id "  # noqa: S608
                "FROM stage_sale t WHERE t.sale_id = sales_sale.id AND t.state = 'c'",
                [job_id, now],
            )

    def _insert_new(
        self, c: Any, workspace_id: int, source: str, job_id: int | None, now: datetime.datetime
    ) -> None:
        cols = (
            "workspace_id, source, external_id, date, month, amount, channel_id, "
            "customer_id, territory, solution, credit_origin, row_hash, last_import_id, updated_at"
        )
        values = (
            "%s, %s, t.external_id, t.date, t.month, t.amount, t.channel_id, "
            "{customer}, COALESCE(t.territory, ''), COALESCE(t.solution, ''), t.credit_origin, "
            "t.row_hash, %s, %s"
        )
        if self.pg:  # the ids were drawn from the sequence by _classify_pg
            c.execute(
                f"INSERT INTO sales_sale (id, uuid, {cols}) "  # noqa: S608
                f"SELECT x.sale_id, {sale_uuid_sql('x.sale_id')}, "
                f"{values.format(customer='cu.id')} "
                "FROM stage_class x JOIN stage_sale t ON t.k = x.k "
                "LEFT JOIN sales_customer cu ON cu.workspace_id = %s AND cu.name = t.customer "
                "WHERE x.state = 'n' ORDER BY x.k",
                [workspace_id, source, job_id, now, workspace_id],
            )
            return
        # SQLite writes one transaction at a time: the new sales take the ids after the
        # highest one, in file order, so their ids are known without reading them back.
        c.execute(  # AUTOINCREMENT never reuses an id: start after the highest ever given
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'sales_sale'), 0), "
            "COALESCE((SELECT MAX(id) FROM sales_sale), 0))"
        )
        top = int(c.fetchone()[0])
        c.execute(
            "UPDATE stage_sale SET sale_id = %s + x.n FROM (SELECT k, ROW_NUMBER() OVER "
            "(ORDER BY k) AS n FROM stage_sale WHERE state = 'n') x "
            "WHERE stage_sale.k = x.k",
            [top],
        )
        c.execute(
            f"INSERT INTO sales_sale (id, uuid, {cols}) "  # noqa: S608
            f"SELECT t.sale_id, {sale_uuid_sql('t.sale_id')}, "
            f"{values.format(customer='t.customer_id')} "
            "FROM stage_sale t WHERE t.state = 'n' ORDER BY t.k",
            [workspace_id, source, job_id, now],
        )

    def _before(self, c: Any) -> list[dict[str, Any]]:
        c.execute(
            "SELECT s.id, s.uuid, s.external_id, s.date, s.amount, ch.code, cu.name, "  # noqa: S608
            f"s.territory, s.solution FROM sales_sale s JOIN {self.cls} t ON t.sale_id = s.id "
            "JOIN sales_channel ch ON ch.id = s.channel_id "
            "LEFT JOIN sales_customer cu ON cu.id = s.customer_id WHERE t.state = 'c' "
            "ORDER BY t.k"
        )
        rows = c.fetchall()
        c.execute(
            "SELECT x.sale_id, u.email, x.kind, x.basis_points FROM sales_credit x "  # noqa: S608
            f"JOIN {self.cls} t ON t.sale_id = x.sale_id AND t.state = 'c' "
            "JOIN accounts_membership m ON m.id = x.seller_id "
            "JOIN accounts_user u ON u.id = m.user_id ORDER BY x.id"
        )
        credits: dict[int, list[str]] = {}
        for sale_id, email, kind, bp in c.fetchall():
            credits.setdefault(sale_id, []).append(f"{kind}:{email}:{bp}")
        return [
            {"id": r[0], "uuid": str(r[1]), "external_id": r[2], "before": _snap(r, credits)}
            for r in rows
        ]

    def _after(self, c: Any, changes: list[dict[str, Any]]) -> None:
        c.execute(
            "SELECT s.id, s.uuid, s.external_id, s.date, s.amount, ch.code, cu.name, "  # noqa: S608
            f"s.territory, s.solution FROM sales_sale s JOIN {self.cls} t ON t.sale_id = s.id "
            "JOIN sales_channel ch ON ch.id = s.channel_id "
            "LEFT JOIN sales_customer cu ON cu.id = s.customer_id WHERE t.state = 'c'"
        )
        rows = {r[0]: r for r in c.fetchall()}
        c.execute(
            "SELECT x.sale_id, u.email, x.kind, x.basis_points FROM sales_credit x "  # noqa: S608
            f"JOIN {self.cls} t ON t.sale_id = x.sale_id AND t.state = 'c' "
            "JOIN accounts_membership m ON m.id = x.seller_id "
            "JOIN accounts_user u ON u.id = m.user_id ORDER BY x.id"
        )
        credits: dict[int, list[str]] = {}
        for sale_id, email, kind, bp in c.fetchall():
            credits.setdefault(sale_id, []).append(f"{kind}:{email}:{bp}")
        for change in changes:
            change["after"] = _snap(rows[change["id"]], credits)


def _snap(row: tuple[Any, ...], credits: dict[int, list[str]]) -> dict[str, Any]:
    date = row[3]
    return {
        "date": date.isoformat() if hasattr(date, "isoformat") else str(date),
        "amount": int(row[4]),
        "channel": row[5],
        "customer": row[6] or "",
        "territory": row[7] or "",
        "solution": row[8] or "",
        "credits": sorted(credits.get(row[0], [])),
    }


# --------------------------------------------------------------------------- the cube

CUBE_UPSERT = (
    "INSERT INTO sales_cubecell (workspace_id, seller_id, unit_id, channel_id, month, "
    "split_amount, overlay_amount, sale_count) {select} "
    "ON CONFLICT (workspace_id, seller_id, unit_id, channel_id, month) DO UPDATE SET "
    "split_amount = sales_cubecell.split_amount + excluded.split_amount, "
    "overlay_amount = sales_cubecell.overlay_amount + excluded.overlay_amount, "
    "sale_count = sales_cubecell.sale_count + excluded.sale_count"
)


def apply_cube(
    c: Any, workspace_id: int, sign: int, where: str, params: Iterable[Any] = ()
) -> None:
    """Add (``sign`` = 1) or remove (-1) the credits matching ``where`` (alias ``c`` for
    credits, ``s`` for their sales) to or from the cube, in one statement."""
    c.execute(
        CUBE_UPSERT.format(
            select=f"SELECT %s, c.seller_id, c.unit_id, s.channel_id, s.month, "  # noqa: S608
            f"{sign} * SUM(CASE WHEN c.kind = 'split' THEN c.amount ELSE 0 END), "
            f"{sign} * SUM(CASE WHEN c.kind = 'overlay' THEN c.amount ELSE 0 END), "
            f"{sign} * COUNT(*) "
            "FROM sales_credit c JOIN sales_sale s ON s.id = c.sale_id "
            f"WHERE c.workspace_id = %s AND {where} "
            "GROUP BY c.seller_id, c.unit_id, s.channel_id, s.month"
        ),
        [workspace_id, workspace_id, *params],
    )
    c.execute(CUBE_VERSION_BUMP, [workspace_id])


# Every change to the cube bumps the workspace's cube version in the same transaction (the
# insights cache is keyed on it): apply_cube, and drop_empty_cells, which ends every merge.
CUBE_VERSION_BUMP = "UPDATE accounts_workspace SET cube_version = cube_version + 1 WHERE id = %s"


def drop_empty_cells(c: Any, workspace_id: int) -> None:
    c.execute(
        "DELETE FROM sales_cubecell WHERE workspace_id = %s AND split_amount = 0 "
        "AND overlay_amount = 0 AND sale_count = 0",
        [workspace_id],
    )
    c.execute(CUBE_VERSION_BUMP, [workspace_id])


# --------------------------------------------------------------------------- sources


def frames_from_file(
    path: str,
    mapping: dict[str, str],
    *,
    chunk_rows: int = 100_000,
    max_columns: int = tabular.MAX_COLUMNS,
) -> Iterator[tuple[pl.DataFrame, pl.DataFrame, int, int]]:
    """(mapped frame, structural errors, bytes done, bytes total) per chunk of a file."""
    for chunk in tabular.iter_chunks(path, chunk_rows=chunk_rows, max_columns=max_columns):
        problems = tabular.check_columns(chunk.columns, mapping, required=REQUIRED)
        if problems:
            raise problems[0]
        frame = tabular.select_mapped(chunk.frame, {k: v for k, v in mapping.items() if v})
        yield frame, chunk.errors, chunk.bytes_done, chunk.bytes_total


def frame_from_records(
    records: list[tuple[int, dict[str, Any]]],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(line, object) pairs of an API batch → a frame of strings, and errors for unknown keys."""
    data: dict[str, list[str | None]] = {name: [] for name in FIELDS}
    lines: list[int] = []
    errors: list[dict[str, Any]] = []
    for line, obj in records:
        lines.append(line)
        for name in FIELDS:
            value = obj.get(name)
            data[name].append(None if value is None else str(value))
        for key in obj:
            if key not in FIELDS:
                errors.append(
                    {"line": line, "column": str(key), "code": "column_unexpected", "detail": None}
                )
    frame = pl.DataFrame(
        {LINE: lines, **data}, schema={LINE: pl.Int64, **dict.fromkeys(FIELDS, pl.String)}
    )
    return frame, pl.DataFrame(errors, schema=tabular.ERROR_SCHEMA)


# --------------------------------------------------------------------------- direct writes


def lock_source(c: Any, workspace_id: int, source: str) -> None:
    """Serialise imports into one (workspace, source) until the transaction ends (PostgreSQL;
    SQLite writes one transaction at a time anyway)."""
    if connection.vendor == "postgresql":
        c.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [workspace_id, source])


class Direct:
    """Writes prepared slices straight into ``sales_sale`` and ``sales_credit`` with ``COPY``
    (PostgreSQL), for a source that holds no sale yet, so every row is new: no staging table,
    no classification, no ``INSERT … SELECT``. Use inside ``transaction.atomic`` after
    ``lock_source``: the caller's transaction is what makes the import all or nothing (an
    error, a cancel or a killed process rolls every slice back).

    The writes run in a thread of their own, on the caller's connection, while the caller
    validates the next slice: the server inserts rows and updates indexes on one core while
    Polars parses on the other. The caller must not use the connection between ``start`` and
    ``close`` (progress and cancel go through another one). The cube delta is summed in Polars
    slice by slice and applied once by ``finish``."""

    SALE_COLS = (
        "id, uuid, workspace_id, source, date, month, amount, channel_id, row_hash, "
        "last_import_id, updated_at, external_id, territory, solution, credit_origin, customer_id"
    )
    CREDIT_COLS = "workspace_id, sale_id, seller_id, unit_id, kind, basis_points, amount, origin"
    #: Cube cells of slices kept before they are summed (then at least the summed cells'
    #: number): summing at every slice would regroup a large organisation's cube 400 times
    #: for 10M rows.
    CUBE_PENDING_ROWS = 200_000
    #: Prepared slices waiting for the writer: bounds the memory held ahead of the database.
    QUEUE_SLICES = 2

    def __init__(
        self, *, workspace_id: int, source: str, job_id: int | None, draw: Any = None
    ) -> None:
        """``draw``: the connection sale ids are drawn from while the writer owns this one
        (another connection: a sequence is not transactional); this one when not given."""
        self.workspace_id = workspace_id
        self.source = source
        self.job_id = job_id
        self.created = 0
        self.now = timezone.now()
        self.customers = pl.DataFrame(schema={"customer": pl.String, "customer_id": pl.Int64})
        self.cube = pl.DataFrame(schema=_CUBE_SCHEMA)  # summed cells
        self.pending: list[pl.DataFrame] = []  # slices' cells not summed into ``cube`` yet
        self.pending_rows = 0
        self.conn = connections[DEFAULT_DB_ALIAS]  # this thread's connection, for the writer
        self.draw = draw or self.conn
        self.queue: queue.Queue[_Encoded | None] = queue.Queue(maxsize=self.QUEUE_SLICES)
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None
        with self.conn.cursor() as c:
            c.execute("SELECT pg_get_serial_sequence('sales_sale', 'id')")
            self.sequence = c.fetchone()[0]
            c.execute("SELECT (EXTRACT(EPOCH FROM now()) * 1000)::bigint")
            self.millis = int(c.fetchone()[0])

    def start(self) -> None:
        self.conn.inc_thread_sharing()
        self.thread = threading.Thread(target=self._work, name="pacte-import-writer", daemon=True)
        self.thread.start()

    def add(self, prepared: Prepared) -> None:
        """Draw the slice's sale ids, encode its rows for ``COPY`` and queue them for the writer
        (waits while QUEUE_SLICES are pending). Runs in the caller's thread, beside the writer:
        only the customers' ids, which need this transaction, are left to the writer."""
        if self.error is not None:
            raise self.error
        sales, credits = prepared.sales, prepared.credits
        if sales.height == 0:
            return
        with self.draw.cursor() as c:
            ids = self._reserve(c, sales.height)
        sales = sales.with_columns(id=pl.Series(ids))
        credits = credits.join(
            sales.select("k", sale_id="id", channel_id="channel_id", month="month"),
            on="k",
            how="left",
            maintain_order="left",
        )
        C = pgcopy.Column
        has_customer = sales["customer"].is_not_null()
        sale_rows, ends = pgcopy.encode_rows(
            sales.height,
            [  # the order of SALE_COLS: fixed-width first (one block), customer_id last
                C("int8", sales["id"]),
                C("uuid", pgcopy.uuid7(ids, self.millis)),
                C("int8", self.workspace_id),
                C("text", self.source),
                C("date", sales["date"]),
                C("int4", sales["month"]),
                C("int8", sales["amount"]),
                C("int8", sales["channel_id"]),
                C("int8", sales["row_hash"]),
                C("int8", self.job_id),
                C("timestamptz", self.now),
                C("text", sales["external_id"]),
                C("text", sales["territory"].fill_null("")),
                C("text", sales["solution"].fill_null("")),
                C("text", sales["credit_origin"]),
                C("int8", pl.select(pl.when(has_customer).then(0)).to_series()),  # placeholder
            ],
        )
        credit_rows = pgcopy.encode(
            credits.height,
            [
                C("int8", self.workspace_id),
                C("int8", credits["sale_id"]),
                C("int8", credits["seller_id"]),
                C("int8", credits["unit_id"]),
                C("text", credits["kind"]),
                C("int4", credits["basis_points"].cast(pl.Int32)),
                C("int8", credits["amount"]),
                C("text", credits["origin"]),
            ],
        )
        customers = sales["customer"].filter(has_customer)
        self.queue.put(
            _Encoded(sale_rows, ends[has_customer.to_numpy()] - 8, customers, credit_rows)
        )
        self.created += sales.height
        delta = _cube_delta(credits)
        self.pending.append(delta)
        self.pending_rows += delta.height
        if self.pending_rows > max(self.CUBE_PENDING_ROWS, self.cube.height):  # amortised
            self._sum_pending()

    def _sum_pending(self) -> None:
        self.cube = _sum_cube(pl.concat([self.cube, *self.pending]))
        self.pending, self.pending_rows = [], 0

    def close(self, *, quiet: bool = False) -> None:
        """Wait for the writer to finish the queued slices; raise what it met, if anything
        (unless ``quiet``: the caller is already raising)."""
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
            self.thread = None
            self.conn.dec_thread_sharing()
        if self.error is not None and not quiet:
            raise self.error

    def _work(self) -> None:
        while (encoded := self.queue.get()) is not None:
            if self.error is not None:
                continue  # drain: the caller sees the error at its next add or at close
            try:
                self._write(encoded)
            except BaseException as exc:  # handed to the caller's thread
                self.error = exc

    @staticmethod
    def applies(workspace_id: int, source: str) -> bool:
        """True when the direct path can take this import: PostgreSQL, and no sale of this
        source in the workspace yet (ask after ``lock_source``)."""
        if connection.vendor != "postgresql":
            return False
        with connection.cursor() as c:
            c.execute(
                "SELECT EXISTS (SELECT 1 FROM sales_sale WHERE workspace_id = %s AND source = %s)",
                [workspace_id, source],
            )
            return not c.fetchone()[0]

    def _write(self, encoded: _Encoded) -> None:
        with self.conn.cursor() as c:
            if encoded.customers.len():  # their ids, creating the new ones, into the rows
                ids = self._customer_ids(c, encoded.customers)
                block = ids.astype(">i8").view(np.uint8).reshape(-1, 8)
                encoded.sales[(encoded.customer_at[:, None] + np.arange(8)).ravel()] = block.ravel()
            self._copy(c, "sales_sale", self.SALE_COLS, encoded.sales)
            self._copy(c, "sales_credit", self.CREDIT_COLS, encoded.credits)

    def finish(self) -> dict[str, Any]:
        """Apply the summed cube delta (one upsert) and return the counts, as ``Stage.merge``."""
        self.close()
        if self.created:
            with self.conn.cursor() as c:
                c.execute("DROP TABLE IF EXISTS stage_cube")
                c.execute(
                    "CREATE TEMP TABLE stage_cube (seller_id bigint, unit_id bigint, "
                    "channel_id bigint, month integer, split bigint, overlay bigint, n bigint) "
                    "ON COMMIT DROP"
                )
                self._sum_pending()
                cube = self.cube
                kinds: dict[str, pgcopy.Kind] = {"month": "int4"}
                data = pgcopy.encode(
                    cube.height,
                    [pgcopy.Column(kinds.get(name, "int8"), cube[name]) for name in _CUBE_SCHEMA],
                )
                self._copy(c, "stage_cube", ", ".join(_CUBE_SCHEMA), data)
                c.execute(
                    CUBE_UPSERT.format(
                        select="SELECT %s, seller_id, unit_id, channel_id, month, split, "
                        "overlay, n FROM stage_cube"
                    ),
                    [self.workspace_id],
                )
                drop_empty_cells(c, self.workspace_id)
        return {"created": self.created, "updated": 0, "unchanged": 0, "changes": []}

    def _reserve(self, c: Any, n: int) -> np.ndarray:
        """``n`` new sale ids from the table's own sequence, in order. Normally one contiguous
        range (two numbers back); when another session drew ids meanwhile, the list itself."""
        c.execute(
            "SELECT MIN(v), MAX(v), CASE WHEN MAX(v) - MIN(v) = COUNT(*) - 1 THEN NULL "
            "ELSE array_agg(v ORDER BY v) END "
            "FROM (SELECT nextval(%s::regclass) AS v FROM generate_series(1, %s)) q",
            [self.sequence, n],
        )
        low, high, drawn = c.fetchone()
        if drawn is None:
            return np.arange(low, high + 1, dtype=np.int64)
        return np.asarray(drawn, dtype=np.int64)

    def _customer_ids(self, c: Any, names: pl.Series) -> np.ndarray:
        """The id of each customer name, creating the customers this workspace lacks
        (set-based, by name, as ``Stage._add_customers``)."""
        distinct = names.unique()
        fresh = distinct.filter(~distinct.is_in(self.customers.get_column("customer").implode()))
        if fresh.len():
            listed = fresh.to_list()
            c.execute(
                "INSERT INTO sales_customer (uuid, workspace_id, name, created_at) "
                "SELECT gen_random_uuid(), %s, n, %s FROM unnest(%s::text[]) AS n "
                "ON CONFLICT (workspace_id, name) DO NOTHING",
                [self.workspace_id, self.now, listed],
            )
            c.execute(
                "SELECT name, id FROM sales_customer WHERE workspace_id = %s AND name = ANY(%s)",
                [self.workspace_id, listed],
            )
            found = pl.DataFrame(
                c.fetchall(), schema={"customer": pl.String, "customer_id": pl.Int64}, orient="row"
            )
            self.customers = pl.concat([self.customers, found])
        joined = names.to_frame("customer").join(
            self.customers, on="customer", how="left", maintain_order="left"
        )
        return joined.get_column("customer_id").to_numpy()

    @staticmethod
    def _copy(c: Any, table: str, cols: str, data: bytes | np.ndarray) -> None:
        """Binary ``COPY``: ``data`` whole (``pgcopy.encode``), or rows alone (a uint8 array
        from ``pgcopy.encode_rows``, sent between the header and the trailer)."""
        with c.cursor.copy(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT binary)") as copy:
            if isinstance(data, np.ndarray):
                copy.write(pgcopy.SIGNATURE)
                copy.write(memoryview(data))
                copy.write(pgcopy.TRAILER)
            else:
                copy.write(data)


@dataclass
class _Encoded:
    """A slice ready for the writer: sale rows (binary ``COPY``, customer ids still to write
    at ``customer_at``, one per name in ``customers``) and credit rows."""

    sales: np.ndarray
    customer_at: np.ndarray
    customers: pl.Series
    credits: bytes


_CUBE_SCHEMA: dict[str, Any] = {
    "seller_id": pl.Int64,
    "unit_id": pl.Int64,
    "channel_id": pl.Int64,
    "month": pl.Int32,
    "split": pl.Int64,
    "overlay": pl.Int64,
    "n": pl.Int64,
}
_CUBE_KEY = ["seller_id", "unit_id", "channel_id", "month"]


def _cube_delta(credits: pl.DataFrame) -> pl.DataFrame:
    """Credits (with their sale's channel and month) summed per cube cell."""
    return (
        credits.group_by(_CUBE_KEY)
        .agg(
            split=pl.col("amount").filter(pl.col("kind") == "split").sum(),
            overlay=pl.col("amount").filter(pl.col("kind") == "overlay").sum(),
            n=pl.len(),
        )
        .cast(_CUBE_SCHEMA)  # type: ignore[arg-type]
    )


def _sum_cube(cells: pl.DataFrame) -> pl.DataFrame:
    return (
        cells.group_by(_CUBE_KEY)
        .agg(pl.col("split").sum(), pl.col("overlay").sum(), pl.col("n").sum())
        .cast(_CUBE_SCHEMA)  # type: ignore[arg-type]
    )

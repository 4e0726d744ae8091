"""The one path of every deal that enters or changes in Pacte: a file, a bulk API batch, a
deal edited on a page. The sales import's bulk path, for deals:

1. ``validate`` (Polars, vectorised, per frame): parse and check the rows with their line
   numbers, convert a deal in another currency into the workspace currency (the sales rates
   and rules, integer arithmetic: ``pacte.lib.currency``), and shape the credits (the owner's
   100 % split unless the row says otherwise; split amounts by largest remainder, so they sum
   exactly to the deal).
2. ``pacte.pipeline.staging``: the rows go to temporary tables (binary ``COPY`` on PostgreSQL,
   batched inserts on SQLite) and ONE transaction merges them set-based: new deals inserted,
   changed ones updated, a history row for every creation and every change of stage, amount,
   close date, probability, category, status or owner (the pipeline as of any date), credits
   replaced and the pipeline cells of the sellers touched rebuilt.

The import's guarantees (as for sales): all or nothing (one bad row refuses the batch with every
bad row located), idempotent by (source, external id): the same rows again change nothing (a
fingerprint of each row is kept on its deal).

A deal in another currency keeps its currency and its own amount; its ``amount`` is the
conversion at the rate of its expected close date, or of the import's day when the close date is
still to come (no rate is known for a future day); the workspace's missing-rate rule applies to
that day. Half-to-even rounding to the workspace's minor unit (``pacte.lib.currency``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership, Workspace
from pacte.errors import DomainError
from pacte.lib.money import exponent as currency_exponent
from pacte.lib.tabular.amounts import parse_amounts
from pacte.lib.tabular.common import LINE, Ambiguous, TabularError
from pacte.lib.tabular.dates import parse_dates
from pacte.lib.tabular.reading import iter_chunks
from pacte.pipeline.models import (
    Category,
    CreditKind,
    DealStatus,
    StageRule,
)
from pacte.sales.ingest.context import load_rates, missing_rate_rule
from pacte.sales.ingest.currencies import convert, own_units, read_codes
from pacte.sales.ingest.prepare import allocate
from pacte.sales.mapping import column_key
from pacte.sales.models import Channel

#: Fields of a deal row: name → required.
FIELDS: dict[str, bool] = {
    "external_id": True,
    "name": True,
    "amount": True,
    "close_date": True,
    "stage": True,
    "probability": True,
    "category": True,
    "owner": True,
    "status": False,
    "channel": False,
    "split": False,
    "overlay": False,
    "currency": False,
}
TEXT_LIMITS = {"external_id": 100, "name": 300, "stage": 100}
MAX_AMOUNT = 10**14
#: What the category column may say (values, English and French labels).
CATEGORY_WORDS: dict[str, str] = {
    "pipeline": Category.PIPELINE,
    "best_case": Category.BEST_CASE,
    "best case": Category.BEST_CASE,
    "bestcase": Category.BEST_CASE,
    "meilleur cas": Category.BEST_CASE,
    "commit": Category.COMMIT,
    "engagé": Category.COMMIT,
    "engage": Category.COMMIT,
    "closed": Category.CLOSED,
    "clos": Category.CLOSED,
    "omitted": Category.OMITTED,
    "omis": Category.OMITTED,
    "exclu": Category.OMITTED,
}
STATUS_WORDS: dict[str, str] = {
    "open": DealStatus.OPEN,
    "ouvert": DealStatus.OPEN,
    "won": DealStatus.WON,
    "gagné": DealStatus.WON,
    "gagne": DealStatus.WON,
    "lost": DealStatus.LOST,
    "perdu": DealStatus.LOST,
}
#: Kept in a deal's history when one of them changes.
TRACKED = ["amount", "close_date", "stage", "probability", "category", "status", "owner_id"]
#: The rows of a batch, typed, as they are staged (``pacte.pipeline.staging``).
DEAL_SCHEMA: dict[str, Any] = {
    "k": pl.Int64,
    "line": pl.Int64,
    "external_id": pl.String,
    "name": pl.String,
    "amount": pl.Int64,
    "currency": pl.String,  # null: the workspace currency
    "currency_amount": pl.Int64,
    "close_date": pl.Date,
    "month": pl.Int32,
    "stage": pl.String,
    "probability": pl.Int32,
    "category": pl.String,
    "status": pl.String,
    "owner_id": pl.Int64,
    "channel_id": pl.Int64,
    "row_hash": pl.Int64,
}
CREDIT_SCHEMA: dict[str, Any] = {
    "k": pl.Int64,
    "seller_id": pl.Int64,
    "kind": pl.String,
    "basis_points": pl.Int32,
    "amount": pl.Int64,
}
_HASH_SEED = 20261206


def messages() -> dict[str, str]:
    """Row refusals, by code (people read these next to the line and column)."""
    return {
        "required": _("This field is required."),
        "too_long": _("The text is too long."),
        "bad_amount": _("Not an amount."),
        "negative_amount": _("An amount cannot be negative."),
        "amount_too_many_decimals": _("More decimals than the currency has."),
        "amount_too_large": _("Amount too large."),
        "bad_date": _("Not a date."),
        "closed_period": _("The close date falls in a closed period."),
        "bad_probability": _("The probability is a whole number from 0 to 100."),
        "unknown_category": _(
            "Unknown forecast category: use pipeline, best case, commit, closed or omitted."
        ),
        "category_not_allowed": _(
            "The workspace's rules do not allow this category at this stage."
        ),
        "unknown_status": _("Unknown status: use open, won or lost."),
        "unknown_owner": _("No member of the workspace has this email address."),
        "unknown_channel": _("Unknown channel."),
        "unknown_currency": _("No currency has this code (ISO 4217, e.g. CHF)."),
        "no_rate": _(
            "No exchange rate for this currency on this date: add one on the Currencies and rates page."
        ),
        "bad_split": _("Split credits are written email:percent;email:percent and add up to 100."),
        "bad_overlay": _("Overlay credits are email addresses separated by ;."),
        "duplicate_id": _("This external id appears twice in the batch."),
        "column_unexpected": _("Unknown field."),
    }


@dataclass
class Context:
    """What validation needs of the workspace, read once per batch."""

    workspace: Workspace
    exponent: int
    members: dict[str, int]
    channels: dict[str, int]
    rules: dict[str, frozenset[str]]
    closed_months: frozenset[int]
    currency: str = ""
    rates: pl.DataFrame | None = None  # RATE_SCHEMA, the sales' rates
    missing_rate: str = "previous"
    today: datetime.date | None = None

    @classmethod
    def load(cls, workspace: Workspace) -> Context:
        from pacte.insights.selectors import closed_month_policy

        members = {
            email.lower(): pk
            for email, pk in Membership.objects.for_workspace(workspace).values_list(
                "user__email", "pk"
            )
        }
        channels: dict[str, int] = {}
        for pk, *names in reversed(
            list(
                Channel.objects.for_workspace(workspace).values_list(
                    "pk", "code", "name_en", "name_fr"
                )
            )
        ):
            for name in names[::-1]:
                channels[name.strip().lower()] = pk
        rules = {
            stage.strip().lower(): frozenset(allowed)
            for stage, allowed in StageRule.objects.for_workspace(workspace).values_list(
                "stage", "allowed"
            )
        }
        closed, _policy = closed_month_policy(workspace)
        return cls(
            workspace,
            currency_exponent(workspace.currency),
            members,
            channels,
            rules,
            closed,
            currency=workspace.currency.upper(),
            rates=load_rates(workspace),
            missing_rate=missing_rate_rule(workspace),
            today=timezone.localdate(),
        )


@dataclass
class Result:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class Invalid(DomainError):
    """A batch refused for its rows: ``details`` lists ``{line, column, code, message}``."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        first = errors[0]
        super().__init__(
            _(
                "%(count)s rows are not valid; nothing was imported. Line %(line)s, %(column)s: %(message)s"
            )
            % {
                "count": len({e["line"] for e in errors}),
                "line": first["line"],
                "column": first["column"],
                "message": first["message"],
            },
            code="invalid_rows",
            field=first["column"],
            details=errors[:1000],
        )


# --------------------------------------------------------------------------- sources


def frame_from_records(records: Iterable[dict[str, Any]], *, first_line: int = 1) -> pl.DataFrame:
    """API objects (or a page's edit) → a frame of strings with their line (1-based)."""
    data: dict[str, list[str | None]] = {name: [] for name in FIELDS}
    lines: list[int] = []
    unknown: list[dict[str, Any]] = []
    for i, obj in enumerate(records):
        lines.append(first_line + i)
        for name in FIELDS:
            value = obj.get(name)
            data[name].append(None if value is None or value == "" else str(value))
        unknown.extend(
            {"line": first_line + i, "column": str(k), "code": "column_unexpected"}
            for k in obj
            if k not in FIELDS
        )
    if unknown:
        _raise([{**e, "message": messages()[e["code"]]} for e in unknown])
    return pl.DataFrame(
        {LINE: lines, **data}, schema={LINE: pl.Int64, **dict.fromkeys(FIELDS, pl.String)}
    )


def frames_from_file(path: str) -> Iterator[pl.DataFrame]:
    """A CSV or XLSX file whose header names the fields (in English or French words the
    sales import also reads: ``external_id``, ``name``, ``amount``…) → frames of strings."""
    try:
        for chunk in iter_chunks(path, chunk_rows=200_000):
            columns = {c: column_key(c) for c in chunk.frame.columns if c != LINE}
            mapped = {key: c for c, key in columns.items() if key in FIELDS}
            missing = [name for name, required in FIELDS.items() if required and name not in mapped]
            if missing:
                raise DomainError(
                    _("The file has no column “%(name)s”.") % {"name": missing[0]},
                    code="column_missing",
                    field="file",
                )
            if chunk.errors.height:
                first = chunk.errors.row(0, named=True)
                raise DomainError(
                    _("Line %(line)s of the file cannot be read.") % {"line": first["line"]},
                    code=str(first["code"]),
                    field="file",
                )
            yield chunk.frame.select(
                pl.col(LINE),
                *[
                    (pl.col(mapped[name]) if name in mapped else pl.lit(None, pl.String)).alias(
                        name
                    )
                    for name in FIELDS
                ],
            )
    except TabularError as exc:
        raise DomainError(str(exc.message), code=exc.code, field="file") from exc


# --------------------------------------------------------------------------- validation


def _raise(errors: list[dict[str, Any]]) -> None:
    errors.sort(
        key=lambda e: (e["line"], list(FIELDS).index(e["column"]) if e["column"] in FIELDS else 99)
    )
    raise Invalid(errors)


def _lookup(series: pl.Series, table: dict[str, Any], dtype: Any) -> pl.Series:
    keys = series.str.strip_chars().str.to_lowercase()
    return keys.replace_strict(table, default=None, return_dtype=dtype)


class _Flags:
    """Row errors of a frame, gathered as small frames (line, column, code)."""

    def __init__(self, lines: pl.Series) -> None:
        self.lines = lines
        self.found: list[pl.DataFrame] = []

    def __call__(self, mask: pl.Series, column: str, code: str) -> None:
        lines = self.lines.filter(mask.fill_null(False))
        if lines.len():
            n = lines.len()
            self.found.append(
                pl.DataFrame({"line": lines, "column": [column] * n, "code": [code] * n})
            )

    def rows(self) -> list[dict[str, Any]]:
        return pl.concat(self.found).to_dicts() if self.found else []


def validate(ctx: Context, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """Typed rows (Polars, vectorised) and the row errors ``{line, column, code}``."""
    absent = [name for name in FIELDS if name not in frame.columns]
    if absent:  # an optional field no row has
        frame = frame.with_columns(pl.lit(None, pl.String).alias(name) for name in absent)
    flag = _Flags(frame[LINE])
    for name, required in FIELDS.items():
        col = frame[name]
        if required:
            flag(col.is_null(), name, "required")
        if name in TEXT_LIMITS:
            flag(col.str.len_chars() > TEXT_LIMITS[name], name, "too_long")
    try:
        dates = parse_dates(frame["close_date"], order="auto")
    except Ambiguous:
        dates = parse_dates(frame["close_date"], order="iso")
    flag(dates.reasons.is_not_null() & frame["close_date"].is_not_null(), "close_date", "bad_date")
    money = _amounts(ctx, frame, dates.values, flag)
    month = dates.values.dt.year().cast(pl.Int32) * 12 + dates.values.dt.month().cast(pl.Int32) - 1
    if ctx.closed_months:
        flag(month.is_in(sorted(ctx.closed_months)), "close_date", "closed_period")
    prob_text = frame["probability"].str.strip_chars().str.strip_chars_end("%").str.strip_chars()
    probability = prob_text.cast(pl.Int64, strict=False)
    flag(
        frame["probability"].is_not_null()
        & (probability.is_null() | (probability < 0) | (probability > 100)),
        "probability",
        "bad_probability",
    )
    category = _lookup(frame["category"], CATEGORY_WORDS, pl.String)
    flag(frame["category"].is_not_null() & category.is_null(), "category", "unknown_category")
    if ctx.rules:
        flag(_not_allowed(ctx, frame["stage"], category), "category", "category_not_allowed")
    status = _lookup(frame["status"].fill_null("open"), STATUS_WORDS, pl.String)
    flag(status.is_null(), "status", "unknown_status")
    owner = _lookup(frame["owner"], ctx.members, pl.Int64)
    flag(frame["owner"].is_not_null() & owner.is_null(), "owner", "unknown_owner")
    channel = _lookup(frame["channel"], ctx.channels, pl.Int64)
    flag(frame["channel"].is_not_null() & channel.is_null(), "channel", "unknown_channel")
    ext = frame["external_id"].str.strip_chars()
    flag(ext.is_duplicated() & ext.is_not_null(), "external_id", "duplicate_id")
    rows = pl.DataFrame(
        {
            "line": frame[LINE],
            "external_id": ext,
            "name": frame["name"].str.strip_chars(),
            "amount": money["amount"],
            "currency": money["currency"],
            "currency_amount": money["currency_amount"],
            "close_date": dates.values,
            "month": month,
            "stage": frame["stage"].str.strip_chars(),
            "probability": probability.cast(pl.Int32, strict=False),
            "category": category,
            "status": status,
            "owner_id": owner,
            "channel_id": channel,
            "split": frame["split"],
            "overlay": frame["overlay"],
        }
    )
    credits, credit_errors = _explicit_credits(ctx, rows)
    return rows.with_columns(credits=credits), flag.rows() + credit_errors


def _not_allowed(ctx: Context, stage: pl.Series, category: pl.Series) -> pl.Series:
    """True where the workspace's rule for the row's stage does not allow its category (a
    stage without a rule allows every category), by joins: no Python per row."""
    allowed = pl.DataFrame(
        [(s, c) for s, cats in ctx.rules.items() for c in cats],
        schema={"stage_key": pl.String, "category": pl.String},
        orient="row",
    ).with_columns(ok=pl.lit(True))
    rows = pl.DataFrame(
        {"stage_key": stage.str.strip_chars().str.to_lowercase(), "category": category}
    )
    ruled = rows["stage_key"].is_in(list(ctx.rules))
    joined = rows.join(allowed, on=["stage_key", "category"], how="left", maintain_order="left")
    return ruled & category.is_not_null() & joined["ok"].is_null()


def _amounts(
    ctx: Context, frame: pl.DataFrame, close: pl.Series, flag: _Flags
) -> dict[str, pl.Series]:
    """The amount of each row in the workspace currency, and for a row in another currency
    its code and its own amount (null otherwise), as the sales import reads them
    (``pacte.sales.ingest.currencies``): converted at the rate of the close date, or of today
    for a close date still to come (the workspace's missing-rate rule)."""
    codes = read_codes(frame["currency"], currency=ctx.currency, exponent=ctx.exponent)
    flag(codes.unknown, "currency", "unknown_currency")
    try:
        parsed = parse_amounts(frame["amount"], exponent=codes.widest, style="auto")
    except Ambiguous:
        parsed = parse_amounts(frame["amount"], exponent=codes.widest, style="en")
    flag(parsed.reasons.is_not_null() & frame["amount"].is_not_null(), "amount", "bad_amount")
    flag(parsed.values < 0, "amount", "negative_amount")
    own, extra = own_units(parsed.values, codes)
    flag(extra, "amount", "amount_too_many_decimals")
    converted = own
    if codes.digits is not None:
        day = pl.select(
            pl.min_horizontal(close, pl.lit(ctx.today or timezone.localdate(), pl.Date))
        ).to_series()
        converted, missing, too_large = convert(
            own,
            codes,
            day,
            rates=ctx.rates,
            rule=ctx.missing_rate,
            to_digits=ctx.exponent,
        )
        flag(missing & own.is_not_null(), "currency", "no_rate")
        flag(too_large, "amount", "amount_too_large")
    flag(converted.abs() > MAX_AMOUNT, "amount", "amount_too_large")
    foreign = codes.foreign
    return {
        "amount": converted,
        "currency": pl.select(pl.when(foreign).then(codes.code)).to_series().cast(pl.String),
        "currency_amount": pl.select(pl.when(foreign).then(own)).to_series().cast(pl.Int64),
    }


_CREDITS = pl.List(pl.Struct({"seller_id": pl.Int64, "kind": pl.String, "bp": pl.Int64}))


def _explicit_credits(ctx: Context, rows: pl.DataFrame) -> tuple[pl.Series, list[dict[str, Any]]]:
    """``[(seller, kind, basis points), …]`` of the rows with a split or overlay column (null
    for the others: the owner's 100 % split, shaped in ``shape``). Only those rows go through
    Python (no query)."""
    special = (rows["split"].is_not_null() | rows["overlay"].is_not_null()).fill_null(False)
    if not special.any():
        return pl.Series("credits", [None] * rows.height, dtype=_CREDITS), []
    out: dict[int, list[tuple[int, str, int]]] = {}
    errors: list[dict[str, Any]] = []
    picked = rows.with_row_index("i").filter(special)
    for i, line, owner, split, overlay in picked.select(
        "i", "line", "owner_id", "split", "overlay"
    ).iter_rows():
        credits: list[tuple[int, str, int]] = []
        if split:
            total = 0
            for part in split.split(";"):
                email, _sep, pct = part.strip().rpartition(":")
                seller = ctx.members.get(email.strip().lower())
                bp = _basis_points(pct)
                if seller is None or bp <= 0:
                    errors.append({"line": line, "column": "split", "code": "bad_split"})
                    break
                credits.append((seller, CreditKind.SPLIT, bp))
                total += bp
            else:
                if total != 10_000:
                    errors.append({"line": line, "column": "split", "code": "bad_split"})
        elif owner is not None:
            credits.append((owner, CreditKind.SPLIT, 10_000))
        if overlay:
            for email in overlay.split(";"):
                seller = ctx.members.get(email.strip().lower())
                if seller is None:
                    errors.append({"line": line, "column": "overlay", "code": "bad_overlay"})
                    break
                credits.append((seller, CreditKind.OVERLAY, 10_000))
        out[i] = credits
    return pl.Series("credits", [out.get(i) for i in range(rows.height)], dtype=_CREDITS), errors


def _basis_points(pct: str) -> int:
    """``"33.5"`` / ``"33,5"`` → 3350; -1 when not a percentage with at most two decimals."""
    whole, _sep, frac = pct.strip().replace(",", ".").partition(".")
    if not whole.isdigit() or (frac and (not frac.isdigit() or len(frac) > 2)):
        return -1
    return int(whole) * 100 + int(frac.ljust(2, "0") or 0)


def shape(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Valid rows → the deals to stage (DEAL_SCHEMA, with their fingerprint) and their credits
    (CREDIT_SCHEMA: split amounts by largest remainder, overlays the deal's amount)."""
    rows = rows.with_columns(k=pl.int_range(0, rows.height, dtype=pl.Int64))
    fingerprint = rows.select(
        "external_id",
        "name",
        pl.coalesce("currency_amount", "amount"),
        "currency",
        "close_date",
        "stage",
        "probability",
        "category",
        "status",
        "owner_id",
        "channel_id",
        "split",
        "overlay",
    )
    deals = rows.with_columns(
        row_hash=fingerprint.hash_rows(seed=_HASH_SEED).reinterpret(signed=True)
    )
    plain = rows.filter(pl.col("credits").is_null()).select(
        "k",
        seller_id="owner_id",
        kind=pl.lit(str(CreditKind.SPLIT)),
        basis_points=pl.lit(10_000, pl.Int64),
    )
    explicit = (
        rows.filter(pl.col("credits").is_not_null())
        .select("k", "credits")
        .explode("credits")
        .unnest("credits")
        .select("k", "seller_id", "kind", basis_points="bp")
    )
    credits = pl.concat([plain, explicit]).sort("k", maintain_order=True)
    credits = credits.join(
        rows.select("k", sale_amount="amount"), on="k", how="left", maintain_order="left"
    )
    credits = credits.with_columns(amount=allocate(credits))
    return (
        deals.select(list(DEAL_SCHEMA)).cast(DEAL_SCHEMA),  # type: ignore[arg-type]
        credits.select(list(CREDIT_SCHEMA)).cast(CREDIT_SCHEMA),  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------- import


def ingest(
    *,
    workspace: Workspace,
    actor: Membership | None,
    frames: Iterable[pl.DataFrame],
    source: str = "default",
    versions: dict[str, int] | None = None,
    origin: str = "api",
) -> Result:
    """Validate every frame, then merge the whole batch in one transaction (see the module)."""
    from pacte.pipeline.staging import merge

    source = (source or "default").strip()[:60] or "default"
    ctx = Context.load(workspace)
    parts: list[pl.DataFrame] = []
    errors: list[dict[str, Any]] = []
    for frame in frames:
        rows, errs = validate(ctx, frame)
        parts.append(rows)
        errors.extend(errs)
    rows = pl.concat(parts) if parts else pl.DataFrame()
    if rows.height and not errors and rows["external_id"].is_duplicated().any():
        dup = rows.filter(rows["external_id"].is_duplicated())["line"].to_list()
        errors.extend({"line": x, "column": "external_id", "code": "duplicate_id"} for x in dup)
    if errors:
        text = messages()
        _raise([{**e, "message": text[e["code"]]} for e in errors])
    if not rows.height:
        return Result()
    deals, credits = shape(rows)
    del rows, parts
    counts = merge(
        workspace=workspace,
        deals=deals,
        credits=credits,
        source=source,
        actor=actor,
        versions=versions or {},
        origin=origin,
    )
    return Result(created=counts["n"], updated=counts["c"], unchanged=counts["u"])

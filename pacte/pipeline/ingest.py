"""The one path of every deal that enters or changes in Pacte: a file, a bulk API batch, a
deal edited on a page. Rows are validated together (Polars, with their line numbers), then
merged in ONE transaction: new deals inserted, changed ones updated, each change kept as a
history row, credits replaced and the pipeline cells of the sellers touched rebuilt.

The import's guarantees (as for sales): all or nothing (one bad row refuses the batch with every
bad row located), idempotent by (source, external id): the same rows again change nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership, Workspace
from pacte.audit.services import record
from pacte.errors import DomainError
from pacte.lib.fiscal import Month
from pacte.lib.money import exponent as currency_exponent
from pacte.lib.tabular.amounts import parse_amounts
from pacte.lib.tabular.common import LINE, Ambiguous, TabularError
from pacte.lib.tabular.dates import parse_dates
from pacte.lib.tabular.reading import iter_chunks
from pacte.pipeline.models import (
    Category,
    CreditKind,
    Deal,
    DealCredit,
    DealStatus,
    StageRule,
)
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
#: Compared to tell a changed deal from an unchanged one (and kept in its history).
TRACKED = ["amount", "close_date", "stage", "probability", "category", "status", "owner_id"]


def messages() -> dict[str, str]:
    """Row refusals, by code (people read these next to the line and column)."""
    return {
        "required": _("This field is required."),
        "too_long": _("The text is too long."),
        "bad_amount": _("Not an amount."),
        "negative_amount": _("An amount cannot be negative."),
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
        )


@dataclass
class Result:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deals: list[int] = field(default_factory=list)


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


def validate(ctx: Context, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """Typed rows (Polars, vectorised) and the row errors ``{line, column, code}``."""
    errs: list[pl.DataFrame] = []

    def flag(mask: pl.Series, column: str, code: str) -> None:
        lines = frame[LINE].filter(mask.fill_null(False))
        if lines.len():
            errs.append(
                pl.DataFrame(
                    {"line": lines, "column": [column] * lines.len(), "code": [code] * lines.len()}
                )
            )

    for name, required in FIELDS.items():
        col = frame[name]
        if required:
            flag(col.is_null(), name, "required")
        if name in TEXT_LIMITS:
            flag(col.str.len_chars() > TEXT_LIMITS[name], name, "too_long")
    try:
        amounts = parse_amounts(frame["amount"], exponent=ctx.exponent, style="auto")
    except Ambiguous:
        amounts = parse_amounts(frame["amount"], exponent=ctx.exponent, style="en")
    flag(amounts.reasons.is_not_null() & frame["amount"].is_not_null(), "amount", "bad_amount")
    flag(amounts.values < 0, "amount", "negative_amount")
    flag(amounts.values.abs() > MAX_AMOUNT, "amount", "bad_amount")
    try:
        dates = parse_dates(frame["close_date"], order="auto")
    except Ambiguous:
        dates = parse_dates(frame["close_date"], order="iso")
    flag(dates.reasons.is_not_null() & frame["close_date"].is_not_null(), "close_date", "bad_date")
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
        stage_key = frame["stage"].str.strip_chars().str.to_lowercase()
        allowed = pl.Series(
            [
                None if s is None or c is None or s not in ctx.rules else c in ctx.rules[s]
                for s, c in zip(stage_key.to_list(), category.to_list(), strict=True)
            ],
            dtype=pl.Boolean,
        )
        flag(allowed == False, "category", "category_not_allowed")  # noqa: E712
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
            "amount": amounts.values,
            "close_date": dates.values,
            "month": month,
            "stage": frame["stage"].str.strip_chars(),
            "probability": probability,
            "category": category,
            "status": status,
            "owner_id": owner,
            "channel_id": channel,
            "split": frame["split"],
            "overlay": frame["overlay"],
        }
    )
    credits, credit_errors = _credits(ctx, rows)
    errors = (pl.concat(errs).to_dicts() if errs else []) + credit_errors
    return rows.with_columns(credits=credits), errors


def _credits(ctx: Context, rows: pl.DataFrame) -> tuple[pl.Series, list[dict[str, Any]]]:
    """``[(seller, kind, basis points), …]`` per row: the owner's 100 % split unless the row
    says otherwise. Only rows with a split or overlay column go through Python (no query)."""
    out: list[list[tuple[int, str, int]] | None] = []
    errors: list[dict[str, Any]] = []
    for line, owner, split, overlay in rows.select(
        "line", "owner_id", "split", "overlay"
    ).iter_rows():
        credits: list[tuple[int, str, int]] = []
        if split:
            total = 0
            for part in split.split(";"):
                email, _sep, pct = part.strip().rpartition(":")
                seller = ctx.members.get(email.strip().lower())
                try:
                    bp = round(float(pct.replace(",", ".")) * 100)
                except ValueError:
                    bp = -1
                if seller is None or bp <= 0:
                    errors.append({"line": line, "column": "split", "code": "bad_split"})
                    break
                credits.append((seller, CreditKind.SPLIT, bp))
                total += bp
            else:
                if total != 10_000:
                    errors.append({"line": line, "column": "split", "code": "bad_split"})
        elif not overlay:
            out.append(None)  # the owner's 100 % split, filled in when merging
            continue
        elif owner is not None:
            credits.append((owner, CreditKind.SPLIT, 10_000))
        if overlay:
            for email in overlay.split(";"):
                seller = ctx.members.get(email.strip().lower())
                if seller is None:
                    errors.append({"line": line, "column": "overlay", "code": "bad_overlay"})
                    break
                credits.append((seller, CreditKind.OVERLAY, 10_000))
        out.append(credits)
    return pl.Series(
        out,
        dtype=pl.List(pl.Struct({"seller_id": pl.Int64, "kind": pl.String, "bp": pl.Int64})),
    ), errors


# --------------------------------------------------------------------------- merge


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
    source = (source or "default").strip()[:60] or "default"
    ctx = Context.load(workspace)
    parts: list[pl.DataFrame] = []
    errors: list[dict[str, Any]] = []
    for frame in frames:
        rows, errs = validate(ctx, frame)
        parts.append(rows)
        errors.extend(errs)
    rows = pl.concat(parts) if parts else pl.DataFrame()
    if rows.height and rows["external_id"].is_duplicated().any() and not errors:
        dup = rows.filter(rows["external_id"].is_duplicated())["line"].to_list()
        errors.extend({"line": x, "column": "external_id", "code": "duplicate_id"} for x in dup)
    if errors:
        text = messages()
        _raise([{**e, "message": text[e["code"]]} for e in errors])
    if not rows.height:
        return Result()
    return _merge(ctx, rows, source=source, actor=actor, versions=versions or {}, origin=origin)


@transaction.atomic
def _merge(
    ctx: Context,
    rows: pl.DataFrame,
    *,
    source: str,
    actor: Membership | None,
    versions: dict[str, int],
    origin: str,
) -> Result:
    from pacte.errors import StaleVersion
    from pacte.pipeline.cells import rebuild_cells

    ws = ctx.workspace
    now = timezone.now()
    existing: dict[str, dict[str, Any]] = {}
    ids = rows["external_id"].to_list()
    for start in range(0, len(ids), 5000):
        qs = Deal.objects.for_workspace(ws).filter(
            source=source, external_id__in=ids[start : start + 5000]
        )
        if versions:
            qs = qs.select_for_update()
        for row in qs.values("pk", "external_id", "name", "channel_id", "version", *TRACKED):
            existing[row["external_id"]] = row
    for ext, version in versions.items():
        if ext in existing and existing[ext]["version"] != version:
            raise StaleVersion(
                _(
                    "“%(name)s” was changed by someone else since you opened it. Reload and try again."
                )
                % {"name": existing[ext]["name"]}
            )
    new: list[dict[str, Any]] = []
    changed: list[Deal] = []
    touched_sellers: set[int] = set()
    credit_rows: dict[int | str, list[dict[str, Any]]] = {}
    result = Result()
    for row in rows.iter_rows(named=True):
        old = existing.get(row["external_id"])
        credits = row["credits"] or [
            {"seller_id": row["owner_id"], "kind": CreditKind.SPLIT, "bp": 10_000}
        ]
        touched_sellers.update(c["seller_id"] for c in credits)
        values = {
            "name": row["name"],
            "amount": row["amount"],
            "close_date": row["close_date"],
            "month": row["month"],
            "stage": row["stage"],
            "probability": row["probability"],
            "category": row["category"],
            "status": row["status"],
            "owner_id": row["owner_id"],
            "channel_id": row["channel_id"],
        }
        if old is None:
            new.append({"external_id": row["external_id"], **values})
            credit_rows[row["external_id"]] = credits
            continue
        if (
            all(old[k] == values[k] for k in TRACKED)
            and old["name"] == values["name"]
            and old["channel_id"] == values["channel_id"]
        ):
            result.unchanged += 1
            result.deals.append(old["pk"])
            # credits may still differ: replaced below only for changed deals
            continue
        deal = Deal(
            pk=old["pk"],
            workspace=ws,
            source=source,
            external_id=row["external_id"],
            version=old["version"] + 1,
            updated_at=now,
            **values,
        )
        changed.append(deal)
        touched_sellers.add(old["owner_id"])
        credit_rows[old["pk"]] = credits
    new_ids = _insert_deals(ws.pk, source, new, now)
    if changed:
        old_credit_sellers = DealCredit.objects.for_workspace(ws).filter(
            deal_id__in=[d.pk for d in changed]
        )
        touched_sellers.update(old_credit_sellers.values_list("seller_id", flat=True))
        old_credit_sellers.delete()
        Deal.objects.bulk_update(
            changed,
            ["name", "version", "updated_at", "channel_id", "month", *TRACKED],
            batch_size=2000,
        )
    ops = connection.ops
    at = ops.adapt_datetimefield_value(now)
    actor_id = actor.pk if actor else None
    states = [(new_ids[d["external_id"]], d) for d in new] + [
        (d.pk, {k: getattr(d, k) for k in ("amount", *TRACKED)}) for d in changed
    ]
    _insert(
        "pipeline_dealchange",
        [
            "workspace_id",
            "deal_id",
            "changed_at",
            "actor_id",
            "amount",
            "close_date",
            "stage",
            "probability",
            "category",
            "status",
            "owner_id",
        ],
        [
            (
                ws.pk,
                pk,
                at,
                actor_id,
                d["amount"],
                ops.adapt_datefield_value(d["close_date"]),
                d["stage"],
                d["probability"],
                d["category"],
                d["status"],
                d["owner_id"],
            )
            for pk, d in states
        ],
    )
    credit_values: list[tuple[Any, ...]] = []
    for d in new:
        pk = new_ids[d["external_id"]]
        credit_values.extend(_credit_rows(ws.pk, pk, d["amount"], credit_rows[d["external_id"]]))
    for c in changed:
        credit_values.extend(_credit_rows(ws.pk, c.pk, c.amount, credit_rows[c.pk]))
    _insert(
        "pipeline_dealcredit",
        ["workspace_id", "deal_id", "seller_id", "kind", "basis_points", "amount"],
        credit_values,
    )
    if new or changed:
        rebuild_cells(ws, sorted(touched_sellers))
        record(
            workspace=ws,
            actor=actor,
            action="pipeline.deals_imported" if origin != "page" else "pipeline.deal_changed",
            obj=changed[0] if origin == "page" and changed else None,
            object_type="deal",
            after={"source": source, "created": len(new), "updated": len(changed)},
        )
    result.created, result.updated = len(new), len(changed)
    result.deals.extend([*new_ids.values(), *(d.pk for d in changed)])
    return result


def _insert(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Rows appended with batched ``executemany`` (no model instance per row)."""
    if not rows:
        return
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 — fixed names
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as c:
        for start in range(0, len(rows), 10_000):
            c.executemany(sql, rows[start : start + 10_000])


def _insert_deals(
    ws_id: int, source: str, new: list[dict[str, Any]], now: datetime.datetime
) -> dict[str, int]:
    """Insert new deals; their ids by external id (one read per 5,000 deals)."""
    import uuid

    if not new:
        return {}
    ops = connection.ops
    at = ops.adapt_datetimefield_value(now)
    sqlite = connection.vendor == "sqlite"
    _insert(
        "pipeline_deal",
        [
            "workspace_id",
            "uuid",
            "source",
            "external_id",
            "name",
            "amount",
            "close_date",
            "month",
            "stage",
            "probability",
            "category",
            "status",
            "owner_id",
            "channel_id",
            "version",
            "created_at",
            "updated_at",
        ],
        [
            (
                ws_id,
                uuid.uuid4().hex if sqlite else uuid.uuid4(),
                source,
                d["external_id"],
                d["name"],
                d["amount"],
                ops.adapt_datefield_value(d["close_date"]),
                d["month"],
                d["stage"],
                d["probability"],
                d["category"],
                d["status"],
                d["owner_id"],
                d["channel_id"],
                1,
                at,
                at,
            )
            for d in new
        ],
    )
    ids: dict[str, int] = {}
    keys = [d["external_id"] for d in new]
    for start in range(0, len(keys), 5000):
        ids.update(
            Deal.objects.for_workspace(ws_id)
            .filter(source=source, external_id__in=keys[start : start + 5000])
            .values_list("external_id", "pk")
        )
    return ids


def _credit_rows(
    ws_id: int, deal_id: int, amount: int, credits: list[dict[str, Any]]
) -> list[tuple[Any, ...]]:
    """Credit rows; split amounts by largest remainder, so they sum to the deal."""
    from pacte.lib.forecast import largest_remainder

    out: list[tuple[Any, ...]] = []
    for kind in (CreditKind.SPLIT, CreditKind.OVERLAY):
        mine = [c for c in credits if c["kind"] == kind]
        if not mine:
            continue
        if kind == CreditKind.SPLIT and len(mine) > 1:
            shares = [int(x) for x in largest_remainder(amount, [c["bp"] for c in mine])]
        else:
            shares = [amount * c["bp"] // 10_000 for c in mine]
        out.extend(
            (ws_id, deal_id, c["seller_id"], str(kind), c["bp"], share)
            for c, share in zip(mine, shares, strict=True)
        )
    return out


def month_of(day: datetime.date) -> int:
    return Month.of(day).index


def vendor() -> str:
    return connection.vendor

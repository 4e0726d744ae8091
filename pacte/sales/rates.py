"""Currencies: exchange rates (entered, imported from a file, or sent to the API), the rule for
a sale whose date has no rate, and the re-valuation of the sales a new or changed rate covers.

Every change is one transaction: the rates, the sales' converted amounts and their credits, the
cube deltas and the audit events. The conversion itself is :mod:`pacte.lib.currency`, applied
by the same Polars as-of join the imports use (``ingest.currencies.convert_rows``)."""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pacte.accounts.models import Membership, Workspace
from pacte.audit.services import record, record_many
from pacte.errors import DomainError, StaleVersion
from pacte.insights.tasks import warm_overview
from pacte.lib.currency import RateError, is_currency, rate_decimal, rate_units
from pacte.lib.money import MoneyInputError, parse_decimal
from pacte.lib.tabular.dates import parse_dates
from pacte.sales.cube import CUBE_VERSION_BUMP, apply_cube, drop_empty_cells
from pacte.sales.ingest.currencies import reconvert
from pacte.sales.ingest.prepare import allocate
from pacte.sales.models import Credit, CurrencySettings, ExchangeRate, MissingRate, Sale

RATE_REASONS: dict[str, Any] = {
    "unknown_currency": gettext_lazy("No currency has this code (ISO 4217, e.g. CHF)."),
    "same_currency": gettext_lazy("This is the workspace currency: it needs no rate."),
    "rate_not_positive": gettext_lazy("A rate must be greater than zero."),
    "rate_too_precise": gettext_lazy("A rate has at most ten decimals."),
    "rate_too_large": gettext_lazy("This rate is too large."),
    "rate_invalid": gettext_lazy("Not a rate."),
    "date_invalid": gettext_lazy("Not a date in the expected format."),
    "period_closed": gettext_lazy(
        "This rate would change sales in a closed period: reopen the period first."
    ),
    "required_missing": gettext_lazy("This value is required."),
}


def rate_message(code: str) -> str:
    return str(RATE_REASONS.get(code, code))


@dataclass
class RateInput:
    """One rate to set: ``line`` locates it in a file (or a list sent to the API)."""

    currency: str
    date: datetime.date
    rate: Decimal
    line: int | None = None


def _refuse(problems: list[dict[str, Any]]) -> DomainError:
    """One refusal for every bad rate, each located (line, column)."""
    first = problems[0]
    if len(problems) == 1 and first.get("line") is None:
        return DomainError(rate_message(first["code"]), code=first["code"], field=first["column"])
    return DomainError(
        _("Some rates are wrong; nothing was changed."),
        code="invalid_rates",
        details=[{**p, "message": rate_message(p["code"])} for p in problems],
    )


def check_rate(workspace: Workspace, item: RateInput) -> tuple[str, int, list[dict[str, Any]]]:
    """The currency code and integer rate of ``item``, and its problems (none when good)."""
    problems: list[dict[str, Any]] = []
    code = (item.currency or "").strip().upper()
    if not is_currency(code):
        problems.append(
            {"line": item.line, "column": "currency", "code": "unknown_currency", "value": code}
        )
    elif code == workspace.currency:
        problems.append(
            {"line": item.line, "column": "currency", "code": "same_currency", "value": code}
        )
    units = 0
    try:
        units = rate_units(item.rate)
    except RateError as exc:
        problems.append(
            {"line": item.line, "column": "rate", "code": exc.code, "value": str(item.rate)}
        )
    return code, units, problems


@transaction.atomic
def set_rates(
    *,
    workspace: Workspace,
    actor: Membership | None,
    rates: list[RateInput],
    version: int | None = None,
) -> dict[str, int]:
    """Add or change rates (all or none) and re-value the sales they cover.

    ``version`` (one rate only) refuses a stale edit of an existing rate (412). Refused: an
    unknown currency code, the workspace's own currency, a rate of zero or less, a rate whose
    month is closed or that would change a sale booked in a closed month. Returns the counts
    ``created``, ``updated``, ``unchanged``, ``revalued`` (sales) and ``deals_revalued`` (open
    deals, ``pacte.pipeline.revalue``)."""
    problems: list[dict[str, Any]] = []
    wanted: dict[tuple[str, datetime.date], tuple[int, RateInput]] = {}
    for item in rates:
        code, units, found = check_rate(workspace, item)
        problems.extend(found)
        if not found:
            wanted[(code, item.date)] = (units, item)
    closed = _closed_months(workspace)
    for (_code, day), (_units, item) in wanted.items():
        if day.year * 12 + day.month - 1 in closed:
            problems.append(
                {"line": item.line, "column": "date", "code": "period_closed", "value": str(day)}
            )
    if problems:
        raise _refuse(problems)
    if not wanted:
        return {"created": 0, "updated": 0, "unchanged": 0, "revalued": 0}
    currencies = sorted({code for code, _day in wanted})
    existing = {
        (r.currency, r.date): r
        for r in ExchangeRate.objects.select_for_update()
        .for_workspace(workspace)
        .filter(currency__in=currencies, date__in=sorted({day for _c, day in wanted}))
    }
    if version is not None and len(wanted) == 1:
        current = existing.get(next(iter(wanted)))
        if current is not None and current.version != version:
            raise StaleVersion(
                _(
                    "This rate was changed by someone else since you opened it. Reload and try again."
                )
            )
    now = timezone.now()
    created: list[ExchangeRate] = []
    updated: list[tuple[ExchangeRate, int]] = []
    since: dict[str, datetime.date] = {}
    for (code, day), (units, _item) in sorted(wanted.items()):
        rate = existing.get((code, day))
        if rate is None:
            created.append(
                ExchangeRate(
                    workspace=workspace, currency=code, date=day, rate=units, updated_at=now
                )
            )
        elif rate.rate != units:
            updated.append((rate, rate.rate))
            rate.rate, rate.version, rate.updated_at = units, rate.version + 1, now
        else:
            continue
        since[code] = min(since.get(code, day), day)
    ExchangeRate.objects.bulk_create(created)
    ExchangeRate.objects.bulk_update([r for r, _old in updated], ["rate", "version", "updated_at"])
    record_many(
        [
            {
                "workspace": workspace,
                "actor": actor,
                "action": "exchangerate.created",
                "obj": r,
                "after": _rate_snapshot(r.currency, r.date, r.rate),
            }
            for r in created
        ]
        + [
            {
                "workspace": workspace,
                "actor": actor,
                "action": "exchangerate.updated",
                "obj": r,
                "before": _rate_snapshot(r.currency, r.date, old),
                "after": _rate_snapshot(r.currency, r.date, r.rate),
            }
            for r, old in updated
        ]
    )
    revalued = revalue(workspace=workspace, actor=actor, since=since) if since else 0
    deals = 0
    if since:  # the open deals too (the pipeline sits above sales: called, not imported)
        from pacte.pipeline.revalue import revalue_deals

        deals = revalue_deals(workspace=workspace, actor=actor, since=since, closed_months=closed)
    if since:  # constant-currency figures depend on the rates: cached on the cube version
        with connection.cursor() as c:
            c.execute(CUBE_VERSION_BUMP, [workspace.pk])
    return {
        "created": len(created),
        "updated": len(updated),
        "unchanged": len(wanted) - len(created) - len(updated),
        "revalued": revalued,
        "deals_revalued": deals,
    }


def _rate_snapshot(currency: str, day: datetime.date, units: int) -> dict[str, Any]:
    return {"currency": currency, "date": day.isoformat(), "rate": str(rate_decimal(units))}


def _closed_months(workspace: Workspace) -> frozenset[int]:
    from pacte.insights.selectors import closed_month_policy

    return closed_month_policy(workspace)[0]


def revalue(
    *, workspace: Workspace, actor: Membership | None, since: dict[str, datetime.date]
) -> int:
    """Convert again the sales in each currency of ``since`` dated on or after its date, at the
    rates now known; write the sales and credits whose amount changes, with the cube deltas, in
    one set of statements (call inside the rates' transaction). Refuses (``period_closed``)
    when a sale to change is booked in a closed month. Returns how many sales changed."""
    scope = Q()
    for code, day in since.items():
        scope |= Q(currency=code, date__gte=day)
    sales_qs = Sale.objects.for_workspace(workspace).filter(scope)
    rows = list(
        sales_qs.values_list("id", "date", "month", "currency", "currency_amount", "amount")
    )
    if not rows:
        return 0
    sales = pl.DataFrame(
        rows,
        schema={
            "i": pl.Int64,
            "date": pl.Date,
            "month": pl.Int32,
            "currency": pl.String,
            "amount": pl.Int64,
            "old": pl.Int64,
        },
        orient="row",
    )
    changed = reconvert(workspace, sales, keep=("month",))
    if changed.height == 0:
        return 0
    closed = _closed_months(workspace)
    if closed and changed.get_column("month").is_in(sorted(closed)).any():
        raise DomainError(rate_message("period_closed"), code="period_closed", field="date")
    # Credits are keyed by (workspace, sale, seller, kind): that order breaks the ties of the
    # largest remainder, the same at every revaluation.
    credit_rows = list(
        Credit.objects.filter(workspace=workspace, sale__in=sales_qs)
        .order_by("sale_id", "seller_id", "kind")
        .values_list("seller_id", "sale_id", "kind", "basis_points")
    )
    credits = pl.DataFrame(
        credit_rows,
        schema={
            "seller_id": pl.Int64,
            "k": pl.Int64,
            "kind": pl.String,
            "basis_points": pl.Int64,
        },
        orient="row",
    ).join(changed.select(pl.col("i").alias("k"), sale_amount="new"), on="k", how="inner")
    credits = credits.with_columns(amount=allocate(credits))
    with connection.cursor() as c:
        _temp(c, "reval_sale", ["sale_id", "amount"], changed.select("i", "new"))
        _temp(
            c,
            "reval_credit",
            ["sale_id", "seller_id", "kind", "amount"],
            credits.select("k", "seller_id", "kind", "amount"),
            {"kind": "text"},
        )
        where = "c.sale_id IN (SELECT sale_id FROM reval_sale)"
        apply_cube(c, workspace.pk, -1, where)
        c.execute(
            "UPDATE sales_sale SET amount = r.amount, updated_at = %s FROM reval_sale r "
            "WHERE sales_sale.id = r.sale_id",
            [timezone.now()],
        )
        c.execute(
            "UPDATE sales_credit SET amount = r.amount FROM reval_credit r "
            "WHERE sales_credit.workspace_id = %s AND sales_credit.sale_id = r.sale_id "
            "AND sales_credit.seller_id = r.seller_id AND sales_credit.kind = r.kind",
            [workspace.pk],
        )
        apply_cube(c, workspace.pk, 1, where)
        drop_empty_cells(c, workspace.pk)
        for table in ("reval_sale", "reval_credit"):
            c.execute(f"DROP TABLE {table}")
    record(
        workspace=workspace,
        actor=actor,
        action="sales.revalued",
        object_type="exchangerate",
        object_repr=", ".join(f"{code} ≥ {day.isoformat()}" for code, day in sorted(since.items())),
        before={"sales": changed.height, "total": int(changed.get_column("old").sum())},
        after={"sales": changed.height, "total": int(changed.get_column("new").sum())},
    )
    transaction.on_commit(lambda: warm_overview.enqueue(workspace.pk))
    return changed.height


def _temp(
    c: Any, table: str, cols: list[str], df: pl.DataFrame, types: dict[str, str] | None = None
) -> None:
    """A temporary table holding ``df`` (``COPY`` on PostgreSQL); every column a ``bigint``
    unless ``types`` says otherwise, the first one the primary key unless the table has more
    than two columns (then all but the last)."""
    c.execute(f"DROP TABLE IF EXISTS {table}")
    key = cols[:1] if len(cols) == 2 else cols[:-1]
    columns = ", ".join(f"{col} {(types or {}).get(col, 'bigint')}" for col in cols)
    c.execute(f"CREATE TEMP TABLE {table} ({columns}, PRIMARY KEY ({', '.join(key)}))")
    if df.height == 0:
        return
    if connection.vendor == "postgresql":
        buf = io.BytesIO()
        df.write_csv(buf, include_header=False)
        with c.cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN WITH (FORMAT csv)") as cp:
            cp.write(buf.getbuffer())
    else:
        c.cursor.executemany(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",  # noqa: S608
            df.iter_rows(),
        )


# --------------------------------------------------------------------------- the rule


@transaction.atomic
def set_missing_rate_rule(
    *, workspace: Workspace, actor: Membership | None, rule: str, version: int | None = None
) -> CurrencySettings:
    """What an import does with a sale whose date has no rate: take the previous known rate,
    or refuse it. Applies to the sales booked from now on."""
    if rule not in MissingRate.values:
        raise DomainError(
            _("Choose one of the rules offered."), code="invalid", field="missing_rate"
        )
    settings, _created = CurrencySettings.objects.select_for_update().get_or_create(
        workspace=workspace
    )
    if version is not None and version != settings.version:
        raise StaleVersion(
            _(
                "These settings were changed by someone else since you opened them. Reload and try again."
            )
        )
    if settings.missing_rate == rule:
        return settings
    before = {"missing_rate": settings.missing_rate}
    settings.missing_rate = rule
    settings.version += 1
    settings.save()
    record(
        workspace=workspace,
        actor=actor,
        action="currencysettings.updated",
        obj=settings,
        object_repr=str(_("Currencies")),
        before=before,
        after={"missing_rate": rule},
    )
    return settings


def currency_settings(workspace: Workspace) -> CurrencySettings:
    """The workspace's settings (unsaved defaults when never changed)."""
    found = CurrencySettings.objects.for_workspace(workspace).first()
    return found or CurrencySettings(workspace=workspace)


# --------------------------------------------------------------------------- rate files


def parse_rate_file(text: str) -> tuple[list[RateInput], list[dict[str, Any]]]:
    """A CSV of rates (header ``currency,date,rate``; comma or semicolon separated; dates
    ISO or day/month as the file's dates read; a rate has a decimal point or a decimal comma,
    no group separator) → the rates and the located problems (line, column, code)."""
    lines = [line for line in text.splitlines()]
    if not lines or not lines[0].strip():
        return [], [{"line": 1, "column": None, "code": "required_missing", "value": ""}]
    sep = ";" if lines[0].count(";") > lines[0].count(",") else ","
    header = [h.strip().lower() for h in lines[0].split(sep)]
    missing = [name for name in ("currency", "date", "rate") if name not in header]
    if missing:
        return [], [
            {"line": 1, "column": name, "code": "required_missing", "value": ""} for name in missing
        ]
    at = {name: header.index(name) for name in ("currency", "date", "rate")}
    raw: list[tuple[int, list[str]]] = []
    for number, line in enumerate(lines[1:], start=2):
        if line.strip():
            cells = [cell.strip() for cell in line.split(sep)]
            cells += [""] * (len(header) - len(cells))
            raw.append((number, cells))
    dates = parse_dates(
        pl.Series([cells[at["date"]] for _n, cells in raw], dtype=pl.String), order="auto"
    )
    problems: list[dict[str, Any]] = []
    items: list[RateInput] = []
    for (number, cells), day, reason in zip(raw, dates.values, dates.reasons, strict=True):
        text_rate = cells[at["rate"]]
        try:
            style = "fr" if "," in text_rate and "." not in text_rate else "en"
            rate = parse_decimal(text_rate, style, places=10)
        except MoneyInputError as exc:
            code = "rate_not_positive" if exc.code == "negative" else "rate_invalid"
            code = "rate_too_precise" if exc.code == "too_precise" else code
            problems.append({"line": number, "column": "rate", "code": code, "value": text_rate})
            continue
        if reason is not None or day is None:
            problems.append(
                {
                    "line": number,
                    "column": "date",
                    "code": "date_invalid",
                    "value": cells[at["date"]],
                }
            )
            continue
        items.append(RateInput(currency=cells[at["currency"]], date=day, rate=rate, line=number))
    return items, problems


@transaction.atomic
def import_rates(*, workspace: Workspace, actor: Membership | None, text: str) -> dict[str, int]:
    """A rate file, all or nothing (located errors in ``DomainError.details``)."""
    items, problems = parse_rate_file(text)
    for item in items:
        problems.extend(check_rate(workspace, item)[2])
    if problems:
        raise _refuse(sorted(problems, key=lambda p: (p["line"] or 0, p["column"] or "")))
    return set_rates(workspace=workspace, actor=actor, rates=items)

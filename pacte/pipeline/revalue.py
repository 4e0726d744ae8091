"""Open deals in another currency re-valued when a rate they depend on is added or changed
(called by ``pacte.sales.rates.set_rates``, inside the rates' transaction).

A deal is converted at the rate of its expected close date, or of today for a close date still
to come (``pacte.pipeline.ingest``): a rate of currency C from day D on covers the open deals in
C whose conversion day is D or later. They are converted again at the rates now known, and the
ones whose amount changes are written set-based: the deals (version bumped, so a page that read
the old amount gets a stale-version refusal), their credits (split amounts by largest
remainder, exact), a history row each, the pipeline cells and team sums of the sellers they
count for, and one audit event. Nothing is refused: a deal whose day has no rate under the
workspace's rule keeps its amount, and a deal whose close month is closed is left as it is."""

from __future__ import annotations

import datetime
from typing import Any

import polars as pl
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from pacte.accounts.models import Membership, Workspace
from pacte.audit.services import record
from pacte.pipeline.cells import rebuild_cells
from pacte.pipeline.models import Deal, DealCredit, DealStatus
from pacte.sales.ingest.currencies import reconvert
from pacte.sales.ingest.prepare import allocate
from pacte.sales.ingest.stage import copy_rows

_HISTORY = ["amount", "close_date", "stage", "probability", "category", "status", "owner_id"]


def revalue_deals(
    *,
    workspace: Workspace,
    actor: Membership | None,
    since: dict[str, datetime.date],
    closed_months: frozenset[int] = frozenset(),
) -> int:
    """Convert again the open deals in each currency of ``since`` whose conversion day is on or
    after its date (see the module); returns how many deals changed."""
    today = timezone.localdate()
    scope = Q()
    for code, day in since.items():
        if day <= today:  # a rate of a day still to come converts no deal yet
            scope |= Q(currency=code, close_date__gte=day)
    if not scope:
        return 0
    found = (
        Deal.objects.for_workspace(workspace)
        .filter(scope, status=DealStatus.OPEN, currency_amount__isnull=False)
        .exclude(month__in=sorted(closed_months))
        .values_list("id", "close_date", "currency", "currency_amount", "amount")
    )
    deals = pl.DataFrame(
        list(found),
        schema={
            "i": pl.Int64,
            "close_date": pl.Date,
            "currency": pl.String,
            "amount": pl.Int64,
            "old": pl.Int64,
        },
        orient="row",
    )
    if deals.height == 0:
        return 0
    deals = deals.with_columns(date=pl.min_horizontal("close_date", pl.lit(today, pl.Date)))
    changed = reconvert(workspace, deals)
    if changed.height == 0:
        return 0
    _write(workspace, actor, changed)
    record(
        workspace=workspace,
        actor=actor,
        action="pipeline.deals_revalued",
        object_type="exchangerate",
        object_repr=", ".join(f"{code} ≥ {day.isoformat()}" for code, day in sorted(since.items())),
        before={"deals": changed.height, "total": int(changed.get_column("old").sum())},
        after={"deals": changed.height, "total": int(changed.get_column("new").sum())},
    )
    return changed.height


def _write(workspace: Workspace, actor: Membership | None, changed: pl.DataFrame) -> None:
    """The deals, their credits and history, then the cells of their sellers (set-based)."""
    ws = workspace.pk
    # Credits keyed by (deal, seller, kind): that order breaks the ties of the largest
    # remainder, the same at every revaluation.
    credits = pl.DataFrame(
        list(
            DealCredit.objects.for_workspace(workspace)
            .filter(deal_id__in=changed.get_column("i").to_list())
            .order_by("deal_id", "seller_id", "kind")
            .values_list("deal_id", "seller_id", "kind", "basis_points")
        ),
        schema={"k": pl.Int64, "seller_id": pl.Int64, "kind": pl.String, "basis_points": pl.Int64},
        orient="row",
    ).join(changed.select(pl.col("i").alias("k"), sale_amount="new"), on="k", how="inner")
    credits = credits.with_columns(amount=allocate(credits))
    now = timezone.now()
    with connection.cursor() as c:
        _temp(c, "reval_deal", "deal_id bigint PRIMARY KEY, amount bigint")
        _temp(
            c,
            "reval_dealcredit",
            "deal_id bigint, seller_id bigint, kind text, amount bigint, "
            "PRIMARY KEY (deal_id, seller_id, kind)",
        )
        copy_rows("reval_deal", ["deal_id", "amount"], changed.select(deal_id="i", amount="new"))
        copy_rows(
            "reval_dealcredit",
            ["deal_id", "seller_id", "kind", "amount"],
            credits.select(deal_id="k", seller_id="seller_id", kind="kind", amount="amount"),
        )
        c.execute(
            "UPDATE pipeline_deal SET amount = r.amount, version = pipeline_deal.version + 1, "
            "updated_at = %s FROM reval_deal r WHERE pipeline_deal.workspace_id = %s "
            "AND pipeline_deal.id = r.deal_id",
            [now, ws],
        )
        c.execute(
            "UPDATE pipeline_dealcredit SET amount = r.amount FROM reval_dealcredit r "
            "WHERE pipeline_dealcredit.workspace_id = %s AND pipeline_dealcredit.deal_id = r.deal_id "
            "AND pipeline_dealcredit.seller_id = r.seller_id AND pipeline_dealcredit.kind = r.kind",
            [ws],
        )
        cols = ", ".join(_HISTORY)
        c.execute(
            f"INSERT INTO pipeline_dealchange (workspace_id, deal_id, changed_at, actor_id, {cols}) "  # noqa: S608
            f"SELECT %s, d.id, %s, %s, {', '.join('d.' + f for f in _HISTORY)} "
            "FROM pipeline_deal d JOIN reval_deal r ON r.deal_id = d.id "
            "WHERE d.workspace_id = %s ORDER BY d.id",
            [ws, now, actor.pk if actor else None, ws],
        )
        c.execute("SELECT DISTINCT seller_id FROM reval_dealcredit ORDER BY seller_id")
        sellers = [row[0] for row in c.fetchall()]
        for table in ("reval_deal", "reval_dealcredit"):
            c.execute(f"DROP TABLE {table}")
    rebuild_cells(ws, sellers)


def _temp(c: Any, table: str, columns: str) -> None:
    c.execute(f"DROP TABLE IF EXISTS {table}")
    c.execute(f"CREATE TEMP TABLE {table} ({columns})")

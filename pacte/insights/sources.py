"""Adapters to the other apps' figures: targets (planning), objectives, sales.

Every function returns aggregated rows keyed like the cube — tuples of the requested ``by``
keys (``seller``, ``unit``, ``channel`` ids) followed by the month index and the amount in
minor units — and returns nothing when the other app has no data yet.

Targets: the published run of the fiscal year (``planning.CascadeShare``, by seller, unit,
channel and month), cascaded or stated (a loaded sample's quotas); none without one.

Objectives: the agreed objective of each seller for the fiscal year, by month (and channel
when split), from ``objectives.ObjectiveCell`` (layer ``agreed``).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model, OuterRef, Subquery, Sum
from django.utils import timezone

from pacte.accounts.models import Workspace
from pacte.insights import cache
from pacte.objectives.models import CheckIn, ObjectiveCell
from pacte.objectives.references import published_run
from pacte.org.models import Placement
from pacte.planning.models import CascadeRun, CascadeShare
from pacte.sales.models import Credit

Row = tuple[Any, ...]

FIELDS = {"seller": "seller_id", "unit": "unit_id", "channel": "channel_id"}


def memo(workspace: Workspace) -> dict[Any, Any]:
    """A per-request memo hung on the workspace object (a new object per request)."""
    store = getattr(workspace, "_insights_memo", None)
    if store is None:
        store = {}
        workspace._insights_memo = store  # type: ignore[attr-defined]
    return store


def _published_run_id(workspace: Workspace, fiscal_year: int) -> int | None:
    store = memo(workspace)
    key = ("run", fiscal_year)
    if key in store:
        return store[key]
    # The run every page reads a seller's reference share from (objectives.references).
    run = published_run(workspace, fiscal_year)
    store[key] = run.pk if run is not None else None
    return store[key]


def plan_part(workspace: Workspace, fiscal_year: int) -> tuple[Any, ...]:
    """A cheap fingerprint of the targets and objectives of a fiscal year (two indexed
    queries, memoised per request)."""
    store = memo(workspace)
    key = ("plan_fp", fiscal_year)
    if key not in store:
        store[key] = (
            "plan",
            workspace.pk,
            fiscal_year,
            str(today()),
            *_run_fp(workspace, fiscal_year),
            *_counts_fp(workspace, fiscal_year),
        )
    return store[key]


def _run_fp(workspace: Workspace, fiscal_year: int) -> tuple[Any, ...]:
    run = (
        CascadeRun.objects.for_workspace(workspace)
        .filter(fiscal_year=fiscal_year, status="published")
        .values_list("pk", "version", "published_at")
        .first()
    )
    memo(workspace)[("run", fiscal_year)] = None if run is None else run[0]  # the same run
    return (None,) if run is None else (run[0], run[1], str(run[2]))


FINGERPRINTED: tuple[tuple[type[Model], bool], ...] = (
    (ObjectiveCell, True),  # of the fiscal year only
    (Placement, False),
)


def _counts_fp(workspace: Workspace, fiscal_year: int) -> tuple[Any, ...]:
    """Count and highest id of the objectives read model of the year and of the placements, in
    one statement of scalar subqueries: ``COUNT(*)`` and ``MAX(id)`` each on its own, so that
    both are answered from the workspace index (``COUNT(id), MAX(id)`` together make SQLite
    visit every row)."""
    parts: list[str] = []
    params: list[Any] = []
    for model, by_year in FINGERPRINTED:
        table = connection.ops.quote_name(model._meta.db_table)
        pk = connection.ops.quote_name(model._meta.pk.column or "id")
        where = "workspace_id = %s" + (" AND fiscal_year = %s" if by_year else "")
        args = [workspace.pk, fiscal_year] if by_year else [workspace.pk]
        parts.append(f"(SELECT COUNT(*) FROM {table} WHERE {where})")  # noqa: S608
        parts.append(f"(SELECT MAX({pk}) FROM {table} WHERE {where})")  # noqa: S608
        params += args + args
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return tuple(row)


def _filter(qs: Any, filters: dict[str, Any]) -> Any:
    if filters.get("unit_ids") is not None:
        qs = qs.filter(unit_id__in=filters["unit_ids"])
    if filters.get("seller_id") is not None:
        qs = qs.filter(seller_id=filters["seller_id"])
    if filters.get("channel_id") is not None:
        qs = qs.filter(channel_id=filters["channel_id"])
    return qs


def target_rows(
    workspace: Workspace,
    fiscal_year: int,
    months: range,
    by: Sequence[str],
    *,
    per_month: bool = True,
    **filters: Any,
) -> list[Row]:
    """Target (reference share) per ``by`` keys and month (``None`` when not ``per_month``)."""
    return _cached("target", _target_rows, workspace, fiscal_year, months, by, per_month, filters)


def _cached(
    name: str,
    compute: Any,
    workspace: Workspace,
    fiscal_year: int,
    months: range,
    by: Sequence[str],
    per_month: bool,
    filters: dict[str, Any],
) -> list[Row]:
    """Rows of a company or team read from the insights cache (one seller's: read directly)."""

    def run() -> list[Row]:
        return compute(workspace, fiscal_year, months, by, per_month=per_month, **filters)

    if filters.get("seller_id") is not None:
        return run()
    parts = (
        *plan_part(workspace, fiscal_year),
        name,
        months.start,
        months.stop,
        tuple(by),
        per_month,
        cache.filters_part(filters),
    )
    return cache.cached(parts, run)


def _target_rows(
    workspace: Workspace,
    fiscal_year: int,
    months: range,
    by: Sequence[str],
    *,
    per_month: bool = True,
    **filters: Any,
) -> list[Row]:
    run_id = _published_run_id(workspace, fiscal_year)
    if run_id is None:
        return []
    fields = [FIELDS[b] for b in by]
    qs = _filter(
        CascadeShare.objects.for_workspace(workspace).filter(
            run_id=run_id, month__gte=months.start, month__lt=months.stop
        ),
        filters,
    )
    group = [*fields, "month"] if per_month else fields
    if not group:
        total = qs.aggregate(total=Sum("amount"))["total"]
        return [(None, int(total))] if total is not None else []
    rows = qs.values(*group).annotate(total=Sum("amount")).order_by()
    return [(*(r[f] for f in fields), r.get("month"), int(r["total"] or 0)) for r in rows]


def _objective_cells(workspace: Workspace, fiscal_year: int, months: range) -> Any:
    placement = Placement.objects.filter(membership=OuterRef("seller_id")).on(today())
    return (
        ObjectiveCell.objects.for_workspace(workspace)
        .filter(
            fiscal_year=fiscal_year, layer="agreed", month__gte=months.start, month__lt=months.stop
        )
        .annotate(unit_id=Subquery(placement.values("unit_id")[:1]))
    )


def objective_rows(
    workspace: Workspace,
    fiscal_year: int,
    months: range,
    by: Sequence[str],
    *,
    per_month: bool = True,
    **filters: Any,
) -> list[Row]:
    """Agreed objectives per ``by`` keys and month (``objectives.ObjectiveCell``, agreed
    layer). A seller's objective counts in the team they are placed in today."""
    return _cached(
        "objective", _objective_rows, workspace, fiscal_year, months, by, per_month, filters
    )


def _objective_rows(
    workspace: Workspace,
    fiscal_year: int,
    months: range,
    by: Sequence[str],
    *,
    per_month: bool = True,
    **filters: Any,
) -> list[Row]:
    qs = _filter(_objective_cells(workspace, fiscal_year, months), filters)
    fields = [FIELDS[b] for b in by]
    group = [*fields, "month"] if per_month else fields
    if not group:
        total = qs.aggregate(total=Sum("amount"))["total"]
        return [(None, int(total))] if total is not None else []
    rows = qs.values(*group).annotate(total=Sum("amount")).order_by()
    return [(*(r[f] for f in fields), r.get("month"), int(r["total"] or 0)) for r in rows]


def recent_sales(workspace: Workspace, seller_id: int, limit: int = 10) -> list[dict[str, Any]]:
    """The seller's most recent credited sales (split and overlay), newest first."""
    rows = (
        Credit.objects.for_workspace(workspace)
        .filter(seller_id=seller_id)
        .select_related("sale", "sale__channel", "sale__customer")
        .order_by("-sale__date", "-sale_id")[:limit]
    )
    return [
        {
            "date": c.sale.date,
            "external_id": c.sale.external_id,
            "customer": c.sale.customer.name if c.sale.customer else "",
            "channel": c.sale.channel.label,
            "kind": c.kind,
            "kind_label": c.get_kind_display(),
            "amount": int(c.amount),
        }
        for c in rows
    ]


def check_ins(workspace: Workspace, seller_id: int, limit: int = 5) -> list[dict[str, Any]]:
    """The seller's latest plan check-ins (objectives app), newest first."""
    return [
        {"date": c.week, "confidence": c.confidence, "text": c.comment}
        for c in CheckIn.objects.for_workspace(workspace)
        .filter(objective__seller_id=seller_id)
        .only("week", "confidence", "comment")
        .order_by("-week")[:limit]
    ]


def today() -> datetime.date:
    return timezone.localdate()

"""Reads of targets and runs, scoped to the viewer's workspace and role."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet, Sum
from django.http import Http404

from pacte.accounts.access import get_scoped
from pacte.accounts.models import Membership
from pacte.org.models import Unit
from pacte.org.selectors import ancestor_ids, unit_of
from pacte.planning.models import (
    CascadeRun,
    CascadeRunQuerySet,
    CascadeShare,
    CompanyTarget,
    SellerExplanation,
)


def runs_for(viewer: Membership) -> CascadeRunQuerySet:
    return CascadeRun.objects.for_workspace(viewer.workspace)


def get_run_for(viewer: Membership, public_id: Any) -> CascadeRun:
    return get_scoped(runs_for(viewer).select_related("created_by", "base_run"), public_id)


def published_run(viewer: Membership, fiscal_year: int) -> CascadeRun | None:
    return runs_for(viewer).published().filter(fiscal_year=fiscal_year).first()


def company_target(viewer: Membership, fiscal_year: int) -> CompanyTarget | None:
    return CompanyTarget.objects.filter(workspace=viewer.workspace, fiscal_year=fiscal_year).first()


def leads_seller(viewer: Membership, unit_id: int | None) -> bool:
    """Whether ``viewer`` leads ``unit_id`` or one of the units above it."""
    if not viewer.is_lead or unit_id is None:
        return False
    unit = Unit.objects.filter(pk=unit_id, workspace=viewer.workspace).first()
    if unit is None:
        return False
    return Unit.objects.filter(pk__in=ancestor_ids(unit), lead=viewer).exists()


def can_see_seller(viewer: Membership, seller: Membership, unit_id: int | None = None) -> bool:
    """Seller figures: themself, their lead (any level above), executives and admins; other
    members only when the workspace's leaderboard is on."""
    if seller.workspace_id != viewer.workspace_id:
        return False
    if viewer.pk == seller.pk or viewer.sees_everything or viewer.workspace.leaderboard_enabled:
        return True
    if unit_id is None:
        unit = unit_of(seller)
        unit_id = unit.pk if unit else None
    return leads_seller(viewer, unit_id)


def get_seller_for(viewer: Membership, public_id: Any) -> Membership:
    """A seller whose figures the viewer may see, else 404."""
    seller = get_scoped(Membership.objects.for_workspace(viewer.workspace), public_id)
    if not can_see_seller(viewer, seller):
        raise Http404
    return seller


def explanation(run: CascadeRun, seller: Membership) -> SellerExplanation | None:
    return (
        SellerExplanation.objects.filter(workspace_id=run.workspace_id, run=run, seller=seller)
        .select_related("unit")
        .first()
    )


def filter_shares(
    qs: QuerySet[CascadeShare],
    *,
    months: range | None = None,
    unit_ids: list[int] | None = None,
    seller_id: int | None = None,
    channel_id: int | None = None,
) -> QuerySet[CascadeShare]:
    """The one definition of the share filters (API list and pages)."""
    if months is not None:
        qs = qs.filter(month__gte=months.start, month__lt=months.stop)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    if seller_id is not None:
        qs = qs.filter(seller_id=seller_id)
    if channel_id is not None:
        qs = qs.filter(channel_id=channel_id)
    return qs


def share_total(qs: QuerySet[CascadeShare]) -> int:
    return int(qs.aggregate(total=Sum("amount"))["total"] or 0)


def run_summary(run: CascadeRun, *, seller_limit: int | None = 500) -> dict[str, Any]:
    """A stored run in the shape of ``services.summarise`` (same templates), set-based."""
    from pacte.org.selectors import unit_depths
    from pacte.planning.labels import month_label
    from pacte.planning.models import UnitShare
    from pacte.planning.services import calendar_of

    ws = run.workspace
    depths = unit_depths(ws)
    unit_rows: Any = (
        UnitShare.objects.filter(workspace=ws, run=run)
        .values("unit_id", "unit__uuid", "unit__name", "unit__parent_id")
        .annotate(total=Sum("amount"))
    )
    by_parent: dict[int | None, list[dict[str, Any]]] = {}
    for row in unit_rows:
        by_parent.setdefault(row["unit__parent_id"], []).append(row)
    units: list[dict[str, Any]] = []
    stack = sorted(by_parent.get(None, []), key=lambda r: r["unit__name"], reverse=True)
    while stack:
        row = stack.pop()
        units.append(
            {
                "uuid": str(row["unit__uuid"]),
                "name": row["unit__name"],
                "depth": depths.get(row["unit_id"], 0),
                "amount": int(row["total"]),
            }
        )
        stack.extend(
            sorted(by_parent.get(row["unit_id"], []), key=lambda r: r["unit__name"], reverse=True)
        )
    root_id: Any = next((r["unit_id"] for r in by_parent.get(None, [])), None)
    first = calendar_of(ws).first_month_index(run.fiscal_year)
    month_totals: dict[int, int] = dict(
        UnitShare.objects.filter(workspace=ws, run=run, unit_id=root_id)
        .values_list("month")
        .annotate(total=Sum("amount"))
    )
    months = [
        {"month": m, "label": month_label(m), "amount": int(month_totals.get(m, 0))}
        for m in range(first, first + 12)
    ]
    channels = {
        code: int(total)
        for code, total in UnitShare.objects.filter(workspace=ws, run=run, unit_id=root_id)
        .values_list("channel__code")
        .annotate(total=Sum("amount"))
    }
    explanations = SellerExplanation.objects.filter(workspace=ws, run=run).order_by(
        "unit__name", "seller__name", "seller_id"
    )
    if seller_limit is not None:
        explanations = explanations[:seller_limit]
    sellers = [
        {
            "uuid": str(row["seller__uuid"]),
            "name": row["seller__name"],
            "unit": row["unit__name"],
            "amount": row["amount"],
            "bound": row["data"].get("bound", "none"),
            "held": row["data"].get("held", False),
            "excluded": row["data"].get("excluded", False),
        }
        for row in explanations.values(
            "seller__uuid", "seller__name", "unit__name", "amount", "data"
        )
    ]
    return {
        "year": f"FY{run.fiscal_year}",
        "total": run.total,
        "effective_from": run.effective_from,
        "units": units,
        "sellers": sellers,
        "seller_count": run.seller_count,
        "months": months,
        "channels": channels,
    }

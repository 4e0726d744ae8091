"""Reads of targets and runs, scoped to the viewer's workspace and role."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, Value, When

from pacte.accounts.access import get_scoped
from pacte.accounts.models import Membership
from pacte.planning.models import (
    CascadeRun,
    CascadeRunQuerySet,
    CascadeShare,
    CompanyTarget,
    RunStatus,
    SellerExplanation,
)


def runs_for(viewer: Membership) -> CascadeRunQuerySet:
    return CascadeRun.objects.for_workspace(viewer.workspace)


def get_run_for(viewer: Membership, public_id: Any) -> CascadeRun:
    return get_scoped(runs_for(viewer).select_related("created_by", "base_run"), public_id)


def published_run(viewer: Membership, fiscal_year: int) -> CascadeRun | None:
    return runs_for(viewer).published().filter(fiscal_year=fiscal_year).first()


def company_target(viewer: Membership, fiscal_year: int) -> CompanyTarget | None:
    return (
        CompanyTarget.objects.for_workspace(viewer.workspace)
        .filter(fiscal_year=fiscal_year)
        .first()
    )


@dataclass(frozen=True)
class TargetDrift:
    """The published run of a year against the company target as it is now.

    ``stale`` when a run is published and the amount it cascades is no longer the target's
    (the target changed after publication): the reference shares no longer add up to it.
    """

    target: CompanyTarget | None
    published: CascadeRun | None

    @property
    def stale(self) -> bool:
        return (
            self.target is not None
            and self.published is not None
            and self.published.total != self.target.amount
        )

    @property
    def difference(self) -> int:
        """Target minus what the published run cascades (0 when not stale)."""
        if not self.stale:
            return 0
        assert self.target is not None
        assert self.published is not None
        return self.target.amount - self.published.total


def target_drift(viewer: Membership, fiscal_year: int) -> TargetDrift:
    return TargetDrift(company_target(viewer, fiscal_year), published_run(viewer, fiscal_year))


def explanation(run: CascadeRun, seller: Membership) -> SellerExplanation | None:
    return (
        SellerExplanation.objects.for_workspace(run.workspace_id)
        .filter(run=run, seller=seller)
        .select_related("unit")
        .first()
    )


def levels_of(seller: Membership, fiscal_year: int) -> list[dict[str, Any]]:
    """The two levels of the seller's share in the published run of the year (who gave what
    to whom, from the company down): empty when the leads did not split it. One query."""
    found = (
        SellerExplanation.objects.for_workspace(seller.workspace_id)
        .filter(seller=seller, run__fiscal_year=fiscal_year, run__status=RunStatus.PUBLISHED)
        .values_list("data", flat=True)
        .first()
    )
    levels = found.get("levels") if isinstance(found, dict) else None
    return list(levels) if isinstance(levels, list) else []


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
    """A stored run in the shape of ``cascade.summarise`` (same templates), set-based."""
    from pacte.org.selectors import unit_depths
    from pacte.planning.labels import month_label
    from pacte.planning.models import UnitShare

    ws = run.workspace
    depths = unit_depths(ws)
    unit_rows: Any = (
        UnitShare.objects.for_workspace(ws)
        .filter(run=run)
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
    first = ws.calendar.first_month_index(run.fiscal_year)
    month_totals: dict[int, int] = dict(
        UnitShare.objects.for_workspace(ws)
        .filter(run=run, unit_id=root_id)
        .values_list("month")
        .annotate(total=Sum("amount"))
    )
    months = [
        {"month": m, "label": month_label(m), "amount": int(month_totals.get(m, 0))}
        for m in range(first, first + 12)
    ]
    channels = {
        code: int(total)
        for code, total in UnitShare.objects.for_workspace(ws)
        .filter(run=run, unit_id=root_id)
        .values_list("channel__code")
        .annotate(total=Sum("amount"))
    }
    explanations = (
        SellerExplanation.objects.for_workspace(ws)
        .filter(run=run)
        .order_by("unit__name", "seller__name", "seller_id")
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


@dataclass(frozen=True)
class SellerChange:
    uuid: str
    name: str
    before: int
    after: int

    @property
    def delta(self) -> int:
        return self.after - self.before


@dataclass(frozen=True)
class PublishDiff:
    """What publishing ``run`` changes compared with the year's published run (``reference``,
    None when nothing is published yet: every seller then gets a first reference share)."""

    run: CascadeRun
    reference: CascadeRun | None
    before_total: int
    after_total: int
    sellers: int  # sellers in either run
    raised: int  # sellers whose share goes up
    lowered: int  # sellers whose share goes down
    unchanged: int  # sellers whose share stays the same
    added: int  # sellers with no share in the reference
    removed: int  # sellers of the reference absent from the run
    largest_up: list[SellerChange] = field(default_factory=list)
    largest_down: list[SellerChange] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.raised + self.lowered

    @property
    def total_delta(self) -> int:
        return self.after_total - self.before_total


def publish_diff(run: CascadeRun, *, limit: int = 10) -> PublishDiff:
    """Per seller, the annual share in the published run of ``run``'s year and in ``run``:
    counts of sellers raised, lowered and unchanged, and the ``limit`` largest changes each
    way, computed in the database (grouped passes over the two runs' explanations, never a
    query per seller)."""
    reference = (
        CascadeRun.objects.for_workspace(run.workspace)
        .published()
        .filter(fiscal_year=run.fiscal_year)
        .exclude(pk=run.pk)
        .first()
    )
    ref_id = reference.pk if reference is not None else -1
    zero = Value(0, output_field=IntegerField())

    def per_seller(*group: str) -> Any:
        return (
            SellerExplanation.objects.for_workspace(run.workspace_id)
            .filter(run_id__in=[run.pk, ref_id])
            .values(*group)
            .annotate(
                before=Sum(Case(When(run_id=ref_id, then=F("amount")), default=zero)),
                after=Sum(Case(When(run_id=run.pk, then=F("amount")), default=zero)),
                in_before=Count("run_id", filter=Q(run_id=ref_id)),
                in_after=Count("run_id", filter=Q(run_id=run.pk)),
            )
            .annotate(delta=F("after") - F("before"))
        )

    counts = per_seller("seller_id").aggregate(
        sellers=Count("seller_id"),
        raised=Count("seller_id", filter=Q(delta__gt=0)),
        lowered=Count("seller_id", filter=Q(delta__lt=0)),
        added=Count("seller_id", filter=Q(in_before=0)),
        removed=Count("seller_id", filter=Q(in_after=0)),
    )
    named = per_seller("seller_id", "seller__uuid", "seller__name")

    def largest(qs: Any) -> list[SellerChange]:
        rows = qs.values_list("seller__uuid", "seller__name", "before", "after")[:limit]
        return [SellerChange(str(u), n, int(b), int(a)) for u, n, b, a in rows]

    sellers = int(counts["sellers"] or 0)
    raised, lowered = int(counts["raised"] or 0), int(counts["lowered"] or 0)
    return PublishDiff(
        run=run,
        reference=reference,
        before_total=reference.total if reference is not None else 0,
        after_total=run.total,
        sellers=sellers,
        raised=raised,
        lowered=lowered,
        unchanged=sellers - raised - lowered,
        added=int(counts["added"] or 0),
        removed=int(counts["removed"] or 0),
        largest_up=largest(named.filter(delta__gt=0).order_by("-delta", "seller__name")),
        largest_down=largest(named.filter(delta__lt=0).order_by("delta", "seller__name")),
    )

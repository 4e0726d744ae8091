"""Adapter to the other apps: reference shares (planning), handlers (org), actuals (sales cube).

Everything this app reads from elsewhere goes through here, in a few set-based queries.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Sum
from django.utils import timezone

from pacte.accounts.models import Membership, Workspace


def fy_months(workspace: Workspace, fy: int) -> range:
    first = workspace.calendar.first_month_index(fy)
    return range(first, first + 12)


@dataclass
class ReferenceShare:
    """A seller's reference share from the published cascade run of a fiscal year."""

    annual: int
    by_month: list[int]  # 12 amounts, fiscal month order
    by_channel: dict[str, int]  # channel code -> amount
    weight_share: float | None = None  # the cascade's weight share, if known
    upper: int | None = None  # the cascade's upper bound, if any
    held: bool = False  # the run fixed this seller's amount by hand
    excluded: bool = False  # the run left this seller out
    exists: bool = True
    #: The two levels when the teams' leads split the run (the company gave the team X, the
    #: lead gave the seller Y): ``planning.labels.level_sentences`` says them; empty otherwise.
    levels: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def none(cls) -> ReferenceShare:
        return cls(annual=0, by_month=[0] * 12, by_channel={}, exists=False)


def published_run(workspace: Workspace, fy: int) -> Any:
    from pacte.planning.models import CascadeRun

    return CascadeRun.objects.for_workspace(workspace).published().filter(fiscal_year=fy).first()


def references_for(
    workspace: Workspace, fy: int, seller_ids: Iterable[int] | None = None
) -> dict[int, ReferenceShare]:
    """Reference shares of many sellers at once (two queries): the one source of "the
    reference share of seller S" — the run published for the fiscal year now. The inbox, the
    proposal page, the reconciliation, "My objective", the delegation policy, gap rules and
    the API all read it here; an objective keeps the reference it was proposed against
    (``Objective.reference_amount``) only to say that it changed since."""
    from pacte.planning.models import CascadeShare, SellerExplanation

    run = published_run(workspace, fy)
    if run is None:
        return {}
    ids = None if seller_ids is None else list(seller_ids)
    months = fy_months(workspace, fy)
    qs = CascadeShare.objects.for_workspace(workspace).filter(run=run)
    if ids is not None:
        qs = qs.filter(seller_id__in=ids)
    out: dict[int, ReferenceShare] = {}
    rows = qs.values("seller_id", "month", "channel__code").annotate(total=Sum("amount"))
    for row in rows:
        ref = out.setdefault(
            row["seller_id"], ReferenceShare(annual=0, by_month=[0] * 12, by_channel={})
        )
        amount = int(row["total"] or 0)
        if row["month"] in months:
            ref.by_month[row["month"] - months.start] += amount
        ref.by_channel[row["channel__code"]] = ref.by_channel.get(row["channel__code"], 0) + amount
        ref.annual += amount
    explanations = SellerExplanation.objects.for_workspace(workspace).filter(run=run)
    if ids is not None:
        explanations = explanations.filter(seller_id__in=ids)
    for seller_id, data in explanations.values_list("seller_id", "data"):
        ref = out.setdefault(seller_id, ReferenceShare(annual=0, by_month=[0] * 12, by_channel={}))
        if isinstance(data, dict):
            ref.weight_share = data.get("weight_share")
            ref.upper = data.get("upper")
            ref.held = bool(data.get("held"))
            ref.excluded = bool(data.get("excluded"))
            ref.levels = list(data.get("levels") or [])
    return out


def reference_for(member: Membership, fy: int) -> ReferenceShare:
    return references_for(member.workspace, fy, [member.pk]).get(member.pk) or ReferenceShare.none()


def unit_targets(workspace: Workspace, fy: int, unit_id: int) -> list[dict[str, Any]]:
    """The unit's top-down target by month and channel code (its subtree rollup)."""
    from pacte.planning.models import UnitShare

    run = published_run(workspace, fy)
    if run is None:
        return []
    rows = (
        UnitShare.objects.for_workspace(workspace)
        .filter(run=run, unit_id=unit_id)
        .values("month", code=F("channel__code"))
        .annotate(total=Sum("amount"))
    )
    return [dict(row) for row in rows]


def company_target_amount(workspace: Workspace, fy: int) -> int | None:
    from pacte.planning.models import CompanyTarget

    target = CompanyTarget.objects.for_workspace(workspace).filter(fiscal_year=fy).first()
    return target.amount if target else None


@dataclass
class Actuals:
    annual: int = 0
    by_month: list[int] = field(default_factory=lambda: [0] * 12)
    by_channel: dict[str, int] = field(default_factory=dict)


def actuals_for(workspace: Workspace, fy: int, seller_ids: Iterable[int]) -> dict[int, Actuals]:
    """Actuals of a fiscal year per seller (split + overlay: the seller's own attainment)."""
    from pacte.sales.models import CubeCell

    months = fy_months(workspace, fy)
    rows = (
        CubeCell.objects.for_workspace(workspace)
        .filter(seller_id__in=list(seller_ids), month__gte=months.start, month__lt=months.stop)
        .values("seller_id", "month", code=F("channel__code"))
        .annotate(split=Sum("split_amount"), overlay=Sum("overlay_amount"))
    )
    out: dict[int, Actuals] = {}
    for row in rows:
        act = out.setdefault(row["seller_id"], Actuals())
        amount = int(row["split"] or 0) + int(row["overlay"] or 0)
        act.annual += amount
        act.by_month[row["month"] - months.start] += amount
        act.by_channel[row["code"]] = act.by_channel.get(row["code"], 0) + amount
    return out


def actuals_by_channel(
    workspace: Workspace, months: range, seller_ids: Iterable[int]
) -> dict[int, dict[str, int]]:
    """Each seller's actual (split + overlay) over ``months`` (month indexes) by channel code."""
    from pacte.sales.models import CubeCell

    rows = (
        CubeCell.objects.for_workspace(workspace)
        .filter(
            seller_id__in=list(seller_ids),
            month__gte=months.start,
            month__lt=months.stop,
        )
        .values("seller_id", code=F("channel__code"))
        .annotate(split=Sum("split_amount"), overlay=Sum("overlay_amount"))
    )
    out: dict[int, dict[str, int]] = {}
    for row in rows:
        by = out.setdefault(row["seller_id"], {})
        code = row["code"] or ""
        by[code] = by.get(code, 0) + int(row["split"] or 0) + int(row["overlay"] or 0)
    return out


def placed_units(
    workspace: Workspace, seller_ids: Iterable[int], day: datetime.date
) -> dict[int, int]:
    """Each seller's unit on ``day`` (their placement then)."""
    from pacte.org.models import Placement

    return dict(
        Placement.objects.on(day)
        .filter(workspace=workspace, membership_id__in=list(seller_ids))
        .values_list("membership_id", "unit_id")
    )


def handler_for(member: Membership, on: datetime.date | None = None) -> Membership | None:
    """The one person who handles ``member``'s exceptions (the organisation's delegation map)."""
    from pacte.org.structure import handler_for as org_handler_for

    return org_handler_for(member, on or timezone.localdate())


def sellers_under(
    workspace: Workspace, unit_id: int, day: datetime.date | None = None
) -> list[int]:
    """Pks of active sellers placed in the unit's subtree on ``day`` (two queries)."""
    from pacte.org.models import Placement, Unit
    from pacte.org.selectors import subtree_ids

    unit = Unit.objects.for_workspace(workspace).get(pk=unit_id)
    ids = subtree_ids(unit)
    return list(
        Placement.objects.for_workspace(workspace)
        .on(day or timezone.localdate())
        .filter(
            unit_id__in=ids,
            membership__is_active=True,
            membership__is_seller=True,
        )
        .values_list("membership_id", flat=True)
    )

"""Fixtures of the objectives tests: a published cascade built directly from planning rows."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pacte.accounts.models import Membership
from pacte.objectives import references
from pacte.testing.cast import Cast


def next_fy(cast: Cast) -> int:
    from django.utils import timezone

    return cast.workspace.calendar.year_of(timezone.localdate()) + 1


def publish(cast: Cast, fy: int, shares: dict[Membership, int]) -> None:
    """A published run giving each seller ``amount`` (phased evenly, one channel) and the
    units their rollups; the company target is the sum."""
    from pacte.lib.allocation import largest_remainder
    from pacte.org.models import Placement
    from pacte.planning.models import CascadeRun, CascadeShare, CompanyTarget, UnitShare

    ws = cast.workspace
    total = sum(shares.values())
    CompanyTarget.objects.update_or_create(workspace=ws, fiscal_year=fy, defaults={"amount": total})
    CascadeRun.objects.for_workspace(ws).filter(fiscal_year=fy).update(status="superseded")
    run = CascadeRun.objects.create(
        workspace=ws,
        fiscal_year=fy,
        number=CascadeRun.objects.for_workspace(ws).filter(fiscal_year=fy).count() + 1,
        status="published",
        method="equal",
        total=total,
    )
    months = references.fy_months(ws, fy)
    unit_of = dict(
        Placement.objects.filter(membership__in=list(shares), valid_to__isnull=True).values_list(
            "membership_id", "unit_id"
        )
    )
    rollup: dict[tuple[int, int], int] = {}
    rows = []
    for seller, amount in shares.items():
        unit_id = unit_of[seller.pk]
        for i, part in enumerate(largest_remainder(amount, [1] * 12)):
            rows.append(
                CascadeShare(
                    workspace=ws,
                    run=run,
                    seller=seller,
                    unit_id=unit_id,
                    channel=cast.channel,
                    month=months.start + i,
                    amount=int(part),
                )
            )
            for u in (unit_id, cast.company.pk):
                rollup[(u, months.start + i)] = rollup.get((u, months.start + i), 0) + int(part)
    CascadeShare.objects.bulk_create(rows)
    UnitShare.objects.bulk_create(
        [
            UnitShare(workspace=ws, run=run, unit_id=u, channel=cast.channel, month=m, amount=a)
            for (u, m), a in rollup.items()
        ]
    )


@pytest.fixture
def published(cast: Cast, fy: int) -> Callable[..., None]:
    """Seller and lead get a reference of 120 000.00, the other seller 60 000.00."""
    publish(
        cast,
        fy,
        {cast.seller: 120_000_00, cast.lead: 120_000_00, cast.other_seller: 60_000_00},
    )
    return lambda shares: publish(cast, fy, shares)


@pytest.fixture
def period(cast: Cast) -> tuple[int, int]:
    """The quarter that closed last, with a published run for its year: the seller and the lead
    are given 120 000.00 a year (30 000.00 a quarter), the other seller 60 000.00; the seller
    has an agreed objective of 40 000.00 in that quarter. Actuals: the seller 10 000.00, the
    lead 35 000.00 (above), the other seller 5 000.00."""
    from django.utils import timezone

    from pacte.objectives import reviews
    from pacte.objectives.models import Objective
    from pacte.sales.models import CubeCell

    ws = cast.workspace
    fy, q = reviews.last_closed_quarter(ws, timezone.localdate())
    publish(
        cast, fy, {cast.seller: 120_000_00, cast.lead: 120_000_00, cast.other_seller: 60_000_00}
    )
    cal = ws.calendar
    months = cal.quarter(fy, q).month_indexes
    first = cal.first_month_index(fy)
    phased = [10_000_00] * 12
    for i, m in enumerate(months):
        phased[m - first] = (13_333_34, 13_333_33, 13_333_33)[i]
    Objective.objects.create(
        workspace=ws,
        seller=cast.seller,
        fiscal_year=fy,
        status="agreed",
        amount=sum(phased),
        months=phased,
        channel_split={"field": 10_000},
    )
    for member, amount in (
        (cast.seller, 10_000_00),
        (cast.lead, 35_000_00),
        (cast.other_seller, 5_000_00),
    ):
        CubeCell.objects.create(
            workspace=ws,
            seller=member,
            unit=cast.team if member != cast.other_seller else cast.other_team,
            channel=cast.channel,
            month=months.start,
            split_amount=amount,
        )
    return fy, q

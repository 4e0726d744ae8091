"""Where maths meets storage: stored shares sum exactly to the target at every level."""

from __future__ import annotations

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacte.planning import runs, services
from pacte.planning.models import CascadeRun, CascadeShare, SellerExplanation, UnitShare
from pacte.sales.models import Channel, CubeCell
from pacte.testing.cast import next_fiscal_year


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    amount=st.integers(min_value=0, max_value=10**12),
    rounding=st.sampled_from([1, 100, 1000, 100_000]),
    method=st.sampled_from(["equal", "history", "capacity", "blended"]),
    history=st.lists(st.integers(min_value=1, max_value=10**9), min_size=3, max_size=3),
    phasing=st.sampled_from(["flat", "seasonal"]),
    two_channels=st.booleans(),
)
def test_stored_shares_sum_exactly_at_every_level(
    cast, amount, rounding, method, history, phasing, two_channels
) -> None:
    ws = cast.workspace
    ws.rounding_unit = rounding
    ws.save()
    fy = next_fiscal_year(cast)
    CascadeRun.objects.for_workspace(ws).delete()
    CubeCell.objects.for_workspace(ws).delete()
    if two_channels:
        Channel.objects.get_or_create(
            workspace=ws, code="web", defaults={"name_en": "Web", "name_fr": "Web"}
        )
    else:
        Channel.objects.for_workspace(ws).filter(code="web").delete()
    first = ws.calendar.first_month_index(fy)
    CubeCell.objects.bulk_create(
        CubeCell(
            workspace=ws,
            seller=member,
            unit=unit,
            channel=cast.channel,
            month=first - 1 - k,
            split_amount=value + k,
        )
        for (member, unit), value in zip(
            [
                (cast.seller, cast.team),
                (cast.lead, cast.team),
                (cast.other_seller, cast.other_team),
            ],
            history,
            strict=True,
        )
        for k in range(3)
    )
    services.set_company_target(workspace=ws, actor=None, fiscal_year=fy, amount=amount)
    params = {"method": method, "phasing": phasing}
    if method == "blended":
        params["mix"] = {"history": 2, "capacity": 1}
    run = runs.create_run(workspace=ws, actor=None, fiscal_year=fy, parameters=params)

    shares = CascadeShare.objects.filter(run=run)
    assert (shares.aggregate(t=Sum("amount"))["t"] or 0) == amount
    assert not shares.filter(amount__lt=0).exists()
    per_seller = dict(shares.values_list("seller").annotate(t=Sum("amount")))
    explained = dict(SellerExplanation.objects.filter(run=run).values_list("seller", "amount"))
    assert {k: v for k, v in explained.items() if v} == per_seller
    units = dict(UnitShare.objects.filter(run=run).values_list("unit").annotate(t=Sum("amount")))
    assert units.get(cast.company.pk, 0) == amount
    assert units.get(cast.team.pk, 0) == per_seller.get(cast.seller.pk, 0) + per_seller.get(
        cast.lead.pk, 0
    )
    assert units.get(cast.other_team.pk, 0) == per_seller.get(cast.other_seller.pk, 0)
    by_month = dict(
        UnitShare.objects.filter(run=run, unit=cast.company)
        .values_list("month")
        .annotate(t=Sum("amount"))
    )
    assert dict(shares.values_list("month").annotate(t=Sum("amount"))) == by_month


@pytest.mark.django_db
def test_a_stored_run_is_unique_per_cell_in_seller_order_and_summarised(cast) -> None:
    from django.db import connection

    fy = next_fiscal_year(cast)
    services.set_company_target(workspace=cast.workspace, actor=None, fiscal_year=fy, amount=12_345)
    run = runs.create_run(
        workspace=cast.workspace, actor=None, fiscal_year=fy, parameters={"method": "equal"}
    )
    rows = list(CascadeShare.objects.filter(run=run).values_list("seller", "channel", "month"))
    assert len(rows) == len(set(rows))  # one row per cell, by construction (no b-tree on PG)
    with connection.cursor() as c:
        if connection.vendor == "postgresql":
            # written sorted by seller, every block range already summarised for the BRIN
            c.execute(
                "SELECT seller_id FROM planning_cascadeshare WHERE run_id = %s ORDER BY ctid",
                [run.pk],
            )
            sellers = [r[0] for r in c.fetchall()]
            assert sellers == sorted(sellers)
            c.execute("SELECT brin_summarize_new_values('cascadeshare_brin')")
            assert c.fetchone()[0] == 0
    seller = CascadeShare.objects.filter(run=run, seller=cast.seller)
    assert seller.aggregate(t=Sum("amount"))["t"] == sum(
        a
        for s, a in CascadeShare.objects.filter(run=run).values_list("seller", "amount")
        if s == cast.seller.pk
    )

"""The executive's forecast page reads pre-aggregated figures: team sums of the pipeline cells,
the latest call of each seller, the company totals and run-rate cached per cube version."""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pacte.accounts.models import Workspace
from pacte.org.services import move_member
from pacte.pipeline import selectors, services
from pacte.pipeline.cells import rebuild_cells
from pacte.pipeline.models import Call, CreditKind, Deal, PipelineCell, TeamPipelineCell
from pacte.pipeline.tests.helpers import load, quarter, row
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db


def _sums(cast: Cast) -> tuple[dict[tuple, list[int]], dict[tuple, list[int]]]:
    """(team sums as stored, split cells summed per team) keyed by (unit, channel, month,
    category)."""
    stored = {
        (c.unit_id, c.channel_id, c.month, c.category): [c.deals, c.amount, c.weighted]
        for c in TeamPipelineCell.objects.for_workspace(cast.workspace)
    }
    expected: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for c in PipelineCell.objects.for_workspace(cast.workspace).filter(kind=CreditKind.SPLIT):
        acc = expected[(c.unit_id, c.channel_id, c.month, c.category)]
        acc[0] += c.deals
        acc[1] += c.amount
        acc[2] += c.weighted
    return stored, dict(expected)


def test_team_cells_are_the_split_cells_summed_after_every_write(cast: Cast) -> None:
    load(
        cast,
        [
            row(cast.seller, "A", amount="1000.00", category="commit"),
            row(cast.lead, "B", amount="250.50", probability="20"),
            row(cast.other_seller, "C", amount="999.99", category="best_case"),
            row(
                cast.seller,
                "D",
                amount="10.00",
                split=f"{cast.seller.email}:60;{cast.other_seller.email}:40",
            ),
        ],
    )
    stored, expected = _sums(cast)
    assert stored == expected
    assert {k[0] for k in stored} == {cast.team.pk, cast.other_team.pk}
    deal = Deal.objects.for_workspace(cast.workspace).get(external_id="C")
    services.update_deal(deal=deal, actor=cast.admin, version=None, category="commit")
    stored, expected = _sums(cast)
    assert stored == expected
    south = [v for k, v in stored.items() if k[0] == cast.other_team.pk and k[3] == "commit"]
    assert sum(v[1] for v in south) >= 99_999


def test_team_cells_follow_a_seller_moved_to_another_team(cast: Cast) -> None:
    load(cast, [row(cast.seller, "A", amount="1000.00")])
    assert {c.unit_id for c in TeamPipelineCell.objects.for_workspace(cast.workspace)} == {
        cast.team.pk
    }
    move_member(member=cast.seller, actor=None, unit=cast.other_team)
    rebuild_cells(cast.workspace, [cast.seller.pk])
    stored, expected = _sums(cast)
    assert stored == expected
    assert {k[0] for k in stored} == {cast.other_team.pk}


def test_the_company_sums_each_sellers_latest_call_only(cast: Cast) -> None:
    period = quarter(cast)
    first, last = period.bounds
    key = period.key
    # out of order: the later week first, then an earlier one; the later stays the latest
    services.set_call(
        actor=cast.seller,
        seller=cast.seller,
        period_key=key,
        commit=30_000,
        best_case=40_000,
        today=last,
    )
    services.set_call(
        actor=cast.seller,
        seller=cast.seller,
        period_key=key,
        commit=10_000,
        best_case=20_000,
        today=first,
    )
    services.set_call(
        actor=cast.lead,
        seller=cast.lead,
        period_key=key,
        commit=5_000,
        best_case=5_000,
        today=first,
    )
    latest = Call.objects.for_workspace(cast.workspace).filter(latest=True)
    assert sorted(latest.values_list("commit", flat=True)) == [5_000, 30_000]
    data = selectors.company_forecast(cast.executive, period)
    north = next(r for r in data["teams"] if r.unit.pk == cast.team.pk)
    assert (north.seller_commit, north.seller_best_case, north.sellers) == (35_000, 45_000, 2)
    stale_week = services.week_of(first) < services.week_of(timezone.localdate())
    assert north.not_updated == int(stale_week)
    assert data["seller_commit"] == 35_000


def test_the_team_call_shown_is_its_latest_week(cast: Cast) -> None:
    period = quarter(cast)
    first, last = period.bounds
    services.set_call(
        actor=cast.seller,
        seller=cast.seller,
        period_key=period.key,
        commit=10_000,
        best_case=10_000,
        today=first,
    )
    for day, amount in ((last, 700), (first, 300)):
        services.adjust_team_call(
            actor=cast.lead,
            unit=cast.team,
            period_key=period.key,
            adjustment=amount,
            note="n",
            today=day,
        )
    data = selectors.company_forecast(cast.executive, period)
    north = next(r for r in data["teams"] if r.unit.pk == cast.team.pk)
    assert north.call is not None
    assert north.call.adjustment == 700


def _count(cast: Cast, client) -> int:  # type: ignore[no-untyped-def]
    """Queries of the page on a warm cache (the totals and run-rate cached)."""
    client.get("/forecast/company/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/forecast/company/").status_code == 200
    return len(queries)


def test_the_page_reads_as_many_queries_whatever_the_deals(cast: Cast, client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(cast.executive.user)
    load(cast, [row(cast.seller, "A")])
    services.set_call(
        actor=cast.seller, seller=cast.seller, period_key=quarter(cast).key, commit=1, best_case=1
    )
    few = _count(cast, client)
    load(
        cast,
        [
            row(s, f"M{i}-{s.pk}")
            for i in range(20)
            for s in (cast.seller, cast.lead, cast.other_seller)
        ],
        source="more",
    )
    for s in (cast.lead, cast.other_seller):
        services.set_call(actor=s, seller=s, period_key=quarter(cast).key, commit=1, best_case=1)
    assert _count(cast, client) == few


def test_run_rate_and_totals_are_computed_once_per_cube_version(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pacte.insights import monthly

    built: list[int] = []
    real = monthly.build_frame

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(monthly, "build_frame", counting)
    period = quarter(cast)
    first = selectors.run_rate(cast.executive, period)
    assert selectors.run_rate(cast.executive, period) == first
    totals = selectors.company_totals(cast.workspace, period)
    assert len(built) == 1
    Workspace.objects.filter(pk=cast.workspace.pk).update(cube_version=F("cube_version") + 1)
    cast.executive.workspace.refresh_from_db()
    selectors.run_rate(cast.executive, period)
    assert len(built) == 2
    assert selectors.company_totals(cast.executive.workspace, period) == totals


def test_a_sale_changes_the_cached_company_actual(cast: Cast) -> None:
    from pacte.sales.models import CubeCell

    period = quarter(cast)
    assert selectors.company_totals(cast.workspace, period) == (0, 0)
    month = period.month_indexes.start
    CubeCell.objects.create(
        workspace=cast.workspace,
        seller=cast.seller,
        unit=cast.team,
        channel=cast.channel,
        month=month,
        split_amount=12_345,
        overlay_amount=0,
    )
    Workspace.objects.filter(pk=cast.workspace.pk).update(cube_version=F("cube_version") + 1)
    cast.workspace.refresh_from_db()
    assert selectors.company_totals(cast.workspace, period) == (0, 12_345)

"""Period close: frozen actuals, the late-sale policy hook, admin-only, audited."""

from __future__ import annotations

import pytest
from django.test import Client

from pacte.audit.models import AuditEvent
from pacte.errors import DomainError
from pacte.insights import dashboard, periods, selectors, services
from pacte.insights.models import ActualSnapshot, TeamSnapshot
from pacte.lib.fiscal import Month
from pacte.sales.models import CubeCell, TeamCell


@pytest.mark.django_db
def test_closed_month_figures_no_longer_move(sales, quotas):
    march = Month(2026, 3).index
    services.close_month(workspace=sales.workspace, actor=sales.admin, month=march)
    assert ActualSnapshot.objects.for_workspace(sales.workspace).filter(month=march).count() == 3
    CubeCell.objects.for_workspace(sales.workspace).filter(month=march).update(split_amount=1)
    TeamCell.objects.for_workspace(sales.workspace).filter(month=march).update(split_amount=1)
    choice = periods.resolve_period(sales.workspace, "FY2026-M03")
    data = dashboard.overview(sales.executive, choice)
    assert data["summary"][0]["actual"] == 1200_00 + 400_00 + 2000_00
    assert AuditEvent.objects.filter(action="period.closed").exists()
    services.reopen_month(workspace=sales.workspace, actor=sales.admin, month=march)
    data = dashboard.overview(
        sales.executive, periods.resolve_period(sales.workspace, "FY2026-M03")
    )
    assert data["summary"][0]["actual"] == 2  # the two teams' roll-up cells, as tampered


@pytest.mark.django_db
def test_a_close_freezes_the_team_roll_up_and_a_reopen_drops_it(sales):
    march = Month(2026, 3).index
    services.close_month(workspace=sales.workspace, actor=sales.admin, month=march)
    frozen = {
        (t.unit_id, t.channel_id): (t.split_amount, t.overlay_amount, t.sale_count)
        for t in TeamSnapshot.objects.for_workspace(sales.workspace).filter(month=march)
    }
    summed: dict = {}
    for a in ActualSnapshot.objects.for_workspace(sales.workspace).filter(month=march):
        sp, ov, n = summed.get((a.unit_id, a.channel_id), (0, 0, 0))
        summed[(a.unit_id, a.channel_id)] = (
            sp + a.split_amount,
            ov + a.overlay_amount,
            n + a.sale_count,
        )
    assert frozen == summed
    assert frozen[(sales.team.pk, sales.channel.pk)] == (1200_00 + 400_00, 100_00, 2)
    services.reopen_month(workspace=sales.workspace, actor=sales.admin, month=march)
    assert not TeamSnapshot.objects.for_workspace(sales.workspace).exists()


@pytest.mark.django_db
def test_closing_twice_or_a_month_not_over_is_refused(cast):
    services.close_month(workspace=cast.workspace, actor=cast.admin, month=Month(2026, 1).index)
    with pytest.raises(DomainError) as exc:
        services.close_month(workspace=cast.workspace, actor=cast.admin, month=Month(2026, 1).index)
    assert exc.value.code == "already_closed"
    with pytest.raises(DomainError) as exc:
        services.close_month(workspace=cast.workspace, actor=cast.admin, month=Month(2026, 5).index)
    assert exc.value.code == "month_not_over"


@pytest.mark.django_db
def test_policy_hook_for_the_sales_import(cast):
    services.close_month(workspace=cast.workspace, actor=cast.admin, month=Month(2026, 1).index)
    services.close_month(workspace=cast.workspace, actor=cast.admin, month=Month(2026, 2).index)
    closed, policy = selectors.closed_month_policy(cast.workspace)
    assert closed == {Month(2026, 1).index, Month(2026, 2).index}
    assert policy == "refuse"
    assert selectors.is_month_closed(cast.workspace, Month(2026, 2).index)
    services.update_settings(
        workspace=cast.workspace, actor=cast.admin, late_sale_policy="next_open"
    )
    assert selectors.closed_month_policy(cast.workspace)[1] == "next_open"
    assert selectors.next_open_month(closed, Month(2026, 1).index) == Month(2026, 3).index


@pytest.mark.django_db
def test_close_page_and_api_for_admins_only(cast, login):
    client = login(cast.admin)
    assert client.get("/insights/close/").status_code == 200
    r = client.post("/insights/close/", {"month": "2026-02", "action": "close"})
    assert r.status_code == 302
    assert selectors.is_month_closed(cast.workspace, Month(2026, 2).index)
    r = client.post("/insights/close/", {"month": "2026-13", "action": "close"})
    assert r.status_code == 400
    assert login(cast.seller).get("/insights/close/").status_code == 403
    api = Client(HTTP_AUTHORIZATION=f"Bearer {cast.token(cast.admin)}")
    r = api.post(
        "/api/v1/insights/closed-months", {"month": "2026-02"}, content_type="application/json"
    )
    assert r.status_code == 400
    assert r.json()["code"] == "already_closed"
    assert api.delete("/api/v1/insights/closed-months/2026-02").status_code == 204


@pytest.mark.django_db
def test_a_change_to_the_cube_rereads_only_the_open_months(sales, quotas, cell, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pacte.accounts.models import Workspace

    for m in (1, 2, 3):
        services.close_month(
            workspace=sales.workspace, actor=sales.admin, month=Month(2026, m).index
        )
    client = login(sales.executive)
    before = client.get("/insights/?period=FY2026").context["data"]["summary"][3]["actual"]
    team = f"/insights/teams/{sales.team.uuid}/?period=FY2026"
    sam = {r["name"]: r for r in client.get(team).context["data"]["sellers"]["rows"]}["Sam Seller"]
    # a late correction reaches the cube of a closed month (frozen: not counted) and a new
    # sale an open one; each bumps the cube version as the sales app does
    for model in (CubeCell, TeamCell):  # the cube and its team roll-up (two team cells)
        model.objects.for_workspace(sales.workspace).filter(month=Month(2026, 2).index).update(
            split_amount=1
        )
    cell(sales.seller, 2026, 6, 700_00)
    Workspace.objects.filter(pk=sales.workspace.pk).update(cube_version=999)
    with CaptureQueriesContext(connection) as queries:
        data = client.get("/insights/?period=FY2026").context["data"]
        rows = client.get(team).context["data"]["sellers"]["rows"]
    assert data["summary"][3]["actual"] == before + 700_00
    assert {r["name"]: r for r in rows}["Sam Seller"]["actual"] == sam["actual"] + 700_00
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "sales_cubecell" in sql
    assert "insights_actualsnapshot" not in sql  # the frozen months stayed cached
    assert "insights_teamsnapshot" not in sql
    ranking = data["ranking"]
    assert ranking["behind"] or ranking["ahead"]
    # reopening a month makes the cube count again at once
    services.reopen_month(workspace=sales.workspace, actor=sales.admin, month=Month(2026, 2).index)
    after = client.get("/insights/?period=FY2026").context["data"]["summary"][3]["actual"]
    assert after == before + 700_00 - (1200_00 + 400_00 + 2000_00) + 2

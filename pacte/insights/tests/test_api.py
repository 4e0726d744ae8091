"""Insights API: figures for BI tools, filters, and clear errors on bad input."""

from __future__ import annotations

import pytest
from django.test import Client

from pacte.testing.clients import api_client_for


def _get(cast, member, path):
    return api_client_for(member).get(path)


@pytest.mark.django_db
def test_summary_of_company_team_seller_and_channel(sales, quotas):
    r = _get(sales, sales.executive, "/api/v1/insights/summary?period=FY2026")
    assert r.status_code == 200
    body = r.json()
    assert body["scope"] == "company"
    assert [p["period"] for p in body["periods"]] == [
        "month",
        "quarter",
        "ytd",
        "year",
    ]
    assert body["periods"][3]["target"] == 42000_00
    r = _get(
        sales, sales.executive, f"/api/v1/insights/summary?period=FY2026&team={sales.team.uuid}"
    )
    assert r.json()["scope"] == "team"
    r = _get(
        sales, sales.executive, f"/api/v1/insights/summary?period=FY2026&seller={sales.seller.uuid}"
    )
    assert r.json()["periods"][2]["actual"] == 5 * 1300_00
    r = _get(
        sales,
        sales.executive,
        f"/api/v1/insights/summary?period=FY2026&channel={sales.channel.uuid}",
    )
    assert r.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("by", ["team", "seller", "channel", "month"])
def test_attainment_rows_by_group(sales, quotas, by):
    r = _get(sales, sales.executive, f"/api/v1/insights/attainment?period=FY2026-Q1&by={by}")
    assert r.status_code == 200
    items = r.json()["items"]
    assert items
    assert all("attainment_target" in i for i in items)


@pytest.mark.django_db
def test_seller_cannot_read_other_sellers_through_the_api(sales, quotas):
    r = _get(sales, sales.seller, f"/api/v1/insights/summary?seller={sales.other_seller.uuid}")
    assert r.status_code == 404
    assert r.json()["code"] == "unknown_seller"
    r = _get(sales, sales.seller, "/api/v1/insights/attainment?by=seller&period=FY2026")
    assert [i["name"] for i in r.json()["items"]] == ["Sam Seller"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("period=2026", 400, "invalid_period"),
        ("period=FY2026-Q9", 400, "invalid_period"),
        ("team=nope", 400, "invalid_team"),
        ("team=00000000-0000-0000-0000-000000000000", 404, "unknown_team"),
        ("seller=00000000-0000-0000-0000-000000000000", 404, "unknown_seller"),
        ("channel=00000000-0000-0000-0000-000000000000", 404, "unknown_channel"),
    ],
)
def test_unknown_filters_are_clear_errors(cast, query, status, code):
    r = _get(cast, cast.executive, f"/api/v1/insights/summary?{query}")
    assert r.status_code == status
    assert r.json()["code"] == code
    assert r.json()["message"]


@pytest.mark.django_db
def test_other_workspace_team_is_unknown(cast):
    r = _get(cast, cast.outsider, f"/api/v1/insights/summary?team={cast.team.uuid}")
    assert r.status_code == 404


@pytest.mark.django_db
def test_heatmap_ranking_what_if_and_judgment(sales, quotas):
    token = sales.token(sales.seller)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert _get(sales, sales.executive, "/api/v1/insights/heatmap?period=FY2026").json()[
        "rows"
    ] == ["North", "South"]
    assert _get(sales, sales.executive, "/api/v1/insights/ranking?period=FY2026").status_code == 200
    r = client.post(
        "/api/v1/insights/what-if",
        {"seller": str(sales.seller.uuid), "amount": 1000_00, "month": 8, "period": "FY2026"},
        content_type="application/json",
    )
    assert r.status_code == 200
    assert r.json()["after"]["actual"] == r.json()["before"]["actual"] + 1000_00
    r = client.put(
        "/api/v1/insights/judgment",
        {"period": "FY2026", "committed": 20000_00, "best_case": 10000_00},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert r.json()["code"] == "best_case_below_committed"
    r = client.put(
        "/api/v1/insights/judgment",
        {"period": "FY2026", "committed": 10000_00, "best_case": 20000_00},
        content_type="application/json",
    )
    assert r.status_code == 200
    assert r.json()["version"] == 1
    r = client.put(
        "/api/v1/insights/judgment",
        {"period": "FY2026", "committed": 1, "version": 7},
        content_type="application/json",
    )
    assert r.status_code == 412


@pytest.mark.django_db
def test_api_query_count_is_pinned(sales, quotas, django_assert_max_num_queries):
    token = sales.token(sales.executive)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    with django_assert_max_num_queries(30):
        assert client.get("/api/v1/insights/summary?period=FY2026").status_code == 200

"""Targets API: calendar, company target, preview, runs, publish, compare, explain, shares."""

from __future__ import annotations

import io

from django.test import Client

from pacte.planning.models import CascadeRun, CascadeShare, CompanyTarget


def _json(client: Client, method: str, url: str, body: object = None):
    import json

    return client.generic(
        method,
        url,
        data=json.dumps(body) if body is not None else b"",
        content_type="application/json",
    )


def test_calendar_lists_periods_and_rejects_unknown_keys(cast, fy, api_client) -> None:
    client = api_client(cast.seller)
    data = client.get(f"/api/v1/targets/calendar?year=FY{fy}").json()
    assert [p["key"] for p in data["periods"]][:2] == [f"FY{fy}", f"FY{fy}-Q1"]
    assert len(data["periods"]) == 17
    bad = client.get("/api/v1/targets/calendar?year=FY2027-Q9")
    assert bad.status_code == 400
    assert bad.json()["code"] == "bad_period"
    assert bad.json()["field"] == "year"


def test_target_set_and_get(cast, fy, api_client) -> None:
    client = api_client(cast.executive)
    r = _json(client, "PUT", "/api/v1/targets/company-target", {"year": f"FY{fy}", "amount": 500})
    assert r.status_code == 200, r.content
    assert r.json()["version"] == 1
    r = _json(
        client,
        "PUT",
        "/api/v1/targets/company-target",
        {"year": f"FY{fy}", "amount": 700, "version": 5},
    )
    assert r.status_code == 412
    assert client.get(f"/api/v1/targets/company-target?year=FY{fy}").json()["amount"] == 500


def test_target_refuses_negative_and_non_numeric(cast, fy, api_client) -> None:
    client = api_client(cast.executive)
    for bad in (-1, "ten", None):
        r = _json(
            client, "PUT", "/api/v1/targets/company-target", {"year": f"FY{fy}", "amount": bad}
        )
        assert r.status_code == 422, (bad, r.content)
        assert r.json()["field"] == "amount"
    assert not CompanyTarget.objects.exists()


def test_preview_stores_nothing(cast, fy, target, api_client) -> None:
    client = api_client(cast.executive)
    r = _json(client, "POST", "/api/v1/targets/preview", {"year": f"FY{fy}"})
    assert r.status_code == 200, r.content
    data = r.json()
    assert data["total"] == target.amount
    assert sum(s["amount"] for s in data["sellers"]) == target.amount
    assert sum(m["amount"] for m in data["months"]) == target.amount
    assert not CascadeRun.objects.exists()


def test_all_weights_zero_is_a_clear_400(cast, fy, target, api_client) -> None:
    client = api_client(cast.executive)
    r = _json(
        client,
        "POST",
        "/api/v1/targets/runs",
        {"year": f"FY{fy}", "method": "blended", "mix": {"history": 0, "potential": 0}},
    )
    assert r.status_code == 400
    assert r.json()["code"] == "weights_zero"
    assert not CascadeRun.objects.exists()


def test_create_publish_compare_explain_and_shares(cast, fy, target, api_client) -> None:
    client = api_client(cast.executive)
    r = _json(client, "POST", "/api/v1/targets/runs", {"year": f"FY{fy}"})
    assert r.status_code == 201, r.content
    a = r.json()
    assert a["status"] == "draft"
    r = _json(client, "POST", f"/api/v1/targets/runs/{a['uuid']}/publish", {"version": 1})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "published"
    r = _json(
        client,
        "POST",
        "/api/v1/targets/runs",
        {"year": f"FY{fy}", "effective_from": 7, "exclusions": [str(cast.other_seller.uuid)]},
    )
    assert r.status_code == 201, r.content
    b = r.json()
    cmp = client.get(f"/api/v1/targets/runs/{a['uuid']}/compare/{b['uuid']}").json()
    assert sum(row["delta"] for row in cmp["rows"]) == 0
    olga = next(row for row in cmp["rows"] if row["seller_name"] == "Olga Other")
    assert olga["delta"] < 0
    assert "excluded" in olga["reasons"]

    seller_client = api_client(cast.seller)
    exp = seller_client.get(f"/api/v1/targets/runs/{a['uuid']}/explain/{cast.seller.uuid}")
    assert exp.status_code == 200
    assert exp.json()["explanation"]["method"] == "equal"
    other = seller_client.get(f"/api/v1/targets/runs/{a['uuid']}/explain/{cast.other_seller.uuid}")
    assert other.status_code == 404

    q2 = client.get(f"/api/v1/targets/shares?period=FY{fy}-Q2&limit=1000").json()
    total_q2 = sum(row["amount"] for row in q2["items"])
    months = cast.workspace.calendar.parse_period(f"FY{fy}-Q2").month_indexes
    assert {row["period"] for row in q2["items"]} == {f"FY{fy}-M04", f"FY{fy}-M05", f"FY{fy}-M06"}
    assert total_q2 == sum(
        CascadeShare.objects.filter(
            run__uuid=a["uuid"], month__gte=months.start, month__lt=months.stop
        ).values_list("amount", flat=True)
    )
    assert total_q2 > 0
    mine = seller_client.get(f"/api/v1/targets/shares?period=FY{fy}&limit=1000").json()
    assert {row["seller"] for row in mine["items"]} == {str(cast.seller.uuid)}
    year_total = client.get(
        f"/api/v1/targets/shares?period=FY{fy}&unit={cast.company.uuid}&limit=1000"
    ).json()
    assert sum(row["amount"] for row in year_total["items"]) == target.amount


def test_shares_reject_unknown_period_and_channel(cast, fy, api_client) -> None:
    client = api_client(cast.executive)
    r = client.get("/api/v1/targets/shares?period=Q2-2027")
    assert r.status_code == 400
    assert r.json()["code"] == "bad_period"
    r = client.get(f"/api/v1/targets/shares?period=FY{fy}&channel=nope")
    assert r.status_code == 400
    assert r.json()["field"] == "channel"


def test_potential_import_names_unknown_sellers_with_lines(cast, fy, api_client) -> None:
    client = api_client(cast.admin)
    data = b"seller,potential\nseller@acme.example,100\nghost@acme.example,50\n"
    r = client.post(
        f"/api/v1/targets/potential/import?year=FY{fy}",
        {"file": io.BytesIO(data)},
    )
    body = r.json()
    assert body["ok"] is False
    assert body["errors"][0]["line"] == 3
    assert "ghost@acme.example" in body["errors"][0]["message"]


def test_capacity_set(cast, api_client) -> None:
    client = api_client(cast.admin)
    r = _json(
        client,
        "PUT",
        f"/api/v1/targets/capacity/{cast.seller.uuid}",
        {"fte": "0.8", "leaves": [{"start": "2030-01-01", "end": "2030-01-10"}]},
    )
    assert r.status_code == 200, r.content
    assert r.json()["fte"] == "0.80"
    r = _json(client, "PUT", f"/api/v1/targets/capacity/{cast.seller.uuid}", {"fte": 2})
    assert r.status_code == 400

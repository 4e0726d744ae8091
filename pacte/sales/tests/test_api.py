"""The sales API: bulk ingestion (JSON / JSON lines), sales list, channels, rules, imports."""

from __future__ import annotations

import json

import pytest

from pacte.sales.models import Sale

pytestmark = pytest.mark.django_db


SALE = {
    "external_id": "API-1",
    "date": "2026-03-01",
    "amount": 1234.56,
    "channel": "field",
    "split": "seller@acme.example:50;other@acme.example:50",
}


def test_json_array_ingestion_is_exact_and_idempotent(cast, channels, api_client):
    client = api_client(cast.admin)
    body = json.dumps([SALE])
    r = client.post("/api/v1/sales/sales/ingest", body, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "done"
    assert r.json()["created"] == 1
    assert Sale.objects.get().amount == 123456  # the number's text, never a float
    r = client.post("/api/v1/sales/sales/ingest", body, content_type="application/json")
    assert (r.json()["created"], r.json()["unchanged"]) == (0, 1)


def test_json_lines_report_per_row_errors_and_write_nothing(cast, channels, api_client):
    client = api_client(cast.admin)
    lines = "\n".join(
        [
            json.dumps(SALE),
            json.dumps({**SALE, "external_id": "API-2", "date": "2026-02-30"}),
            json.dumps({**SALE, "external_id": "API-3", "colour": "blue"}),
        ]
    )
    r = client.post("/api/v1/sales/sales/ingest", lines, content_type="application/x-ndjson")
    data = r.json()
    assert data["status"] == "failed"
    assert [(e["line"], e["code"]) for e in data["errors"]] == [
        (2, "date_nonexistent"),
        (3, "column_unexpected"),
    ]
    assert not Sale.objects.exists()


def test_bad_json_is_a_clear_400(cast, channels, api_client):
    client = api_client(cast.admin)
    r = client.post("/api/v1/sales/sales/ingest", "{nope", content_type="application/json")
    assert r.status_code == 400
    assert r.json()["code"] == "bad_json"


def test_sales_list_shows_credits_and_sellers_see_only_theirs(
    cast,
    channels,
    django_assert_max_num_queries,
    api_client,
):
    client = api_client(cast.admin)
    records = [{**SALE, "external_id": f"L{i}"} for i in range(30)]
    records.append({**SALE, "external_id": "OTHER", "split": None, "seller": "other@acme.example"})
    client.post("/api/v1/sales/sales/ingest", json.dumps(records), content_type="application/json")
    with django_assert_max_num_queries(8):
        r = client.get("/api/v1/sales/sales?limit=50")
    assert r.json()["count"] == 31
    first = next(i for i in r.json()["items"] if i["external_id"] == "L0")
    assert len(first["credits"]) == 2
    seller_client = api_client(cast.seller)
    r = seller_client.get("/api/v1/sales/sales")
    assert r.json()["count"] == 30


def test_rules_crud_is_versioned(cast, channels, api_client):
    client = api_client(cast.admin)
    r = client.post(
        "/api/v1/sales/rules",
        json.dumps({"channel": str(channels["e-commerce"].uuid), "owner": str(cast.seller.uuid)}),
        content_type="application/json",
    )
    assert r.status_code == 201
    rule = r.json()
    url = f"/api/v1/sales/rules/{rule['uuid']}"
    r = client.patch(
        url, json.dumps({"priority": 5, "version": 1}), content_type="application/json"
    )
    assert r.json()["version"] == 2
    r = client.patch(
        url, json.dumps({"priority": 6, "version": 1}), content_type="application/json"
    )
    assert r.status_code == 412
    assert client.delete(url).status_code == 204


def test_channels_can_be_added_and_renamed(cast, api_client):
    client = api_client(cast.admin)
    r = client.post(
        "/api/v1/sales/channels",
        json.dumps({"code": "partners", "name_en": "Partners", "name_fr": "Partenaires"}),
        content_type="application/json",
    )
    assert r.status_code == 201
    r = client.patch(
        f"/api/v1/sales/channels/{r.json()['uuid']}",
        json.dumps({"name_fr": "Partenaires revendeurs"}),
        content_type="application/json",
    )
    assert r.json()["name_fr"] == "Partenaires revendeurs"

"""The objectives API: propose, decide, counter, versions, stale writes, reconciliation, rules."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from pacte.testing.cast import Cast

pytestmark = pytest.mark.usefixtures("published")


def call(method: str, url: str, token: str, body: dict | None = None) -> Any:
    return Client().generic(
        method,
        f"/api/v1/objectives{url}",
        data=json.dumps(body) if body is not None else b"",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_full_cycle_through_the_api(cast: Cast, fy: int) -> None:
    seller, lead = cast.token(cast.seller), cast.token(cast.lead)
    r = call("POST", "/propose", seller, {"fiscal_year": fy, "amount": 100_000_00})
    assert r.status_code == 200, r.content
    o = r.json()
    assert o["status"] == "proposed"
    assert sum(o["months"]) == o["amount"]
    pending = call("GET", "/pending", lead).json()["items"]
    assert [p["uuid"] for p in pending] == [o["uuid"]]
    r = call(
        "POST",
        f"/{o['uuid']}/counter",
        lead,
        {"amount": 110_000_00, "reason": "A bit more", "version": o["version"]},
    )
    assert r.json()["status"] == "countered"
    r = call("POST", f"/{o['uuid']}/accept", seller, {"version": r.json()["version"]})
    assert r.json()["status"] == "agreed"
    assert r.json()["amount"] == 110_000_00
    versions = call("GET", f"/{o['uuid']}/versions", seller).json()
    assert [v["action"] for v in versions] == ["proposed", "countered", "accepted"]
    rec = call("GET", f"/reconciliation?fiscal_year={fy}", cast.token(cast.executive)).json()
    assert rec["year"]["agreed"] == 110_000_00
    assert rec["year"]["target"] == 300_000_00


def test_stale_version_is_412(cast: Cast, fy: int) -> None:
    seller = cast.token(cast.seller)
    o = call("POST", "/draft", seller, {"fiscal_year": fy, "amount": 100}).json()
    call("POST", "/draft", seller, {"fiscal_year": fy, "amount": 200, "version": o["version"]})
    r = call("POST", "/draft", seller, {"fiscal_year": fy, "amount": 300, "version": o["version"]})
    assert r.status_code == 412
    assert r.json()["code"] == "stale_version"


@pytest.mark.parametrize(
    ("body", "code", "status"),
    [
        ({"amount": -1}, "amount_negative", 422),
        ({"amount": "lots"}, "amount_invalid", 422),
        ({"amount": 1200, "months": [100] * 11 + [99]}, "phasing_mismatch", 400),
        ({"amount": 1200, "channel_split": {"field": 101}}, "split_over_100", 400),
    ],
)
def test_bad_input_is_a_clear_error(
    cast: Cast, fy: int, body: dict, code: str, status: int
) -> None:
    r = call("POST", "/propose", cast.token(cast.seller), {"fiscal_year": fy, **body})
    assert r.status_code == status
    assert r.json()["code"] == code
    assert r.json()["message"]


def test_gap_rule_preview_then_apply(cast: Cast, fy: int) -> None:
    ex = cast.token(cast.executive)
    body = {"fiscal_year": fy, "kind": "prorata", "amount": 900_00}
    preview = call("POST", "/gap-rules/preview", ex, body).json()
    assert sum(p["amount"] for p in preview) == 900_00
    assert call("GET", "/gap-rules", ex).json()["count"] == 0
    r = call("POST", "/gap-rules", ex, body)
    assert r.status_code == 201
    assert call("GET", "/gap-rules", ex).json()["count"] == 1


def test_plan_and_check_ins(cast: Cast, fy: int) -> None:
    seller = cast.token(cast.seller)
    o = call("POST", "/draft", seller, {"fiscal_year": fy, "amount": 100}).json()
    assert (
        call(
            "POST",
            f"/{o['uuid']}/key-results",
            seller,
            {"name": "Demos", "measure": "count", "target": "20"},
        ).status_code
        == 201
    )
    i = call("POST", f"/{o['uuid']}/initiatives", seller, {"text": "Webinars"}).json()
    assert (
        call(
            "PATCH", f"/{o['uuid']}/initiatives/{i['uuid']}", seller, {"status": "ongoing"}
        ).json()["status"]
        == "ongoing"
    )
    plan = call("GET", f"/{o['uuid']}/plan", seller).json()
    assert len(plan["key_results"]) == 1
    assert len(plan["initiatives"]) == 1
    assert call("POST", f"/{o['uuid']}/check-ins", seller, {"confidence": 7}).status_code == 201
    assert (
        call("POST", f"/{o['uuid']}/check-ins", seller, {"confidence": "x"}).json()["code"]
        == "confidence_invalid"
    )


def test_policy_put_is_versioned(cast: Cast) -> None:
    ex = cast.token(cast.executive)
    p = call("GET", "/policy", ex).json()
    r = call(
        "PUT", "/policy", ex, {"auto_agree": True, "tolerance_pct": "5", "version": p["version"]}
    )
    assert r.status_code == 200
    assert r.json()["version"] == p["version"] + 1
    r = call(
        "PUT", "/policy", ex, {"auto_agree": True, "tolerance_pct": "5", "version": p["version"]}
    )
    assert r.status_code == 412

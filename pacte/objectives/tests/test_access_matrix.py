"""Who sees and decides what: a seller never sees another seller's objective (404); a handler
decides only for the sellers they handle (403 elsewhere, 404 when not even visible)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from pacte.objectives import services
from pacte.objectives.models import Status
from pacte.testing.cast import Cast

pytestmark = pytest.mark.usefixtures("published")


def _api(client: Client, method: str, url: str, token: str, body: dict | None = None) -> Any:
    return client.generic(
        method,
        url,
        data=json.dumps(body or {}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_seller_never_sees_another_sellers_objective(cast: Cast, fy: int, login) -> None:
    other = services.save_draft(seller=cast.other_seller, fiscal_year=fy, amount=100_000)
    client = login(cast.seller)
    assert client.get(f"/objectives/o/{other.uuid}/").status_code == 404
    assert client.get(f"/objectives/o/{other.uuid}/plan/").status_code == 404
    assert (
        client.post(f"/objectives/o/{other.uuid}/decide/", {"decision": "agree"}).status_code == 404
    )
    token = cast.token(cast.seller)
    c = Client()
    assert _api(c, "GET", f"/api/v1/objectives/{other.uuid}", token).status_code == 404
    assert _api(c, "GET", f"/api/v1/objectives/{other.uuid}/versions", token).status_code == 404
    assert (
        _api(
            c, "POST", f"/api/v1/objectives/{other.uuid}/check-ins", token, {"confidence": 3}
        ).status_code
        == 404
    )
    listed = _api(c, "GET", "/api/v1/objectives", token).json()["items"]
    assert other.uuid not in {item["uuid"] for item in listed}


def test_lead_sees_team_but_not_other_team(cast: Cast, fy: int, login) -> None:
    mine = services.save_draft(seller=cast.seller, fiscal_year=fy, amount=100_000)
    other = services.save_draft(seller=cast.other_seller, fiscal_year=fy, amount=100_000)
    client = login(cast.lead)
    assert client.get(f"/objectives/o/{mine.uuid}/").status_code == 200
    assert client.get(f"/objectives/o/{other.uuid}/").status_code == 404


def test_handler_decides_only_for_their_sellers(cast: Cast, fy: int) -> None:
    own = services.propose(seller=cast.seller, fiscal_year=fy, amount=100_000)
    other = services.propose(seller=cast.other_seller, fiscal_year=fy, amount=100_000)
    assert other.handler == cast.executive
    lead = cast.token(cast.lead)
    c = Client()
    r = _api(
        c,
        "POST",
        f"/api/v1/objectives/{other.uuid}/decide",
        lead,
        {"decision": "agree", "version": other.version},
    )
    assert r.status_code == 404
    # the executive sees everything but does not handle the lead's seller
    r = _api(
        c,
        "POST",
        f"/api/v1/objectives/{own.uuid}/decide",
        cast.token(cast.executive),
        {"decision": "agree", "version": own.version},
    )
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    r = _api(
        c,
        "POST",
        f"/api/v1/objectives/{own.uuid}/decide",
        lead,
        {"decision": "agree", "version": own.version},
    )
    assert r.status_code == 200
    assert r.json()["status"] == Status.AGREED


def test_seller_cannot_decide_own_proposal(cast: Cast, fy: int) -> None:
    own = services.propose(seller=cast.seller, fiscal_year=fy, amount=100_000)
    r = _api(
        Client(),
        "POST",
        f"/api/v1/objectives/{own.uuid}/decide",
        cast.token(cast.seller),
        {"decision": "agree", "version": own.version},
    )
    assert r.status_code == 403


def test_lead_cannot_write_a_sellers_plan(cast: Cast, fy: int) -> None:
    own = services.save_draft(seller=cast.seller, fiscal_year=fy, amount=100_000)
    r = _api(
        Client(),
        "POST",
        f"/api/v1/objectives/{own.uuid}/key-results",
        cast.token(cast.lead),
        {"name": "x", "target": "1"},
    )
    assert r.status_code == 403

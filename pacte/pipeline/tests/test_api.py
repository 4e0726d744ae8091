"""The pipeline API: bulk deals, a deal moved, calls, the team call and the company view."""

from __future__ import annotations

import pytest

from pacte.pipeline.models import Deal
from pacte.pipeline.tests.helpers import quarter, row
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db
P = "/api/v1/pipeline"


def _json(client, method: str, path: str, body: object):  # type: ignore[no-untyped-def]
    import json

    return client.generic(method, path, json.dumps(body), content_type="application/json")


def test_bulk_creates_then_changes_nothing(cast: Cast, api_client) -> None:  # type: ignore[no-untyped-def]
    admin = api_client(cast.admin)
    deals = [{**row(cast.seller, "A"), "amount": 123_456}, row(cast.seller, "B", amount="10.5")]
    first = _json(admin, "POST", f"{P}/deals/bulk", {"source": "crm", "deals": deals})
    assert first.status_code == 200, first.content
    assert first.json() == {"created": 2, "updated": 0, "unchanged": 0}
    assert Deal.objects.for_workspace(cast.workspace).get(external_id="A").amount == 123_456
    again = _json(admin, "POST", f"{P}/deals/bulk", {"source": "crm", "deals": deals})
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 2}


def test_bulk_refuses_bad_rows_with_their_position(cast: Cast, api_client) -> None:  # type: ignore[no-untyped-def]
    admin = api_client(cast.admin)
    deals = [row(cast.seller, "A"), row(cast.seller, "B", probability=101)]
    response = _json(admin, "POST", f"{P}/deals/bulk", {"deals": deals})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_rows"
    assert body["details"][0] == {
        "line": 2,
        "column": "probability",
        "code": "bad_probability",
        "message": "The probability is a whole number from 0 to 100.",
    }
    assert not Deal.objects.for_workspace(cast.workspace).exists()


def test_seller_moves_a_deal_and_calls(cast: Cast, api_client) -> None:  # type: ignore[no-untyped-def]
    _json(api_client(cast.admin), "POST", f"{P}/deals/bulk", {"deals": [row(cast.seller, "A")]})
    seller = api_client(cast.seller)
    listed = seller.get(f"{P}/deals").json()
    assert listed["count"] == 1
    deal = listed["items"][0]
    moved = _json(
        seller, "PATCH", f"{P}/deals/{deal['uuid']}", {"category": "commit", "version": 1}
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["category"] == "commit"
    stale = _json(seller, "PATCH", f"{P}/deals/{deal['uuid']}", {"amount": 5, "version": 1})
    assert stale.status_code == 412
    call = _json(
        seller,
        "PUT",
        f"{P}/calls/mine",
        {
            "period": quarter(cast).key,
            "commit": 100_000,
            "best_case": 150_000,
            "deals": [deal["uuid"]],
        },
    )
    assert call.status_code == 200, call.content
    forecast = seller.get(f"{P}/forecast").json()
    assert forecast["figures"]["commit"] == 100_000
    assert forecast["updated_this_week"] is True


def test_probability_over_100_is_refused_on_a_deal(cast: Cast, api_client) -> None:  # type: ignore[no-untyped-def]
    _json(api_client(cast.admin), "POST", f"{P}/deals/bulk", {"deals": [row(cast.seller, "A")]})
    deal = Deal.objects.for_workspace(cast.workspace).get()
    response = _json(
        api_client(cast.seller), "PATCH", f"{P}/deals/{deal.uuid}", {"probability": 130}
    )
    assert response.status_code == 400
    assert response.json()["details"][0]["column"] == "probability"


def test_lead_adjusts_submits_and_executive_sees(cast: Cast, api_client) -> None:  # type: ignore[no-untyped-def]
    key = quarter(cast).key
    _json(
        api_client(cast.seller),
        "PUT",
        f"{P}/calls/mine",
        {"period": key, "commit": 100_000, "best_case": 100_000},
    )
    lead = api_client(cast.lead)
    team = lead.get(f"{P}/teams/{cast.team.uuid}/forecast?period={key}").json()
    assert team["gross_commit"] == 100_000
    adjusted = _json(
        lead,
        "PUT",
        f"{P}/teams/{cast.team.uuid}/call",
        {"period": key, "adjustment": 20_000, "note": "A late one"},
    )
    assert adjusted.status_code == 200, adjusted.content
    call = adjusted.json()
    racing = _json(
        lead,
        "PUT",
        f"{P}/teams/{cast.team.uuid}/call",
        {"period": key, "adjustment": 1, "note": "x", "version": call["version"] + 5},
    )
    assert racing.status_code == 412
    submitted = _json(
        lead, "POST", f"{P}/calls/{call['uuid']}/submit", {"version": call["version"]}
    )
    assert submitted.json()["status"] == "submitted"
    company = api_client(cast.executive).get(f"{P}/company?period={key}").json()
    north = next(t for t in company["teams"] if t["team"] == str(cast.team.uuid))
    assert north["call"]["commit"] == 120_000
    assert north["call"]["gross_commit"] == 100_000


def test_a_call_by_someone_not_owner_or_lead_is_refused(cast: Cast, api_client) -> None:  # type: ignore[no-untyped-def]
    response = _json(
        api_client(cast.lead),
        "PUT",
        f"{P}/calls/mine",
        {
            "period": quarter(cast).key,
            "commit": 1,
            "best_case": 1,
            "seller": str(cast.other_seller.uuid),
        },
    )
    assert response.status_code == 403
    assert response.json()["code"] == "not_owner_or_lead"


def test_a_float_amount_is_refused(cast: Cast, api_client) -> None:  # type: ignore[no-untyped-def]
    response = _json(
        api_client(cast.seller),
        "PUT",
        f"{P}/calls/mine",
        {"period": quarter(cast).key, "commit": 1.5, "best_case": 2},
    )
    assert response.status_code in (400, 422)


def test_the_deal_list_shapes_only_the_page_it_returns(cast: Cast, api_client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from pacte.pipeline import api

    deals = [row(cast.seller, f"D{i:02d}") for i in range(30)]
    _json(api_client(cast.admin), "POST", f"{P}/deals/bulk", {"deals": deals})
    shaped = []
    real = api._deal_out

    def counted(d, c):  # type: ignore[no-untyped-def]
        shaped.append(d.pk)
        return real(d, c)

    monkeypatch.setattr(api, "_deal_out", counted)
    page = api_client(cast.admin).get(f"{P}/deals?limit=5&offset=10").json()
    assert page["count"] == 30
    assert [d["external_id"] for d in page["items"]] == sorted(
        d["external_id"] for d in page["items"]
    )
    assert len(page["items"]) == 5
    assert len(shaped) == 5  # not the 30 deals the executive may see
    everything = api_client(cast.admin).get(f"{P}/deals?limit=100").json()["items"]
    assert [d["uuid"] for d in everything[10:15]] == [d["uuid"] for d in page["items"]]

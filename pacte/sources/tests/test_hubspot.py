"""The HubSpot connector against a local HubSpot: search pages and the 10,000-result ceiling,
owners, private-app and OAuth tokens, rate limits, 5xx, drift, malformed deals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from pacte.sources.connectors.base import ConnectorError, connector_class
from pacte.sources.connectors.hubspot import HubSpotConnector
from pacte.sources.http import Http
from pacte.sources.tests.fakes.hubspot import FakeHubSpot, deal


@pytest.fixture
def hs() -> Iterator[FakeHubSpot]:
    with FakeHubSpot() as fake:
        assert isinstance(fake, FakeHubSpot)
        yield fake


def connector(fake: FakeHubSpot, *, page_size: int = 3, **config: Any) -> HubSpotConnector:
    token = fake.issue_token()
    secrets = {
        "access_token": token,
        "client_secret": fake.client_secret,
        "refresh_token": fake.refresh_token,
    }
    c = HubSpotConnector({"api_base": fake.url(), **config}, secrets, Http(sleep=lambda s: None))
    c.page_size = page_size
    return c


def rows(c: HubSpotConnector, since: datetime | None = None) -> list[dict[str, Any]]:
    return [row for batch in c.changed_since(since) for row in batch.rows]


def test_registered() -> None:
    assert connector_class("hubspot") is HubSpotConnector


def test_pages_walked_and_rows_mapped(hs: FakeHubSpot) -> None:
    hs.deals = [deal(i, amount=f"{i}000.50") for i in range(1, 8)] + [deal(50, won=False)]
    hs.deals[1]["properties"]["hubspot_owner_id"] = "13"  # an archived owner
    got = rows(connector(hs))
    assert [r["external_id"] for r in got] == [str(1000 + i) for i in range(1, 8)]
    assert got[0] == {
        "external_id": "1001",
        "date": "2026-03-15",
        "amount": "1000.50",
        "currency": "EUR",
        "seller": "ann@example.com",
        "split": None,
        "overlay": None,
        "channel": "default",
        "customer": None,
        "territory": None,
        "solution": None,
        "modified_at": "2026-03-01T00:01:00+00:00",
    }
    assert got[1]["seller"] == "old@example.com"
    searches = [r.json() for r in hs.requests if r.path.endswith("/search")]
    assert len(searches) == 3
    assert searches[0]["filterGroups"][0]["filters"][0] == {
        "propertyName": "hs_is_closed_won",
        "operator": "EQ",
        "value": "true",
    }
    assert searches[0]["sorts"] == [
        {"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}
    ]


def test_since_and_won_stages_filter(hs: FakeHubSpot) -> None:
    hs.deals = [deal(i) for i in range(1, 6)]
    hs.deals[4]["properties"]["dealstage"] = "contractsigned"
    got = rows(connector(hs, won_stages="closedwon"), datetime(2026, 3, 1, 0, 3, tzinfo=UTC))
    assert [r["external_id"] for r in got] == ["1003", "1004"]


def test_search_ceiling_requeries_from_last_modified(hs: FakeHubSpot) -> None:
    hs.search_limit = 6
    hs.deals = [deal(i) for i in range(1, 15)]
    c = connector(hs)
    c.search_limit = 6
    got = rows(c)
    assert [r["external_id"] for r in got] == [str(1000 + i) for i in range(1, 15)]
    filters = [
        r.json()["filterGroups"][0]["filters"] for r in hs.requests if r.path.endswith("/search")
    ]
    assert any(len(f) == 2 for f in filters)  # a second search from the last date read


def test_record_on_two_pages_yielded_once(hs: FakeHubSpot) -> None:
    hs.deals = [deal(i) for i in range(1, 8)]
    hs.repeat_last = True
    got = rows(connector(hs))
    assert len(got) == len({r["external_id"] for r in got}) == 7


def test_private_app_token_refused_is_auth(hs: FakeHubSpot) -> None:
    hs.deals = [deal(1)]
    c = connector(hs)
    hs.expire_tokens()
    with pytest.raises(ConnectorError) as err:
        rows(c)
    assert err.value.code == "auth"


def test_oauth_token_refreshed_once_and_kept(hs: FakeHubSpot) -> None:
    hs.deals = [deal(i) for i in range(1, 5)]
    c = connector(hs, auth="oauth", client_id="cid")
    hs.expire_tokens()
    assert len(rows(c)) == 4
    stored = c.secrets_to_store()
    assert stored is not None
    assert stored["access_token"] in hs.tokens


def test_oauth_bad_refresh_token_is_auth(hs: FakeHubSpot) -> None:
    c = HubSpotConnector(
        {"api_base": hs.url(), "auth": "oauth"},
        {"client_secret": hs.client_secret, "refresh_token": "revoked"},
        Http(sleep=lambda s: None),
    )
    with pytest.raises(ConnectorError) as err:
        c.check()
    assert err.value.code == "auth"


def test_secondly_429_waited_daily_429_is_quota(hs: FakeHubSpot) -> None:
    hs.deals = [deal(1)]
    waits: list[float] = []
    c = connector(hs)
    c.http.sleep = waits.append
    body = {"status": "error", "errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"}
    hs.inject("/crm/v3/objects/deals/search", 429, body, headers={"Retry-After": "3"})
    assert len(rows(c)) == 1
    assert waits == [3.0]
    hs.inject("/crm/v3/objects/deals/search", 429, {**body, "policyName": "DAILY"})
    with pytest.raises(ConnectorError) as err:
        rows(connector(hs))
    assert err.value.code == "quota"


def test_5xx_retried(hs: FakeHubSpot) -> None:
    hs.deals = [deal(1)]
    hs.inject("/crm/v3/objects/deals/search", 502, "bad gateway", times=2)
    assert len(rows(connector(hs))) == 1


def test_removed_property_is_schema_drift(hs: FakeHubSpot) -> None:
    hs.deals = [deal(1)]
    hs.properties.discard("amount")
    with pytest.raises(ConnectorError) as err:
        connector(hs).check()
    assert (err.value.code, err.value.field, err.value.record_id) == ("schema", "amount", "1001")


def test_malformed_deal_is_located(hs: FakeHubSpot) -> None:
    hs.deals = [deal(1), deal(2, amount="lots")]
    with pytest.raises(ConnectorError) as err:
        rows(connector(hs))
    assert (err.value.code, err.value.record_id, err.value.field) == ("record", "1002", "amount")


def test_all_ids(hs: FakeHubSpot) -> None:
    hs.deals = [deal(i) for i in range(1, 8)] + [deal(9, won=False)]
    assert [i for page in connector(hs).all_ids() for i in page] == [
        str(1000 + i) for i in range(1, 8)
    ]

"""The Pipedrive connector against a local Pipedrive: v2 cursor pages, users and pipelines,
API token and OAuth, rate limits and the daily budget, 5xx, drift, malformed deals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from pacte.sources.connectors.base import ConnectorError, connector_class
from pacte.sources.connectors.pipedrive import PipedriveConnector
from pacte.sources.http import Http
from pacte.sources.tests.fakes.pipedrive import FakePipedrive, deal


@pytest.fixture
def pd() -> Iterator[FakePipedrive]:
    with FakePipedrive(page_size=3) as fake:
        assert isinstance(fake, FakePipedrive)
        yield fake


def connector(fake: FakePipedrive, **config: Any) -> PipedriveConnector:
    secrets = {
        "api_token": fake.api_token,
        "client_secret": fake.client[1],
        "refresh_token": fake.refresh_token,
    }
    settings = {
        "company_url": fake.url(),
        "token_url": fake.url("/oauth/token"),
        "client_id": fake.client[0],
    }
    return PipedriveConnector({**settings, **config}, secrets, Http(sleep=lambda s: None))


def rows(c: PipedriveConnector, since: datetime | None = None) -> list[dict[str, Any]]:
    return [row for batch in c.changed_since(since) for row in batch.rows]


def test_registered() -> None:
    assert connector_class("pipedrive") is PipedriveConnector


def test_cursor_pages_walked_and_rows_mapped(pd: FakePipedrive) -> None:
    pd.deals = [deal(i, value=1000 + i) for i in range(1, 8)] + [deal(20, status="lost")]
    pd.deals[1]["owner_id"] = 2
    got = rows(connector(pd))
    assert [r["external_id"] for r in got] == [str(i) for i in range(1, 8)]
    assert got[0] == {
        "external_id": "1",
        "date": "2026-03-15",
        "amount": "1001",
        "currency": "EUR",
        "seller": "ann@example.com",
        "split": None,
        "overlay": None,
        "channel": "Field sales",
        "customer": None,
        "territory": None,
        "solution": None,
        "modified_at": "2026-03-01T00:01:00+00:00",
    }
    assert got[1]["seller"] == "bob@example.com"
    deal_requests = [r for r in pd.requests if r.path == "/api/v2/deals"]
    assert len(deal_requests) == 3
    assert deal_requests[0].param("status") == "won"
    assert deal_requests[0].param("sort_by") == "update_time"
    assert deal_requests[0].headers["x-api-token"] == pd.api_token


def test_updated_since_and_custom_field_channel(pd: FakePipedrive) -> None:
    pd.deals = [deal(i) for i in range(1, 6)]
    got = rows(connector(pd, channel_field="8d3f0a1b2c"), datetime(2026, 3, 1, 0, 4, tzinfo=UTC))
    assert [r["external_id"] for r in got] == ["4", "5"]
    assert got[0]["channel"] == "Partners"
    first = next(r for r in pd.requests if r.path == "/api/v2/deals")
    assert first.param("updated_since") == "2026-03-01T00:04:00Z"


def test_record_on_two_pages_yielded_once(pd: FakePipedrive) -> None:
    pd.deals = [deal(i) for i in range(1, 8)]
    pd.repeat_last = True
    got = rows(connector(pd))
    assert len(got) == len({r["external_id"] for r in got}) == 7


def test_wrong_api_token_is_auth(pd: FakePipedrive) -> None:
    c = connector(pd)
    pd.api_token = "rotated"
    with pytest.raises(ConnectorError) as err:
        c.check()
    assert err.value.code == "auth"


def test_oauth_refreshed_once_and_kept(pd: FakePipedrive) -> None:
    pd.deals = [deal(i) for i in range(1, 5)]
    c = connector(pd, auth="oauth")
    batches = c.changed_since(None)
    first = next(batches)
    pd.expire_tokens()
    assert len(first.rows) + sum(len(b.rows) for b in batches) == 4
    assert pd.issued == 2
    stored = c.secrets_to_store()
    assert stored is not None
    assert stored["api_domain"] == pd.url()
    assert stored["access_token"] == "token-2"


def test_oauth_refused_twice_is_auth(pd: FakePipedrive) -> None:
    pd.deals = [deal(1)]
    pd.inject("/api/v2/deals", 401, {"success": False, "error": "unauthorized access"}, times=2)
    with pytest.raises(ConnectorError) as err:
        rows(connector(pd, auth="oauth"))
    assert err.value.code == "auth"


def test_429_waited_then_daily_budget_is_quota(pd: FakePipedrive) -> None:
    pd.deals = [deal(1)]
    waits: list[float] = []
    c = connector(pd)
    c.http.sleep = waits.append
    pd.inject(
        "/api/v2/deals",
        429,
        {"success": False, "error": "Too many requests"},
        headers={"Retry-After": "2"},
    )
    assert len(rows(c)) == 1
    assert waits == [2.0]
    pd.inject(
        "/api/v2/deals",
        429,
        {"success": False, "error": "Daily budget exceeded"},
        headers={"x-ratelimit-reset": "43200"},
    )
    with pytest.raises(ConnectorError) as err:
        rows(connector(pd))
    assert err.value.code == "quota"


def test_5xx_retried_then_remote(pd: FakePipedrive) -> None:
    pd.deals = [deal(1)]
    pd.inject("/api/v2/deals", 500, "oops", times=3)
    assert len(rows(connector(pd))) == 1
    pd.inject("/api/v2/deals", 503, "down", times=10)
    with pytest.raises(ConnectorError) as err:
        rows(connector(pd))
    assert err.value.code == "remote"


def test_missing_field_is_schema_drift(pd: FakePipedrive) -> None:
    pd.deals = [deal(1)]
    del pd.deals[0]["won_time"]
    with pytest.raises(ConnectorError) as err:
        rows(connector(pd))
    assert (err.value.code, err.value.field, err.value.record_id) == ("schema", "won_time", "1")


def test_malformed_deal_is_located(pd: FakePipedrive) -> None:
    pd.deals = [deal(1), deal(2, value="1.000,00 €")]
    with pytest.raises(ConnectorError) as err:
        rows(connector(pd))
    assert (err.value.code, err.value.record_id, err.value.field) == ("record", "2", "value")


def test_all_ids(pd: FakePipedrive) -> None:
    pd.deals = [deal(i) for i in range(1, 8)] + [deal(9, status="open")]
    assert [i for page in connector(pd).all_ids() for i in page] == [str(i) for i in range(1, 8)]

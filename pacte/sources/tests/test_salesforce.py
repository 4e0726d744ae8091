"""The Salesforce connector against a local Salesforce: JWT bearer and client credentials,
query pages, splits and overlays, expired sessions, limits, 5xx, drift, malformed records."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from pacte.sources.connectors.base import ConnectorError, connector_class
from pacte.sources.connectors.salesforce import SalesforceConnector
from pacte.sources.http import Http
from pacte.sources.tests.fakes.salesforce import FakeSalesforce, make_key, opportunity

PEM, PUBLIC = make_key()


@pytest.fixture
def sf() -> Iterator[FakeSalesforce]:
    with FakeSalesforce(public_key=PUBLIC, page_size=3) as fake:
        assert isinstance(fake, FakeSalesforce)
        yield fake


def connector(fake: FakeSalesforce, **config: Any) -> SalesforceConnector:
    settings = {
        "login_url": fake.url(),
        "auth_flow": "jwt",
        "client_id": fake.client_id,
        "username": fake.username,
        **config,
    }
    secrets = {"private_key": PEM, "client_secret": fake.client_secret}
    return SalesforceConnector(settings, secrets, Http(sleep=lambda s: None))


def rows(c: SalesforceConnector, since: datetime | None = None) -> list[dict[str, Any]]:
    return [row for batch in c.changed_since(since) for row in batch.rows]


def test_registered() -> None:
    assert connector_class("salesforce") is SalesforceConnector


def test_pages_walked_with_jwt_bearer_and_rows_mapped(sf: FakeSalesforce) -> None:
    sf.opportunities = [opportunity(i, amount=1000 + i) for i in range(1, 8)]
    sf.opportunities.append(opportunity(99, won=False))
    sf.opportunities[0]["Amount"] = Decimal("1234.5")
    c = connector(sf)
    got = rows(c)
    assert [r["external_id"] for r in got] == [f"006{i:015d}" for i in range(1, 8)]
    first = got[0]
    assert first["amount"] == "1234.5"
    assert first["date"] == "2026-03-15"
    assert first["seller"] == "ann@example.com"
    assert first["channel"] == "Field"
    assert first["customer"] == "Customer 1"
    assert first["currency"] == "EUR"
    assert first["modified_at"] == "2026-03-01T00:01:00+00:00"
    assert sum(1 for r in sf.requests if "/query/" in r.path) == 2  # 7 rows, 3 a page
    stored = c.secrets_to_store()
    assert stored is not None
    assert (stored["access_token"], stored["instance_url"]) == ("token-1", sf.url())


def test_since_filters_on_system_modstamp(sf: FakeSalesforce) -> None:
    sf.opportunities = [opportunity(i) for i in range(1, 6)]
    got = rows(connector(sf), datetime(2026, 3, 1, 0, 4, tzinfo=UTC))
    assert [r["external_id"][-1] for r in got] == ["4", "5"]
    soql = next(r.param("q") for r in sf.requests if r.param("q"))
    assert "SystemModstamp >= 2026-03-01T00:04:00Z" in (soql or "")


def test_last_modified_date_as_the_cursor(sf: FakeSalesforce) -> None:
    sf.opportunities = [opportunity(i) for i in range(1, 4)]
    sf.opportunities[0]["LastModifiedDate"] = "2026-02-01T00:00:00.000+0000"
    c = connector(sf, cursor_field="LastModifiedDate")
    got = rows(c, datetime(2026, 3, 1, tzinfo=UTC))
    assert [r["external_id"][-1] for r in got] == ["2", "3"]
    assert got[0]["modified_at"] == "2026-03-01T00:02:00+00:00"


def test_client_credentials_flow(sf: FakeSalesforce) -> None:
    sf.opportunities = [opportunity(1)]
    got = rows(connector(sf, auth_flow="client_credentials"))
    assert len(got) == 1


def test_wrong_key_is_an_auth_error(sf: FakeSalesforce) -> None:
    other_pem, _ = make_key()
    c = SalesforceConnector(
        {"login_url": sf.url(), "client_id": sf.client_id, "username": sf.username},
        {"private_key": other_pem},
        Http(sleep=lambda s: None),
    )
    with pytest.raises(ConnectorError) as err:
        c.check()
    assert err.value.code == "auth"
    assert "invalid assertion" in err.value.message


def test_splits_and_overlays_become_credit_columns(sf: FakeSalesforce) -> None:
    sf.opportunities = [opportunity(1), opportunity(2)]
    first, second = (o["Id"] for o in sf.opportunities)
    sf.add_split(first, "ann@example.com", 60)
    sf.add_split(first, "bob@example.com", Decimal("40.00"))
    sf.add_split(first, "sol@example.com", 100, revenue=False)
    sf.add_split(second, "ann@example.com", 100)
    sf.add_split(second, "cid@example.com", Decimal("33.33"), revenue=False)
    got = {r["external_id"]: r for r in rows(connector(sf))}
    assert got[first]["split"] == "ann@example.com:60;bob@example.com:40"
    assert got[first]["overlay"] == "sol@example.com"
    assert got[second]["split"] == "ann@example.com:100"
    assert got[second]["overlay"] == "cid@example.com:33.33"


def test_org_without_splits_or_currencies(sf: FakeSalesforce) -> None:
    sf.opportunities = [opportunity(1)]
    sf.has_splits = False
    sf.multi_currency = False
    c = connector(sf)
    c.check()
    got = rows(c)
    assert got[0]["currency"] is None
    assert got[0]["split"] is None


def test_expired_session_refreshed_once(sf: FakeSalesforce) -> None:
    sf.opportunities = [opportunity(i) for i in range(1, 5)]
    c = connector(sf)
    batches = c.changed_since(None)
    first = next(batches)
    sf.expire_tokens()
    rest = [row for batch in batches for row in batch.rows]
    assert len(first.rows) + len(rest) == 4
    assert sf.issued == 2
    stored = c.secrets_to_store()
    assert stored is not None
    assert stored["access_token"] == "token-2"


def test_kept_token_reused_only_for_the_same_org_and_user(sf: FakeSalesforce) -> None:
    sf.opportunities = [opportunity(1)]
    c = connector(sf)
    rows(c)
    kept = {"private_key": PEM, **(c.secrets_to_store() or {})}
    settings = {"login_url": sf.url(), "client_id": sf.client_id, "username": sf.username}
    again = SalesforceConnector(settings, kept, Http(sleep=lambda s: None))
    rows(again)
    assert sf.issued == 1  # the kept token served
    other = SalesforceConnector(
        {**settings, "username": "someone@example.com"}, kept, Http(sleep=lambda s: None)
    )
    with pytest.raises(ConnectorError):
        rows(other)  # a new token is asked for the new user (the fake refuses this one)
    assert sf.issued == 1


def test_session_refused_after_refresh_is_auth(sf: FakeSalesforce) -> None:
    sf.opportunities = [opportunity(1)]
    sf.inject(
        "/services/data/",
        401,
        [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
        times=2,
    )
    with pytest.raises(ConnectorError) as err:
        rows(connector(sf))
    assert err.value.code == "auth"


def test_request_limit_exceeded_is_quota(sf: FakeSalesforce) -> None:
    sf.inject(
        "/services/data/",
        403,
        [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
    )
    with pytest.raises(ConnectorError) as err:
        rows(connector(sf))
    assert err.value.code == "quota"


def test_429_retried_after_its_delay(sf: FakeSalesforce) -> None:
    sf.opportunities = [opportunity(1)]
    sf.inject("/services/data/", 429, [], headers={"Retry-After": "2"})
    assert len(rows(connector(sf))) == 1


def test_5xx_retried_then_remote_error(sf: FakeSalesforce) -> None:
    sf.opportunities = [opportunity(1)]
    sf.inject("/services/data/", 503, "unavailable", times=2)
    assert len(rows(connector(sf))) == 1
    sf.inject("/services/data/", 500, "boom", times=10)
    with pytest.raises(ConnectorError) as err:
        rows(connector(sf))
    assert err.value.code == "remote"


def test_renamed_field_is_schema_drift(sf: FakeSalesforce) -> None:
    sf.opportunities = [opportunity(1)]
    sf.opportunity_fields.discard("Amount")
    with pytest.raises(ConnectorError) as err:
        connector(sf).check()
    assert (err.value.code, err.value.field) == ("schema", "Amount")


def test_configured_channel_field_missing_is_schema_drift(sf: FakeSalesforce) -> None:
    sf.opportunities = [opportunity(1)]
    with pytest.raises(ConnectorError) as err:
        rows(connector(sf, channel_field="Channel__c"))
    assert (err.value.code, err.value.field) == ("schema", "Channel__c")


def test_configured_field_read_as_channel(sf: FakeSalesforce) -> None:
    sf.opportunities = [opportunity(1)]
    assert rows(connector(sf, channel_field="Region__c"))[0]["channel"] == "North"


def test_malformed_record_is_located(sf: FakeSalesforce) -> None:
    sf.opportunities = [opportunity(1), opportunity(2, amount="12,5 k")]
    with pytest.raises(ConnectorError) as err:
        rows(connector(sf))
    assert err.value.code == "record"
    assert (err.value.record_id, err.value.field) == (sf.opportunities[1]["Id"], "Amount")


def test_record_on_two_pages_yielded_once(sf: FakeSalesforce) -> None:
    sf.opportunities = [opportunity(i) for i in range(1, 8)]
    sf.repeat_last = True
    got = rows(connector(sf))
    assert len(got) == 7
    assert len({r["external_id"] for r in got}) == 7


def test_all_ids(sf: FakeSalesforce) -> None:
    sf.opportunities = [opportunity(i) for i in range(1, 8)] + [opportunity(9, won=False)]
    ids = [i for page in connector(sf).all_ids() for i in page]
    assert ids == [f"006{i:015d}" for i in range(1, 8)]

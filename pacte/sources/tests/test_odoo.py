"""The Odoo connector against a local Odoo: JSON-2 and JSON-RPC, orders and invoices, id
pages, salespeople's e-mails, API key refused, 429, 5xx, drift, malformed records."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from pacte.sources.connectors.base import ConnectorError, connector_class
from pacte.sources.connectors.odoo import OdooConnector
from pacte.sources.http import Http
from pacte.sources.tests.fakes.odoo import FakeOdoo, invoice, order, refund


@pytest.fixture
def odoo() -> Iterator[FakeOdoo]:
    with FakeOdoo() as fake:
        assert isinstance(fake, FakeOdoo)
        yield fake


def connector(fake: FakeOdoo, *, page_size: int = 3, **config: Any) -> OdooConnector:
    settings = {"url": fake.url(), "database": fake.database, "login": fake.login, **config}
    c = OdooConnector(settings, {"api_key": fake.api_key}, Http(sleep=lambda s: None))
    c.page_size = page_size
    return c


def rows(c: OdooConnector, since: datetime | None = None) -> list[dict[str, Any]]:
    return [row for batch in c.changed_since(since) for row in batch.rows]


def test_registered() -> None:
    assert connector_class("odoo") is OdooConnector


@pytest.mark.parametrize("protocol", ["json2", "jsonrpc"])
def test_orders_paged_by_id_and_mapped(odoo: FakeOdoo, protocol: str) -> None:
    odoo.models["sale.order"] = [order(i, amount=1000.25 + i) for i in range(1, 8)]
    odoo.models["sale.order"].append(order(30, state="draft"))
    odoo.models["sale.order"][1]["user_id"] = [3, "Bob"]
    got = rows(connector(odoo, protocol=protocol))
    assert [r["external_id"] for r in got] == [str(i) for i in range(1, 8)]
    assert got[0] == {
        "external_id": "1",
        "date": "2026-03-15",
        "amount": "1001.25",
        "currency": "EUR",
        "seller": "ann@example.com",
        "split": None,
        "overlay": None,
        "channel": "Europe",
        "customer": "Customer 1",
        "territory": None,
        "solution": None,
        "modified_at": "2026-03-01T00:01:00+00:00",
    }
    assert got[1]["seller"] == "bob@example.com"  # archived user, e-mail from the login


def test_posted_invoices_with_invoice_salesperson(odoo: FakeOdoo) -> None:
    odoo.models["account.move"] = [invoice(1), invoice(2, state="draft")]
    got = rows(connector(odoo, source="invoices"))
    assert [
        (r["external_id"], r["date"], r["currency"], r["seller"], r["channel"]) for r in got
    ] == [("1", "2026-03-20", "USD", "ann@example.com", "Americas")]


def test_write_date_filter(odoo: FakeOdoo) -> None:
    odoo.models["sale.order"] = [order(i) for i in range(1, 6)]
    got = rows(connector(odoo), datetime(2026, 3, 1, 0, 4, tzinfo=UTC))
    assert [r["external_id"] for r in got] == ["4", "5"]
    body = next(r.json() for r in odoo.requests if r.path.endswith("/search_read"))
    assert ["write_date", ">=", "2026-03-01 00:04:00"] in body["domain"]


def test_record_changed_while_paging_read_once(odoo: FakeOdoo) -> None:
    odoo.models["sale.order"] = [order(i) for i in range(1, 8)]
    c = connector(odoo)
    batches = c.changed_since(None)
    first = next(batches)
    odoo.models["sale.order"][0]["write_date"] = "2026-03-02 00:00:00"
    rest = [row for b in batches for row in b.rows]
    ids = [r["external_id"] for r in first.rows + rest]
    assert ids == [str(i) for i in range(1, 8)]


@pytest.mark.parametrize("protocol", ["json2", "jsonrpc"])
def test_revoked_key_is_auth(odoo: FakeOdoo, protocol: str) -> None:
    c = connector(odoo, protocol=protocol)
    odoo.api_key = "revoked"
    with pytest.raises(ConnectorError) as err:
        c.check()
    assert err.value.code == "auth"


def test_429_and_5xx_retried(odoo: FakeOdoo) -> None:
    odoo.models["sale.order"] = [order(1)]
    odoo.inject("/json/2/", 429, "slow down", headers={"Retry-After": "1"})
    odoo.inject("/json/2/", 504, "gateway timeout", times=2)
    assert len(rows(connector(odoo))) == 1


@pytest.mark.parametrize("protocol", ["json2", "jsonrpc"])
def test_removed_field_is_schema_drift(odoo: FakeOdoo, protocol: str) -> None:
    odoo.models["sale.order"] = [order(1)]
    odoo.fields["sale.order"] = odoo.fields["sale.order"] - {"team_id"}
    with pytest.raises(ConnectorError) as err:
        connector(odoo, protocol=protocol).check()
    assert (err.value.code, err.value.field) == ("schema", "team_id")


def test_malformed_record_is_located(odoo: FakeOdoo) -> None:
    odoo.models["sale.order"] = [order(1), order(2, amount="n/a")]
    with pytest.raises(ConnectorError) as err:
        rows(connector(odoo))
    assert (err.value.code, err.value.record_id, err.value.field) == (
        "record",
        "2",
        "amount_untaxed",
    )


def test_all_ids(odoo: FakeOdoo) -> None:
    odoo.models["sale.order"] = [order(i) for i in range(1, 20)] + [order(40, state="cancel")]
    assert [i for page in connector(odoo, page_size=2).all_ids() for i in page] == [
        str(i) for i in range(1, 20)
    ]


def test_page_that_times_out_is_a_timeout_error(odoo: FakeOdoo) -> None:
    odoo.models["sale.order"] = [order(1)]
    odoo.server.delays["/json/2/sale.order/search_read"] = 0.5
    c = OdooConnector(
        {"url": odoo.url(), "database": odoo.database},
        {"api_key": odoo.api_key},
        Http(timeout=0.1, retries=1, sleep=lambda s: None),
    )
    with pytest.raises(ConnectorError) as err:
        rows(c)
    assert err.value.code == "timeout"


def test_credit_notes_are_negative_and_credited_as_the_invoice_they_reverse(
    odoo: FakeOdoo,
) -> None:
    odoo.models["account.move"] = [
        invoice(1, amount=Decimal("1200.50"), user=2, team="Americas"),
        refund(2, reverses=1, amount=Decimal("200.25"), user=3, team="Support"),
        refund(3, reverses=None, amount=Decimal("50"), user=3, team="Support"),
        refund(4, reverses=1, state="draft"),
    ]
    got = rows(connector(odoo, source="invoices"))
    assert [(r["external_id"], r["date"], r["amount"], r["seller"], r["channel"]) for r in got] == [
        ("1", "2026-03-20", "1200.50", "ann@example.com", "Americas"),
        ("2", "2026-04-02", "-200.25", "ann@example.com", "Americas"),
        ("3", "2026-04-02", "-50", "bob@example.com", "Support"),
    ]
    moves = [r.json() for r in odoo.requests if r.path == "/json/2/account.move/search_read"]
    assert ["move_type", "in", ["out_invoice", "out_refund"]] in moves[0]["domain"]
    assert moves[1]["domain"] == [["id", "in", [1]]]  # the reversed invoice, read once


def test_credit_note_whose_invoice_is_on_an_earlier_page(odoo: FakeOdoo) -> None:
    odoo.models["account.move"] = [
        invoice(1, user=2),
        invoice(2, user=2),
        refund(3, reverses=1, amount=Decimal("10.10"), user=3),
    ]
    got = rows(connector(odoo, source="invoices", page_size=2))
    assert (got[2]["amount"], got[2]["seller"], got[2]["channel"]) == (
        "-10.10",
        "ann@example.com",
        "Americas",
    )


def test_orders_read_no_credit_note_fields(odoo: FakeOdoo) -> None:
    odoo.models["sale.order"] = [order(1)]
    rows(connector(odoo))
    body = next(r.json() for r in odoo.requests if r.path.endswith("/search_read"))
    assert "reversed_entry_id" not in body["fields"]

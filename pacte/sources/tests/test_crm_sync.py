"""Each CRM connector end to end: a connection syncing into sales through the sync engine,
against the connector's local fake (split and overlay credit, a refreshed token kept, a
remote failure leaving nothing written and the cursor where it was)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from pacte.sales.cube import verify
from pacte.sales.models import Credit, Sale
from pacte.sources import services
from pacte.sources.credentials import read_secrets
from pacte.sources.models import Connection, SyncMode, SyncRun
from pacte.sources.tests.fakes import hubspot as hs
from pacte.sources.tests.fakes import odoo as oo
from pacte.sources.tests.fakes import pipedrive as pd
from pacte.sources.tests.fakes import salesforce as sf
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db

Sync = Callable[..., SyncRun]
PEM, PUBLIC = sf.make_key()
SELLER = "seller@acme.example"
LEAD = "lead@acme.example"


def connect(
    cast: Cast, kind: str, config: dict[str, Any], secrets: dict[str, str], **more: Any
) -> Connection:
    connection, _secret = services.create_connection(
        workspace=cast.workspace,
        actor=cast.admin,
        kind=kind,
        name=kind,
        config=config,
        secrets=secrets,
        **more,
    )
    return connection


def sales_of(connection: Connection) -> dict[str, int]:
    return dict(Sale.objects.filter(source=connection.source).values_list("external_id", "amount"))


def credits_of(connection: Connection, external_id: str) -> set[tuple[str, str, int]]:
    return {
        (c.seller.email, c.kind, c.basis_points)
        for c in Credit.objects.filter(
            sale__source=connection.source, sale__external_id=external_id
        ).select_related("seller")
    }


def test_salesforce_syncs_opportunities_with_splits_and_overlays(cast: Cast, sync: Sync) -> None:
    with sf.FakeSalesforce(public_key=PUBLIC, page_size=2) as fake:
        assert isinstance(fake, sf.FakeSalesforce)
        fake.opportunities = [
            sf.opportunity(i, amount=Decimal(f"{i}00.50"), owner=SELLER) for i in range(1, 5)
        ]
        first = fake.opportunities[0]["Id"]
        fake.add_split(first, SELLER, 60)
        fake.add_split(first, LEAD, 40)
        fake.add_split(first, LEAD, 100, revenue=False)
        connection = connect(
            cast,
            "salesforce",
            {"login_url": fake.url(), "client_id": fake.client_id, "username": fake.username},
            {"private_key": PEM},
        )
        run = sync(connection)
        assert run.status == "done", (run.message, run.errors)
        assert run.new_count == 4
        assert sales_of(connection)[first] == 10050
        assert credits_of(connection, first) == {
            (SELLER, "split", 6000),
            (LEAD, "split", 4000),
            (LEAD, "overlay", 10000),
        }
        assert read_secrets(Connection.objects.get(pk=connection.pk))["access_token"] == "token-1"

        fake.opportunities[1]["Amount"] = 999
        fake.opportunities[1]["SystemModstamp"] = sf.modstamp(sf.datetime.now())
        second = sync(connection)
        assert second.status == "done", (second.message, second.errors)
        assert sales_of(connection)[fake.opportunities[1]["Id"]] == 99900
    assert verify(cast.workspace) == []


def test_hubspot_syncs_deals_and_keeps_cursor_on_quota(cast: Cast, sync: Sync) -> None:
    with hs.FakeHubSpot() as fake:
        assert isinstance(fake, hs.FakeHubSpot)
        fake.owners[0]["email"] = SELLER
        fake.deals = [hs.deal(i, amount=f"{i}50.25") for i in range(1, 4)]
        connection = connect(
            cast,
            "hubspot",
            {"api_base": fake.url()},
            {"access_token": fake.issue_token()},
            mapping={"channel": ""},  # the pipeline is not a channel here: the default is
            default_channel="field",
        )
        run = sync(connection)
        assert run.status == "done", (run.message, run.errors)
        assert sales_of(connection) == {"1001": 15025, "1002": 25025, "1003": 35025}
        connection.refresh_from_db()
        cursor = connection.cursor
        fake.inject("/crm/v3/objects/deals/search", 429, {"policyName": "DAILY"})
        failed = sync(connection)
        assert failed.status == "failed"
        assert failed.message_code == "quota"
        connection.refresh_from_db()
        assert connection.cursor == cursor


def test_pipedrive_syncs_won_deals(cast: Cast, sync: Sync) -> None:
    with pd.FakePipedrive(page_size=2) as fake:
        assert isinstance(fake, pd.FakePipedrive)
        fake.users[0]["email"] = SELLER
        fake.pipelines[0]["name"] = "Field"
        fake.deals = [pd.deal(i, value=Decimal(f"{i}.10")) for i in range(1, 6)]
        fake.deals.append(pd.deal(9, status="lost"))
        connection = connect(
            cast, "pipedrive", {"company_url": fake.url()}, {"api_token": fake.api_token}
        )
        run = sync(connection, SyncMode.FULL)
        assert run.status == "done", (run.message, run.errors)
        assert sales_of(connection) == {str(i): i * 100 + 10 for i in range(1, 6)}


def test_odoo_syncs_confirmed_orders_and_refuses_drift(cast: Cast, sync: Sync) -> None:
    with oo.FakeOdoo() as fake:
        assert isinstance(fake, oo.FakeOdoo)
        fake.models["res.users"][0]["email"] = SELLER
        fake.models["sale.order"] = [
            oo.order(i, amount=Decimal(f"{i}000.75"), team="Field") for i in range(1, 4)
        ]
        connection = connect(
            cast,
            "odoo",
            {"url": fake.url(), "database": fake.database},
            {"api_key": fake.api_key},
        )
        run = sync(connection)
        assert run.status == "done", (run.message, run.errors)
        assert sales_of(connection) == {"1": 100075, "2": 200075, "3": 300075}
        fake.fields["sale.order"] = fake.fields["sale.order"] - {"team_id"}
        failed = sync(connection)
        assert (failed.status, failed.message_code) == ("failed", "schema")
        assert failed.errors[0]["field"] == "team_id"
        assert len(sales_of(connection)) == 3


def test_odoo_credit_note_takes_back_the_invoice_credit(cast: Cast, sync: Sync) -> None:
    with oo.FakeOdoo() as fake:
        assert isinstance(fake, oo.FakeOdoo)
        fake.models["res.users"][0]["email"] = SELLER
        fake.models["account.move"] = [
            {**oo.invoice(1, amount=Decimal("1000.00"), team="Field"), "currency_id": [1, "EUR"]},
            {
                **oo.refund(2, reverses=1, amount=Decimal("250.50"), user=3, team="Nobody"),
                "currency_id": [1, "EUR"],
            },
        ]
        connection = connect(
            cast,
            "odoo",
            {"url": fake.url(), "database": fake.database, "source": "invoices"},
            {"api_key": fake.api_key},
        )
        run = sync(connection)
        assert run.status == "done", (run.message, run.errors)
        assert sales_of(connection) == {"1": 100000, "2": -25050}
        assert credits_of(connection, "2") == credits_of(connection, "1")
        assert {c[0] for c in credits_of(connection, "2")} == {SELLER}
        assert verify(cast.workspace) == []

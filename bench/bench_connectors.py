"""Reading 10,000 changed records through each CRM connector from its local fake server.

Baseline, in the same run: the very requests the connector sent (recorded by the fake),
replayed with a plain ``requests`` session and ``json.loads`` — what any client must pay for the
same pages. The ratio is the connector's own cost (paging logic, exact amounts, mapping to
canonical rows, owner/user look-ups, splits) over that floor.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

import requests

from bench.common import Figure, timed
from pacte.sources.connectors.base import Connector
from pacte.sources.connectors.hubspot import HubSpotConnector
from pacte.sources.connectors.odoo import OdooConnector
from pacte.sources.connectors.pipedrive import PipedriveConnector
from pacte.sources.connectors.salesforce import SalesforceConnector
from pacte.sources.http import Http
from pacte.sources.tests.fakes import FakeSystem
from pacte.sources.tests.fakes import hubspot as hs
from pacte.sources.tests.fakes import odoo as oo
from pacte.sources.tests.fakes import pipedrive as pd
from pacte.sources.tests.fakes import salesforce as sf

TARGET = 3.0  # the connector's reading at most 3x the bare HTTP + JSON of the same pages


def _salesforce(n: int) -> tuple[FakeSystem, Callable[[], Connector]]:
    pem, public = sf.make_key()
    fake = sf.FakeSalesforce(public_key=public)
    fake.opportunities = [sf.opportunity(i, amount=Decimal(f"{i}.50")) for i in range(n)]
    for o in fake.opportunities[::10]:
        fake.add_split(o["Id"], "ann@example.com", 60)
        fake.add_split(o["Id"], "bob@example.com", 40)
    config = {"client_id": fake.client_id, "username": fake.username}

    def make() -> Connector:
        return SalesforceConnector(
            {**config, "login_url": fake.url()}, {"private_key": pem}, Http()
        )

    return fake, make


def _hubspot(n: int) -> tuple[FakeSystem, Callable[[], Connector]]:
    fake = hs.FakeHubSpot(search_limit=10_000)
    fake.deals = [hs.deal(i, amount=f"{i}.50") for i in range(n)]
    token = fake.issue_token()
    return fake, lambda: HubSpotConnector({"api_base": fake.url()}, {"access_token": token}, Http())


def _pipedrive(n: int) -> tuple[FakeSystem, Callable[[], Connector]]:
    fake = pd.FakePipedrive()
    fake.deals = [pd.deal(i, value=Decimal(f"{i}.50")) for i in range(1, n + 1)]
    return fake, lambda: PipedriveConnector(
        {"company_url": fake.url()}, {"api_token": fake.api_token}, Http()
    )


def _odoo(n: int) -> tuple[FakeSystem, Callable[[], Connector]]:
    fake = oo.FakeOdoo()
    fake.models["sale.order"] = [oo.order(i, amount=Decimal(f"{i}.50")) for i in range(1, n + 1)]
    return fake, lambda: OdooConnector(
        {"url": fake.url(), "database": fake.database}, {"api_key": fake.api_key}, Http()
    )


def _replay(fake: FakeSystem, recorded: list[Any]) -> None:
    with requests.Session() as session:
        for req in recorded:
            response = session.request(
                req.method,
                fake.url(req.path),
                params={k: v[0] for k, v in req.query.items()},
                data=req.body or None,
                headers={
                    k: v
                    for k, v in req.headers.items()
                    if k in ("authorization", "x-api-token", "content-type")
                },
                timeout=60,
            )
            json.loads(response.content)


def run(quick: bool) -> list[Figure]:
    n = 2_000 if quick else 10_000
    figures = []
    since = datetime(2000, 1, 1, tzinfo=UTC)
    for name, build in (
        ("Salesforce", _salesforce),
        ("HubSpot", _hubspot),
        ("Pipedrive", _pipedrive),
        ("Odoo", _odoo),
    ):
        fake, make = build(n)
        with fake:
            count = 0

            def read(make: Callable[[], Connector] = make) -> None:
                nonlocal count
                count = sum(len(b.rows) for b in make().changed_since(since))

            fake.requests.clear()
            read()
            assert count == n, (name, count)
            recorded = list(fake.requests)
            value = timed(read)
            baseline = timed(partial(_replay, fake, recorded))
        figures.append(
            Figure(
                name=f"{name}: read {n:,} changed records (connector)",
                value=round(value, 3),
                unit="s",
                baseline=f"same {len(recorded)} requests, bare HTTP + JSON",
                baseline_value=round(baseline, 3),
                target=f"<= {TARGET}x baseline",
                holds=value <= TARGET * baseline,
                notes=f"{n / value:,.0f} records/s",
            )
        )
    return figures

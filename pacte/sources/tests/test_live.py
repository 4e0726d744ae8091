"""The CRM connectors against the real systems, read only, when credentials are given in the
environment (see docs/data-sources.md, "Live tests"); skipped otherwise.

Each test checks the credentials and the schema, reads the first page of records modified in
the last 90 days and the first page of ids, and checks the rows' shape. Nothing is written on
either side.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pacte.sources.connectors.base import CANONICAL_KEYS, Connector
from pacte.sources.connectors.hubspot import HubSpotConnector
from pacte.sources.connectors.odoo import OdooConnector
from pacte.sources.connectors.pipedrive import PipedriveConnector
from pacte.sources.connectors.salesforce import SalesforceConnector
from pacte.sources.http import Http


def env(name: str) -> str:
    return os.environ.get(f"PACTE_LIVE_{name}", "").strip()


def needs(*names: str) -> pytest.MarkDecorator:
    missing = [f"PACTE_LIVE_{n}" for n in names if not env(n)]
    return pytest.mark.skipif(bool(missing), reason=f"set {', '.join(missing)} to run")


def exercise(connector: Connector) -> None:
    connector.check()
    since = datetime.now(UTC) - timedelta(days=90)
    batch = next(iter(connector.changed_since(since)), None)
    for row in batch.rows if batch else []:
        assert set(row) == set(CANONICAL_KEYS)
        assert row["external_id"]
        assert row["date"]
        assert row["amount"]
    ids = next(iter(connector.all_ids()), [])
    assert all(isinstance(i, str) and i for i in ids)


def _pem(value: str) -> str:
    """The key itself, or the path of a file holding it."""
    return Path(value).read_text() if not value.startswith("-----") else value


@needs("SALESFORCE_CLIENT_ID", "SALESFORCE_LOGIN_URL")
def test_salesforce_live() -> None:
    flow = env("SALESFORCE_AUTH_FLOW") or (
        "jwt" if env("SALESFORCE_PRIVATE_KEY") else "client_credentials"
    )
    secrets = {"client_secret": env("SALESFORCE_CLIENT_SECRET")}
    if env("SALESFORCE_PRIVATE_KEY"):
        secrets["private_key"] = _pem(env("SALESFORCE_PRIVATE_KEY"))
    config = {
        "login_url": env("SALESFORCE_LOGIN_URL"),
        "auth_flow": flow,
        "client_id": env("SALESFORCE_CLIENT_ID"),
        "username": env("SALESFORCE_USERNAME"),
    }
    if env("SALESFORCE_CHANNEL_FIELD"):
        config["channel_field"] = env("SALESFORCE_CHANNEL_FIELD")
    exercise(SalesforceConnector(config, secrets, Http()))


@needs("HUBSPOT_TOKEN")
def test_hubspot_live() -> None:
    exercise(HubSpotConnector({}, {"access_token": env("HUBSPOT_TOKEN")}, Http()))


@needs("PIPEDRIVE_URL", "PIPEDRIVE_TOKEN")
def test_pipedrive_live() -> None:
    exercise(
        PipedriveConnector(
            {"company_url": env("PIPEDRIVE_URL")}, {"api_token": env("PIPEDRIVE_TOKEN")}, Http()
        )
    )


@needs("ODOO_URL", "ODOO_KEY")
def test_odoo_live() -> None:
    config = {
        "url": env("ODOO_URL"),
        "database": env("ODOO_DATABASE"),
        "protocol": env("ODOO_PROTOCOL") or "json2",
        "login": env("ODOO_LOGIN"),
        "source": env("ODOO_SOURCE") or "orders",
    }
    exercise(OdooConnector(config, {"api_key": env("ODOO_KEY")}, Http()))

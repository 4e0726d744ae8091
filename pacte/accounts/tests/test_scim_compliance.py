"""RFC 7643/7644 compliance of the SCIM server, checked by ``scim2-tester`` through Pacte's
whole WSGI stack (middleware, URL routing, bearer token), as a provider would reach it."""

from __future__ import annotations

import pytest
from django.core.handlers.wsgi import WSGIHandler
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_tester import Status, check_server

from pacte.accounts.scim import create_scim_token
from pacte.accounts.services import create_workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def keep_connection():
    """The test's transaction stays open across requests, as Django's test client does."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("keep_connection")
def test_scim2_tester_passes() -> None:
    workspace = create_workspace(name="Acme", slug="acme-scim")
    _token, secret = create_scim_token(workspace=workspace, actor=None, name="Entra")
    client = WSGISCIMClient(
        WSGIHandler(),
        base_url="http://testserver/scim/v2",
        headers={"Authorization": f"Bearer {secret}"},
    )
    results = check_server(client)
    failed = [r for r in results if r.status not in (Status.SUCCESS, Status.SKIPPED)]
    report = "\n".join(f"{r.status.name} {r.title}: {r.reason}" for r in failed)
    assert len(results) > 30
    assert not failed, report

"""One source for a seller's reference share: after a new run is published, the inbox, the
proposal page, the reconciliation, "My objective" and the API all show the new reference (the
inbox and the proposal page say what it was when proposed), and the delegation policy decides
against it."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.test import Client

from pacte.objectives import references, services
from pacte.objectives.models import Status
from pacte.objectives.tests.conftest import publish
from pacte.testing.cast import Cast
from pacte.testing.clients import api_client_for

pytestmark = pytest.mark.usefixtures("published")


def _api(cast: Cast, member: Any, url: str) -> Any:
    return api_client_for(member).get(f"/api/v1/objectives{url}").json()


def _republish(cast: Cast, fy: int) -> None:
    """A new run: Sam's reference goes from 120,000 to 90,000."""
    publish(cast, fy, {cast.seller: 90_000_00, cast.lead: 150_000_00, cast.other_seller: 60_000_00})


def test_a_new_run_changes_the_reference_everywhere_identically(
    cast: Cast, fy: int, login: Any
) -> None:
    o = services.propose(seller=cast.seller, fiscal_year=fy, amount=100_000_00)
    assert o.status == Status.PROPOSED
    lead = login(cast.lead)
    assert "€120,000" in lead.get("/objectives/inbox/").content.decode()

    _republish(cast, fy)

    inbox = lead.get("/objectives/inbox/")
    page = html.unescape(inbox.content.decode())
    assert "€90,000" in page
    assert "was €120,000 when proposed" in page
    row = inbox.context["pending"][0]
    assert (row.reference.annual, row.reference_changed) == (90_000_00, True)

    detail = lead.get(f"/objectives/o/{o.uuid}/")
    assert detail.context["reference"].annual == 90_000_00
    assert "was €120,000 when proposed" in html.unescape(detail.content.decode())

    rec = login(cast.executive).get(f"/objectives/reconciliation/?fy={fy}&unit={cast.team.uuid}")
    rows = {r["name"]: r["reference"] for r in rec.context["sellers"]}
    assert rows[cast.seller.name] == 90_000_00

    mine = login(cast.seller).get(f"/objectives/mine/?fy={fy}")
    assert mine.context["reference"].annual == 90_000_00

    pending = _api(cast, cast.lead, "/pending")["items"][0]
    assert (pending["reference_amount"], pending["proposed_reference_amount"]) == (
        90_000_00,
        120_000_00,
    )
    assert _api(cast, cast.seller, f"/{o.uuid}")["reference_amount"] == 90_000_00
    api_rec = _api(cast, cast.executive, f"/reconciliation?fiscal_year={fy}")
    assert {r["name"]: r["reference"] for r in api_rec["sellers"]}[cast.seller.name] == 90_000_00
    assert references.reference_for(cast.seller, fy).annual == 90_000_00


def test_an_unchanged_reference_is_not_flagged(cast: Cast, fy: int, login: Any) -> None:
    services.propose(seller=cast.seller, fiscal_year=fy, amount=100_000_00)
    row = login(cast.lead).get("/objectives/inbox/").context["pending"][0]
    assert (row.reference.annual, row.reference_changed) == (120_000_00, False)
    assert "when proposed" not in login(cast.lead).get("/objectives/inbox/").content.decode()


def test_the_delegation_policy_decides_against_the_current_reference(cast: Cast, fy: int) -> None:
    _republish(cast, fy)
    # 95,000 is below the old reference (120,000) and above the new one (90,000).
    o = services.propose(seller=cast.seller, fiscal_year=fy, amount=95_000_00)
    assert o.status == Status.AGREED
    assert o.reference_amount == 90_000_00
    # and the other way round: the lead's reference rose to 150,000
    o = services.propose(seller=cast.lead, fiscal_year=fy, amount=130_000_00)
    assert o.status == Status.PROPOSED


def test_inbox_reads_references_in_a_fixed_number_of_queries(
    cast: Cast, fy: int, login: Any, django_assert_max_num_queries: Any
) -> None:
    services.propose(seller=cast.seller, fiscal_year=fy, amount=100_000_00)
    services.propose(seller=cast.lead, fiscal_year=fy, amount=10_000_00)
    client = login(cast.executive)
    with django_assert_max_num_queries(15):
        client.get("/objectives/inbox/")
    with django_assert_max_num_queries(15):
        Client().get(
            "/api/v1/objectives/pending", HTTP_AUTHORIZATION=f"Bearer {cast.token(cast.executive)}"
        )

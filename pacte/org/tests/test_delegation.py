"""Delegation map: handler_for, deputies (bad input refused), person page and map page."""

from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client

from pacte.audit.models import AuditEvent
from pacte.errors import DomainError
from pacte.org import services, structure
from pacte.org.models import Deputy

pytestmark = pytest.mark.django_db
D = datetime.date


def test_handler_is_the_lead_then_next_up_then_an_executive(cast):
    assert structure.handler_for(cast.seller) == cast.lead
    # South has no lead and the company neither: an executive handles Olga
    assert structure.handler_for(cast.other_seller) == cast.executive
    services.update_unit(unit=cast.company, actor=None, lead=cast.executive)
    assert structure.handler_for(cast.lead) == cast.executive  # the lead's lead is above
    assert structure.handler_for(cast.other_seller) == cast.executive


def test_bulk_handlers_agree_with_handler_for(cast):
    services.update_unit(unit=cast.company, actor=None, lead=cast.executive)
    snap = structure.snapshot(cast.workspace)
    bulk = structure.handlers_on(snap, cast.workspace)
    for member in (cast.seller, cast.other_seller, cast.lead, cast.admin):
        assert bulk[member.pk] == structure.handler_for(member), member


def test_deputy_replaces_the_handler_on_the_dates(cast):
    today = datetime.date.today()
    services.add_deputy(
        workspace=cast.workspace,
        actor=cast.executive,
        principal=cast.lead,
        deputy=cast.other_seller,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=6),
    )
    assert structure.handler_for(cast.seller, today) == cast.other_seller
    assert structure.handler_for(cast.seller, today + datetime.timedelta(days=7)) == cast.lead
    assert AuditEvent.objects.filter(action="deputy.added").count() == 1


def test_overlapping_deputies_refused(cast):
    services.add_deputy(
        workspace=cast.workspace,
        actor=None,
        principal=cast.lead,
        deputy=cast.other_seller,
        starts_on=D(2024, 7, 1),
        ends_on=D(2024, 7, 15),
    )
    with pytest.raises(DomainError) as exc:
        services.add_deputy(
            workspace=cast.workspace,
            actor=None,
            principal=cast.lead,
            deputy=cast.admin,
            starts_on=D(2024, 7, 15),
            ends_on=None,
        )
    assert exc.value.code == "deputy_overlap"
    assert "Olga Other" in exc.value.message
    assert Deputy.objects.count() == 1


def test_deputy_outside_workspace_refused(cast):
    token = cast.token(cast.executive)
    response = Client().post(
        "/api/v1/org/deputies",
        data=json.dumps(
            {
                "principal": str(cast.lead.uuid),
                "deputy": str(cast.outsider.uuid),
                "starts_on": "2024-01-01",
            }
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "deputy_outside_workspace"
    assert not Deputy.objects.exists()


def test_only_leads_and_executives_have_deputies(cast):
    with pytest.raises(DomainError) as exc:
        services.add_deputy(
            workspace=cast.workspace,
            actor=None,
            principal=cast.seller,
            deputy=cast.lead,
            starts_on=D(2024, 1, 1),
        )
    assert exc.value.code == "not_a_lead"


def test_person_page_shows_handler_and_executive_names_deputy(cast, login):
    client = login(cast.executive)
    page = client.get(f"/people/{cast.seller.uuid}/").content.decode()
    assert "Handles their exceptions today" in page
    assert "Lea Lead" in page
    response = client.post(
        f"/people/{cast.lead.uuid}/deputies/",
        {"deputy": str(cast.other_seller.uuid), "starts_on": "2024-01-01", "ends_on": "2024-01-10"},
    )
    assert response.status_code == 302
    assert Deputy.objects.filter(principal=cast.lead).count() == 1


def test_seller_sees_own_chain_only(cast, login):
    client = login(cast.seller)
    own = client.get(f"/people/{cast.seller.uuid}/").content.decode()
    assert "Chain of leads" in own
    other = client.get(f"/people/{cast.other_seller.uuid}/").content.decode()
    assert "Chain of leads" not in other


def test_delegation_page_lists_sellers(cast, login, django_assert_max_num_queries):
    client = login(cast.executive)
    with django_assert_max_num_queries(20):
        page = client.get("/org/delegation/").content.decode()
    assert "Sam Seller" in page
    assert "Olga Other" in page


def test_structure_and_chart_pages(cast, login, django_assert_max_num_queries):
    client = login(cast.executive)
    with django_assert_max_num_queries(80):
        page = client.get("/org/structure/?on=2025-01-31")
    assert page.status_code == 200
    assert "Sellers by number of managers above them" in page.content.decode()
    chart = client.get("/org/chart/")
    assert "org-chart-data" in chart.content.decode()
    response = client.post(
        "/org/structure/settings/", {"max_layers": 1, "span_min": 2, "span_max": 9, "version": 1}
    )
    assert response.status_code == 302
    assert structure.shape_settings(cast.workspace).span_max == 9

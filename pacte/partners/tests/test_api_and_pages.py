"""Partner pages and API: the company side, the executives' figures, the partner's own."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from pacte.accounts.services import create_api_token
from pacte.objectives.models import Objective, Status
from pacte.partners import services as partner_services
from pacte.partners.models import Partner
from pacte.partners.tests.helpers import add_person, distributors, make_partner
from pacte.sales.import_jobs import ingest_records
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db


def _bearer(member) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"HTTP_AUTHORIZATION": f"Bearer {create_api_token(member=member, name='t')[1]}"}


def test_admin_creates_a_partner_through_the_api(cast: Cast) -> None:
    distributors(cast)
    body = {
        "code": "alpine",
        "name": "Alpine Distribution",
        "kind": "distributor",
        "channel": "distributors",
        "territory": "CH",
        "owner": str(cast.lead.uuid),
    }
    response = Client().post(
        "/api/v1/partners", body, content_type="application/json", **_bearer(cast.admin)
    )
    assert response.status_code == 201, response.content
    assert response.json()["owner_name"] == cast.lead.name
    again = Client().post(
        "/api/v1/partners", body, content_type="application/json", **_bearer(cast.admin)
    )
    assert again.status_code == 400
    assert again.json()["field"] == "code"
    stale = Client().patch(
        f"/api/v1/partners/{response.json()['uuid']}",
        {"name": "A", "version": 7},
        content_type="application/json",
        **_bearer(cast.admin),
    )
    assert stale.status_code == 412


def test_partner_proposes_through_the_api_in_french_amounts(cast: Cast, fy: int) -> None:
    partner = make_partner(cast)
    person = add_person(partner, "paula@alpine.example")
    response = Client().post(
        "/api/v1/partner/commitment",
        {"fiscal_year": fy, "amount": "12 500,50"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="fr",
        **_bearer(person),
    )
    assert response.status_code == 200, response.content
    assert response.json()["amount"] == 1_250_050
    assert response.json()["status"] == Status.PROPOSED
    bad = Client().post(
        "/api/v1/partner/commitment",
        {"fiscal_year": fy, "amount": 1.5},
        content_type="application/json",
        **_bearer(person),
    )
    assert bad.status_code in (400, 422)


def test_partner_page_proposes_and_the_channel_manager_sees_it(cast: Cast, fy: int, login) -> None:
    partner = make_partner(cast)
    person = add_person(partner, "paula@alpine.example")
    client = login(person)
    response = client.post(
        reverse("partner:propose") + f"?fy={fy}", {"amount": "20000", "narrative": "Two fairs"}
    )
    assert response.status_code == 302
    objective = Objective.objects.get(seller=partner.seat)
    assert objective.amount == 2_000_000
    assert objective.handler == cast.lead
    page = login(cast.lead).get(reverse("objectives:detail", args=[objective.uuid]))
    assert page.status_code == 200
    bad = client.post(reverse("partner:propose") + f"?fy={fy}", {"amount": "douze"})
    assert bad.status_code == 400


def test_executive_sees_partner_figures_by_channel_then_partner(cast: Cast, fy: int, login) -> None:
    alpine = make_partner(cast)
    make_partner(cast, code="tessin", name="Tessin Trade")
    ingest_records(
        workspace=cast.workspace,
        actor=cast.admin,
        records=[
            (
                1,
                {
                    "external_id": "S1",
                    "date": f"{fy}-02-01",
                    "amount": "500",
                    "channel": "distributors",
                    "partner": "alpine",
                },
            )
        ],
    )
    client = login(cast.executive)
    page = client.get(reverse("partners:figures") + f"?fy={fy}")
    assert page.status_code == 200
    assert "Distributors" in page.content.decode()
    drill = client.get(reverse("partners:figures") + f"?fy={fy}&channel={distributors(cast).uuid}")
    assert "Tessin Trade" in drill.content.decode()
    data = (
        Client()
        .get(
            f"/api/v1/partners/figures?fy={fy}&channel={distributors(cast).uuid}",
            **_bearer(cast.executive),
        )
        .json()
    )
    rows = {row["key"]: row for row in data["rows"]}
    assert rows["alpine"]["actual"] == 50_000
    assert rows["tessin"]["actual"] == 0
    assert data["total"]["partners"] == 2
    admin_page = login(cast.admin).get(reverse("partners:figures") + f"?fy={fy}")
    assert admin_page.status_code == 200  # admins see everything, partners included
    assert "Distributors" in admin_page.content.decode()
    assert alpine.pk


def test_channel_manager_lists_and_invites_their_partners_only(cast: Cast, login) -> None:
    make_partner(cast)
    other = make_partner(cast, code="tessin", name="Tessin Trade", owner=cast.executive)
    client = login(cast.lead)
    listing = client.get(reverse("partners:list")).content.decode()
    assert "Alpine Distribution" in listing
    assert "Tessin Trade" not in listing
    assert client.get(reverse("partners:detail", args=[other.uuid])).status_code == 404
    alpine = Partner.objects.get(code="alpine")
    response = client.post(
        reverse("partners:person_add", args=[alpine.uuid]),
        {"name": "Pia", "email": "pia@alpine.example"},
    )
    assert response.status_code == 302
    assert alpine.people.count() == 1


def test_partner_page_in_french(cast: Cast, login) -> None:
    partner = make_partner(cast)
    person = add_person(partner, "paula@alpine.example")
    person.user.language = "fr"
    person.user.save()
    text = login(person).get(reverse("partner:home")).content.decode()
    assert "Notre engagement" in text


def test_executive_drills_down_to_one_partner_by_month(cast: Cast, fy: int, login) -> None:
    alpine = make_partner(cast)
    tessin = make_partner(cast, code="tessin", name="Tessin Trade")
    person = add_person(alpine, "paula@alpine.example")
    partner_services.propose(person=person, fiscal_year=fy, amount=120_000_00)
    ingest_records(
        workspace=cast.workspace,
        actor=cast.admin,
        records=[
            (
                1,
                {
                    "external_id": "S1",
                    "date": f"{fy}-02-01",
                    "amount": "500",
                    "channel": "distributors",
                    "partner": "alpine",
                },
            ),
            (
                2,
                {
                    "external_id": "S2",
                    "date": f"{fy}-02-03",
                    "amount": "700",
                    "channel": "distributors",
                    "partner": "tessin",
                },
            ),
        ],
    )
    client = login(cast.executive)
    by_partner = client.get(
        reverse("partners:figures") + f"?fy={fy}&channel={distributors(cast).uuid}"
    ).content.decode()
    assert f"partner={alpine.uuid}" in by_partner
    page = client.get(reverse("partners:figures") + f"?fy={fy}&partner={alpine.uuid}")
    assert page.status_code == 200
    assert "Tessin Trade" not in page.content.decode()
    data = (
        Client()
        .get(f"/api/v1/partners/figures?fy={fy}&partner={alpine.uuid}", **_bearer(cast.executive))
        .json()
    )
    assert data["partner"] == str(alpine.uuid)
    assert len(data["rows"]) == 12
    assert sum(row["actual"] for row in data["rows"]) == data["total"]["actual"] == 50_000
    assert [row["actual"] for row in data["rows"] if row["actual"]] == [50_000]
    assert sum(row["objective"] for row in data["rows"]) == 120_000_00
    assert tessin.pk
    # A forged partner id, or one of another workspace: not found.
    forged = client.get(reverse("partners:figures") + f"?fy={fy}&partner={cast.seller.uuid}")
    assert forged.status_code == 404
    # A seller who manages no partner: another's partner is not found, the list is empty.
    seller = login(cast.seller)
    assert (
        seller.get(reverse("partners:figures") + f"?fy={fy}&partner={alpine.uuid}").status_code
        == 404
    )
    empty = seller.get(reverse("partners:figures") + f"?fy={fy}").content.decode()
    assert "Alpine Distribution" not in empty
    assert "No partner to show." in empty

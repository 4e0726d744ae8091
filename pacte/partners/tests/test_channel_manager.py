"""A channel manager reads their partners' figures: on their cockpit (commitment, actual,
attainment, still to sell), on the partner figures with the drill-down by channel, partner and
month, and in the API; another channel manager's partners are not found."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from pacte.accounts.services import create_api_token
from pacte.partners import services as partner_services
from pacte.partners.models import Partner
from pacte.partners.tests.helpers import add_person, distributors, make_partner
from pacte.sales.import_jobs import ingest_records
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db


def _bearer(member) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"HTTP_AUTHORIZATION": f"Bearer {create_api_token(member=member, name='t')[1]}"}


@pytest.fixture
def partners(cast: Cast, fy: int) -> tuple[Partner, Partner]:
    """Alpine (the lead's: committed 120 000.00, sold 500.00) and Tessin (the executive's: sold
    700.00)."""
    alpine = make_partner(cast)
    tessin = make_partner(cast, code="tessin", name="Tessin Trade", owner=cast.executive)
    person = add_person(alpine, "paula@alpine.example")
    partner_services.propose(person=person, fiscal_year=fy, amount=120_000_00)
    ingest_records(
        workspace=cast.workspace,
        actor=cast.admin,
        records=[
            (
                i,
                {
                    "external_id": f"S{i}",
                    "date": f"{fy}-02-0{i}",
                    "amount": amount,
                    "channel": "distributors",
                    "partner": code,
                },
            )
            for i, (code, amount) in enumerate((("alpine", "500"), ("tessin", "700")), start=1)
        ],
    )
    return alpine, tessin


def _fy_period(fy: int) -> str:
    return f"period=FY{fy:04d}"


def test_channel_manager_sees_their_partners_on_their_cockpit(
    cast: Cast, fy: int, partners, login
) -> None:
    alpine, tessin = partners
    client = login(cast.lead)
    page = client.get(reverse("insights:seller", args=[cast.lead.uuid]) + f"?{_fy_period(fy)}")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="managed-partners"' in text
    assert "Alpine Distribution" in text
    assert "Tessin Trade" not in text  # the executive's partner
    assert f"partner={alpine.uuid}" in text  # the drill-down by month
    # The executive reads the lead's partners on the lead's cockpit; another seller has none.
    exec_view = login(cast.executive).get(
        reverse("insights:seller", args=[cast.lead.uuid]) + f"?{_fy_period(fy)}"
    )
    assert "Alpine Distribution" in exec_view.content.decode()
    own = login(cast.seller).get(reverse("insights:seller", args=[cast.seller.uuid]))
    assert 'data-testid="managed-partners"' not in own.content.decode()
    assert tessin.pk


def test_cockpit_figures_are_the_partners_own(cast: Cast, fy: int, partners) -> None:
    from pacte.partners.selectors import managed_figures

    rows, total = managed_figures(cast.lead, cast.lead, fy)
    assert [(r.label, r.objective, r.actual, r.remaining) for r in rows] == [
        ("Alpine Distribution", 120_000_00, 500_00, 119_500_00)
    ]
    assert total.attainment == pytest.approx(500 / 120_000)
    # Nobody reads a channel manager's partners but themselves, executives and admins.
    assert managed_figures(cast.seller, cast.lead, fy)[0] == []
    assert [r.label for r in managed_figures(cast.executive, cast.lead, fy)[0]] == [
        "Alpine Distribution"
    ]


def test_channel_manager_drills_down_their_partners_only(
    cast: Cast, fy: int, partners, login
) -> None:
    alpine, tessin = partners
    client = login(cast.lead)
    assert reverse("partners:figures") in client.get(reverse("partners:list")).content.decode()
    by_channel = client.get(reverse("partners:figures") + f"?fy={fy}")
    assert by_channel.status_code == 200
    channel = distributors(cast)
    by_partner = client.get(
        reverse("partners:figures") + f"?fy={fy}&channel={channel.uuid}"
    ).content.decode()
    assert "Alpine Distribution" in by_partner
    assert "Tessin Trade" not in by_partner
    by_month = client.get(reverse("partners:figures") + f"?fy={fy}&partner={alpine.uuid}")
    assert by_month.status_code == 200
    # Another channel manager's partner: not found, on the page and in the API.
    assert (
        client.get(reverse("partners:figures") + f"?fy={fy}&partner={tessin.uuid}").status_code
        == 404
    )
    api = Client().get(
        f"/api/v1/partners/figures?fy={fy}&partner={tessin.uuid}", **_bearer(cast.lead)
    )
    assert api.status_code == 404
    data = (
        Client()
        .get(f"/api/v1/partners/figures?fy={fy}&channel={channel.uuid}", **_bearer(cast.lead))
        .json()
    )
    assert [(r["key"], r["actual"], r["objective"]) for r in data["rows"]] == [
        ("alpine", 500_00, 120_000_00)
    ]
    assert data["total"]["partners"] == 1

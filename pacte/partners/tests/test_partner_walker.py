"""The access walker for the partner role: a partner's login sees nothing outside its
organisation, on every page and every API route (each route found the day it is added)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from pacte.accounts.access import partner_may_call, partner_may_open
from pacte.accounts.services import create_api_token
from pacte.partners.tests.helpers import add_person, make_partner
from pacte.testing.access import API, PAGES
from pacte.testing.cast import Cast
from pacte.tests.test_access import _api_call, _url, api_operations, page_names

pytestmark = pytest.mark.django_db

CLOSED_PAGES = [name for name in page_names() if not partner_may_open(name)]
OPEN_PAGES = [name for name in page_names() if partner_may_open(name)]
CLOSED_API = [op for op in api_operations() if not partner_may_call(op[1])]


@pytest.fixture
def partner_login(cast: Cast, login):  # type: ignore[no-untyped-def]
    """A partner's person (Alpine), and another partner (Tessin) with its own figures."""
    alpine = make_partner(cast)
    make_partner(cast, code="tessin", name="Tessin Trade", owner=cast.executive)
    person = add_person(alpine, "paula@alpine.example")
    return person, login(person)


def test_the_partner_pages_are_few_and_named() -> None:
    """The pages a partner's person may open are their partner pages and their own login's:
    a new page of the company is closed to them the day it is added."""
    for name in OPEN_PAGES:
        assert name.startswith(("partner:", "accounts:", "sso:", "scim:")) or name in (
            "home",
            "healthz",
            "favicon",
            "metrics",
        ), name
        assert not name.startswith("partners:"), name
    assert "accounts:workspace_settings" in CLOSED_PAGES
    assert "partners:detail" in CLOSED_PAGES
    assert "api:openapi-json" in CLOSED_PAGES


@pytest.mark.parametrize("name", CLOSED_PAGES)
def test_partner_login_gets_404_on_every_company_page(name: str, cast: Cast, partner_login) -> None:
    _person, client = partner_login
    url = _url(name, PAGES[name], cast)
    assert client.get(url).status_code == 404, url
    assert client.post(url).status_code == 404, url


@pytest.mark.parametrize("op", CLOSED_API)
def test_partner_token_gets_404_on_every_company_api_route(
    op: tuple[str, str], cast: Cast, partner_login
) -> None:
    person, client = partner_login
    method, path = op
    route = API[op]
    token = create_api_token(member=person, name="probe")[1]
    response = _api_call(Client(), method, path, route, cast, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 404, (op, response.status_code, response.content[:200])
    assert response.json()["code"] == "not_found"
    response = _api_call(client, method, path, route, cast)  # the browser session too
    assert response.status_code == 404, (op, response.status_code)


def test_partner_sees_its_own_figures_only(cast: Cast, partner_login) -> None:
    person, client = partner_login
    page = client.get(reverse("partner:home"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Alpine Distribution" in text
    assert "Tessin Trade" not in text
    assert cast.seller.name not in text
    assert cast.other_seller.name not in text
    assert client.get(reverse("home")).url == reverse("partner:home")
    token = create_api_token(member=person, name="probe")[1]
    data = Client().get("/api/v1/partner", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert data["partner"]["code"] == "alpine"


def test_company_people_do_not_have_a_partner_page(cast: Cast, login) -> None:
    make_partner(cast)
    for member in (cast.executive, cast.lead, cast.seller):
        assert login(member).get(reverse("partner:home")).status_code == 404
        token = create_api_token(member=member, name="probe")[1]
        response = Client().get("/api/v1/partner", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 404


def test_partner_asking_for_another_partner_or_the_company_gets_404(
    cast: Cast, partner_login
) -> None:
    _person, client = partner_login
    tessin = make_partner(cast, code="tessin")
    alpine = make_partner(cast)
    for uuid in (tessin.uuid, alpine.uuid):
        assert client.get(reverse("partners:detail", args=[uuid])).status_code == 404
        assert client.get(f"/api/v1/partners/{uuid}").status_code == 404
    assert client.get(f"/api/v1/members/{tessin.seat.uuid}").status_code == 404
    assert client.get("/api/v1/insights/overview").status_code == 404
    assert client.get(reverse("sales:list")).status_code == 404


def test_open_pages_are_reachable(cast: Cast, partner_login) -> None:
    """Their own login's pages still work for them (a password change, their account)."""
    _person, client = partner_login
    assert client.get(reverse("accounts:account")).status_code == 200
    assert client.get(reverse("accounts:password_change")).status_code == 200
    assert "accounts:account" in OPEN_PAGES

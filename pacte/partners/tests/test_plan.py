"""The partner's people write their plan's key results on their partner page and API, like a
seller on their own plan: scoped to their organisation, anyone else's key result not found."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.http import Http404
from django.urls import reverse

from pacte.audit.models import AuditEvent
from pacte.errors import DomainError
from pacte.objectives import services as objective_services
from pacte.objectives.models import KeyResult
from pacte.partners import services
from pacte.partners.tests.helpers import add_person, make_partner
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_partners(cast: Cast, fy: int):  # type: ignore[no-untyped-def]
    alpine = make_partner(cast)
    tessin = make_partner(cast, code="tessin", name="Tessin Trade")
    paula = add_person(alpine, "paula@alpine.example", "Paula")
    tom = add_person(tessin, "tom@tessin.example", "Tom")
    services.propose(person=paula, fiscal_year=fy, amount=90_000_00)
    services.propose(person=tom, fiscal_year=fy, amount=80_000_00)
    return alpine, paula, tessin, tom


def test_page_adds_and_removes_a_key_result(cast: Cast, fy: int, two_partners, login) -> None:
    alpine, paula, _tessin, _tom = two_partners
    client = login(paula)
    response = client.post(
        reverse("partner:key_result_add") + f"?fy={fy}",
        {"name": "New resellers", "measure": "signed", "target": "12", "unit": "shops"},
    )
    assert response.status_code == 302
    kr = KeyResult.objects.get(objective__seller=alpine.seat, objective__fiscal_year=fy)
    assert (kr.name, kr.target, kr.unit) == ("New resellers", Decimal("12.00"), "shops")
    event = AuditEvent.objects.get(action="partner.key_result_added")
    assert event.actor_id == paula.pk
    page = client.get(reverse("partner:home") + f"?fy={fy}").content.decode()
    assert "New resellers" in page
    assert reverse("partner:key_result_delete", args=[kr.uuid]) in page
    response = client.post(reverse("partner:key_result_delete", args=[kr.uuid]) + f"?fy={fy}")
    assert response.status_code == 302
    assert not KeyResult.objects.filter(pk=kr.pk).exists()
    assert AuditEvent.objects.filter(action="partner.key_result_removed", actor=paula).exists()


def test_page_refuses_a_bad_target_in_french_and_english(fy: int, two_partners, login) -> None:
    _alpine, paula, _tessin, _tom = two_partners
    client = login(paula)
    url = reverse("partner:key_result_add") + f"?fy={fy}"
    response = client.post(url, {"name": "Shops", "target": "-3"})
    assert response.status_code == 400
    assert "The target is a number, zero or more." in response.content.decode()
    paula.user.language = "fr"
    paula.user.save(update_fields=["language"])
    response = client.post(url, {"name": "Boutiques", "target": "-3"})
    assert response.status_code == 400
    assert "La valeur cible est un nombre" in response.content.decode()
    assert not KeyResult.objects.exists()


def test_forged_id_of_another_partner_key_result_is_not_found(
    cast: Cast, fy: int, two_partners, login
) -> None:
    _alpine, paula, tessin, tom = two_partners
    theirs = services.add_key_result(
        person=tom, fiscal_year=fy, name="Ticino", measure="", target=5
    )
    seller_objective = objective_services.propose(
        seller=cast.seller, fiscal_year=fy, amount=120_000, months=[100_00] * 12
    )
    sellers = objective_services.add_key_result(
        objective=seller_objective, actor=cast.seller, name="Mine", measure="", target=1
    )
    client = login(paula)
    for kr in (theirs, sellers):
        url = reverse("partner:key_result_delete", args=[kr.uuid]) + f"?fy={fy}"
        assert client.post(url).status_code == 404
        assert client.delete(f"/api/v1/partner/key-results/{kr.uuid}").status_code == 404
        with pytest.raises(Http404):
            services.delete_key_result(person=paula, key_result_id=kr.uuid)
    assert KeyResult.objects.count() == 2
    assert tessin.seat.pk == theirs.objective.seller_id


def test_api_adds_lists_and_removes(fy: int, two_partners, login) -> None:
    _alpine, paula, _tessin, _tom = two_partners
    client = login(paula)
    response = client.post(
        "/api/v1/partner/key-results",
        {"fiscal_year": fy, "name": "Demos", "target": "7.5", "due_on": f"{fy}-06-30"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["target"] == "7.50"
    figures = client.get(f"/api/v1/partner?fy={fy}").json()
    assert [k["uuid"] for k in figures["key_results"]] == [created["uuid"]]
    response = client.post(
        "/api/v1/partner/key-results",
        {"fiscal_year": fy, "name": "", "target": 1},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "name_required"
    response = client.delete(f"/api/v1/partner/key-results/{created['uuid']}")
    assert response.status_code == 204
    assert not KeyResult.objects.exists()


def test_no_objective_no_key_result(cast: Cast, fy: int) -> None:
    partner = make_partner(cast)
    paula = add_person(partner, "paula@alpine.example")
    with pytest.raises(DomainError) as exc:
        services.add_key_result(person=paula, fiscal_year=fy, name="X", measure="", target=1)
    assert exc.value.code == "no_objective"


def test_partner_page_queries_do_not_grow_with_the_plan(fy: int, two_partners, login) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _alpine, paula, _tessin, _tom = two_partners
    client = login(paula)
    url = reverse("partner:home") + f"?fy={fy}"

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    services.add_key_result(person=paula, fiscal_year=fy, name="KR 0", measure="", target=1)
    services.check_in(person=paula, fiscal_year=fy, confidence=5)
    one = count()
    for k in range(1, 6):
        services.add_key_result(person=paula, fiscal_year=fy, name=f"KR {k}", measure="", target=k)
    assert count() == one

"""Typed amounts of the cockpit (own forecast, what-if) read like every amount: decimal comma
in French, point in English, the same integer through the page and the API; bad input gets a
message naming the field, in the reader's language, and nothing is saved."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.test import Client

from pacte.insights.models import Judgment
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db

TYPED = {"fr": ("12 345,50", "1.234,5"), "en": ("12,345.50", "1.234,5")}


def speaking(member: Any, language: str) -> Any:
    member.user.language = language
    member.user.save()
    return member


@pytest.mark.parametrize("language", ["fr", "en"])
def test_own_forecast_reads_the_same_on_page_and_api(
    sales: Cast, quotas: Cast, login: Any, language: str
) -> None:
    good, _bad = TYPED[language]
    client = login(speaking(sales.seller, language))
    url = f"/insights/sellers/{sales.seller.uuid}/judgment/?period=FY2026"
    assert client.post(url, {"committed": good}).status_code == 302
    assert Judgment.objects.get().committed == 12_345_50
    Judgment.objects.all().delete()
    r = Client(HTTP_AUTHORIZATION=f"Bearer {sales.token(sales.seller)}").put(
        "/api/v1/insights/judgment",
        {"period": "FY2026", "committed": good},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert r.status_code == 200, r.content
    assert r.json()["committed"] == 12_345_50


@pytest.mark.parametrize("language", ["fr", "en"])
def test_bad_own_forecast_names_the_field_and_saves_nothing(
    sales: Cast, quotas: Cast, login: Any, language: str
) -> None:
    _good, bad = TYPED[language]
    client = login(speaking(sales.seller, language))
    url = f"/insights/sellers/{sales.seller.uuid}/judgment/?period=FY2026"
    r = client.post(url, {"committed": bad})
    assert r.status_code == 422
    page = html.unescape(r.content.decode())
    assert ("Engagé" if language == "fr" else "Committed") in page
    assert ("n'est pas un montant" if language == "fr" else "is not an amount") in page
    assert not Judgment.objects.exists()
    r = Client(HTTP_AUTHORIZATION=f"Bearer {sales.token(sales.seller)}").put(
        "/api/v1/insights/judgment",
        {"period": "FY2026", "committed": bad},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert r.status_code == 422
    assert (r.json()["code"], r.json()["field"]) == ("amount_invalid", "committed")
    assert not Judgment.objects.exists()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_what_if_reads_the_typed_amount(
    sales: Cast, quotas: Cast, login: Any, language: str
) -> None:
    good, bad = TYPED[language]
    client = login(speaking(sales.seller, language))
    url = f"/insights/sellers/{sales.seller.uuid}/what-if/?period=FY2026"
    r = client.post(url, {"amount": good, "month": "6"}, HTTP_HX_REQUEST="true")
    result = r.context["what_if"]
    assert result["after"]["actual"] == result["before"]["actual"] + 12_345_50
    r = client.post(url, {"amount": bad, "month": "6"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 400
    assert ("n'est pas un montant" if language == "fr" else "is not an amount") in html.unescape(
        r.content.decode()
    )

"""Typed amounts on "My objective", the decision page, the reconciliation and the API: the same
text gives the same integer in both languages; bad input is refused next to the field, in the
reader's language, and nothing is saved."""

from __future__ import annotations

import html
import json
from typing import Any

import pytest
from django.test import Client

from pacte.objectives.models import GapRule, Objective
from pacte.testing.cast import Cast

pytestmark = pytest.mark.usefixtures("published")

GOOD = [
    ("fr", "1234,50", 123_450),
    ("fr", "1 234,50", 123_450),
    ("fr", "1\u202f234,50\u00a0€", 123_450),
    ("fr", "125000", 12_500_000),
    ("en", "1234.50", 123_450),
    ("en", "1,234.50", 123_450),
    ("en", "€1,234.50", 123_450),
    ("en", "125000", 12_500_000),
]

BAD = [
    (text, language, code)
    for language in ("fr", "en")
    for text, code in [
        ("1.234,5", "amount_invalid"),
        ("12 34", "amount_invalid"),
        ("1e6", "amount_invalid"),
        ("-5", "amount_negative"),
        ("", "amount_required"),
        ("1" * 25, "amount_too_large"),
    ]
]

MESSAGES = {
    ("amount_invalid", "fr"): "n'est pas un montant",
    ("amount_invalid", "en"): "is not an amount",
    ("amount_negative", "fr"): "ne peut pas être négatif",
    ("amount_negative", "en"): "cannot be negative",
    ("amount_required", "fr"): "Saisissez un montant",
    ("amount_required", "en"): "Enter an amount",
    ("amount_too_large", "fr"): "trop élevé",
    ("amount_too_large", "en"): "too large",
}


def field_error(page: str, field: str) -> str:
    """The message shown next to ``field`` (its ``id_<field>-error`` element), unescaped."""
    return html.unescape(page.split(f'id="id_{field}-error"', 1)[1].split("</", 1)[0])


def speaking(member: Any, language: str) -> Any:
    member.user.language = language
    member.user.save()
    return member


def page_client(login: Any, member: Any, language: str) -> Client:
    return login(speaking(member, language))


def api(method: str, url: str, token: str, language: str, body: dict[str, Any]) -> Any:
    return Client().generic(
        method,
        f"/api/v1/objectives{url}",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_ACCEPT_LANGUAGE=language,
    )


def blank_months() -> dict[str, str]:
    return {f"month_{i}": "" for i in range(1, 13)}


@pytest.mark.parametrize(("language", "text", "minor"), GOOD)
def test_my_objective_page_and_api_read_the_same_integer(
    cast: Cast, fy: int, login: Any, language: str, text: str, minor: int
) -> None:
    client = page_client(login, cast.seller, language)
    r = client.post(
        f"/objectives/mine/?fy={fy}", {"amount": text, **blank_months(), "action": "save"}
    )
    assert r.status_code == 302, r.content.decode()
    page = Objective.objects.get(seller=cast.seller)
    assert page.amount == minor
    assert sum(page.months) == minor
    page.delete()

    r = api(
        "POST", "/draft", cast.token(cast.seller), language, {"fiscal_year": fy, "amount": text}
    )
    assert r.status_code == 200, r.content
    assert r.json()["amount"] == minor
    assert Objective.objects.get(seller=cast.seller).amount == minor


def test_french_decimal_comma_on_my_objective_is_not_a_hundred_times_more(
    cast: Cast, fy: int, login: Any
) -> None:
    """The page's own flow: typing the annual amount re-phases the months (htmx), then Save."""
    client = page_client(login, cast.seller, "fr")
    r = client.post(
        f"/objectives/mine/phasing/?fy={fy}",
        {"amount": "1234,50", **blank_months()},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER_NAME="amount",
    )
    months = r.context["data"]["months"]
    data = {f"month_{i}": v for i, v in enumerate(months, start=1)}
    r = client.post(f"/objectives/mine/?fy={fy}", {"amount": "1234,50", **data, "action": "save"})
    assert r.status_code == 302, r.content.decode()
    objective = Objective.objects.get(seller=cast.seller)
    assert objective.amount == 123_450  # € 1,234.50, not 12,345,000 cents
    assert sum(objective.months) == 123_450


def test_the_page_shows_amounts_in_the_readers_language(cast: Cast, fy: int, login: Any) -> None:
    from pacte.objectives import services

    services.save_draft(seller=cast.seller, fiscal_year=fy, amount=123_450)
    page = page_client(login, cast.seller, "fr").get(f"/objectives/mine/?fy={fy}").content.decode()
    assert 'value="1234,50"' in page
    page = page_client(login, cast.seller, "en").get(f"/objectives/mine/?fy={fy}").content.decode()
    assert 'value="1234.50"' in page


@pytest.mark.parametrize(("text", "language", "code"), BAD)
def test_bad_amount_on_my_objective_is_refused_next_to_the_field(
    cast: Cast, fy: int, login: Any, text: str, language: str, code: str
) -> None:
    client = page_client(login, cast.seller, language)
    r = client.post(
        f"/objectives/mine/?fy={fy}", {"amount": text, **blank_months(), "action": "propose"}
    )
    assert r.status_code == 422
    page = r.content.decode()
    error = field_error(page, "amount")
    assert MESSAGES[(code, language)] in error
    assert 'aria-invalid="true"' in page.split('id="id_amount"', 1)[1].split(">", 1)[0]
    assert not Objective.objects.exists()


@pytest.mark.parametrize(("text", "language", "code"), BAD)
def test_bad_amount_in_the_api_is_a_422_with_code_and_field(
    cast: Cast, fy: int, text: str, language: str, code: str
) -> None:
    r = api(
        "POST", "/propose", cast.token(cast.seller), language, {"fiscal_year": fy, "amount": text}
    )
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == code
    assert body["field"] == "amount"
    assert MESSAGES[(code, language)] in body["message"]
    assert not Objective.objects.exists()


@pytest.mark.parametrize(
    ("value", "code"),
    [(12.5, "amount_invalid"), (True, "amount_invalid"), (None, "amount_required")],
)
def test_api_refuses_floats_and_other_json(cast: Cast, fy: int, value: Any, code: str) -> None:
    r = api("POST", "/draft", cast.token(cast.seller), "en", {"fiscal_year": fy, "amount": value})
    assert r.status_code == 422
    assert r.json()["code"] == code


def test_bad_month_is_refused_next_to_that_month(cast: Cast, fy: int, login: Any) -> None:
    client = page_client(login, cast.seller, "fr")
    months = ["100"] * 11 + ["1.234,5"]
    data = {f"month_{i}": v for i, v in enumerate(months, start=1)}
    r = client.post(f"/objectives/mine/?fy={fy}", {"amount": "1100", **data, "action": "save"})
    assert r.status_code == 422
    page = r.content.decode()
    assert "n'est pas un montant" in field_error(page, "month_12")
    assert 'value="1.234,5"' in page
    assert not Objective.objects.exists()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_counter_proposal_amount_reads_like_the_api(
    cast: Cast, fy: int, login: Any, language: str
) -> None:
    from pacte.objectives import services

    text = "110 000,50" if language == "fr" else "110,000.50"
    o = services.propose(seller=cast.seller, fiscal_year=fy, amount=100_000_00)
    r = page_client(login, cast.lead, language).post(
        f"/objectives/o/{o.uuid}/decide/",
        {"decision": "counter", "counter_amount": text, "reason": "More", "version": o.version},
    )
    assert r.status_code == 302
    o.refresh_from_db()
    assert o.counter_amount == 110_000_50

    o2 = services.propose(seller=cast.other_seller, fiscal_year=fy, amount=10_000_00)
    r = api(
        "POST",
        f"/{o2.uuid}/counter",
        cast.token(o2.handler),
        language,
        {"amount": text, "reason": "More", "version": o2.version},
    )
    assert r.status_code == 200, r.content
    assert r.json()["counter_amount"] == 110_000_50


@pytest.mark.parametrize(("text", "language", "code"), BAD)
def test_bad_counter_amount_is_refused_and_nothing_changes(
    cast: Cast, fy: int, login: Any, text: str, language: str, code: str
) -> None:
    from pacte.objectives import services

    o = services.propose(seller=cast.seller, fiscal_year=fy, amount=100_000_00)
    r = page_client(login, cast.lead, language).post(
        f"/objectives/o/{o.uuid}/decide/",
        {"decision": "counter", "counter_amount": text, "reason": "More", "version": o.version},
    )
    assert r.status_code == 422
    error = field_error(r.content.decode(), "counter_amount")
    assert MESSAGES[(code, language)] in error
    o.refresh_from_db()
    assert (o.status, o.counter_amount) == ("proposed", None)


@pytest.mark.parametrize(("text", "language", "code"), BAD)
def test_bad_gap_rule_amount_is_refused_on_page_and_api(
    cast: Cast, fy: int, login: Any, text: str, language: str, code: str
) -> None:
    r = page_client(login, cast.executive, language).post(
        f"/objectives/reconciliation/?fy={fy}",
        {"kind": "reserve", "amount": text, "apply": "1"},
    )
    assert r.status_code == 422
    error = field_error(r.content.decode(), "amount")
    assert MESSAGES[(code, language)] in error
    r = api(
        "POST",
        "/gap-rules",
        cast.token(cast.executive),
        language,
        {"fiscal_year": fy, "kind": "reserve", "amount": text},
    )
    assert r.status_code == 422
    assert (r.json()["code"], r.json()["field"]) == (code, "amount")
    assert not GapRule.objects.exists()


@pytest.mark.parametrize(("language", "text", "minor"), GOOD)
def test_gap_rule_amount_reads_the_same_on_page_and_api(
    cast: Cast, fy: int, login: Any, language: str, text: str, minor: int
) -> None:
    r = page_client(login, cast.executive, language).post(
        f"/objectives/reconciliation/?fy={fy}", {"kind": "reserve", "amount": text, "apply": "1"}
    )
    assert r.status_code == 302
    assert GapRule.objects.get().amount == minor
    GapRule.objects.all().delete()
    r = api(
        "POST",
        "/gap-rules",
        cast.token(cast.executive),
        language,
        {"fiscal_year": fy, "kind": "reserve", "amount": text},
    )
    assert r.status_code == 201, r.content
    assert GapRule.objects.get().amount == minor


@pytest.mark.parametrize(
    ("language", "text", "target"),
    [
        ("fr", "1 250,5", "1250.50"),
        ("fr", "12,5", "12.50"),
        ("en", "1,250.5", "1250.50"),
        ("en", "1,250", "1250.00"),  # a thousand and more, not 1.25
        ("en", "12.5", "12.50"),
    ],
)
def test_a_key_result_target_reads_as_typed_on_the_page_and_in_the_api(
    cast: Cast, fy: int, login: Any, language: str, text: str, target: str
) -> None:
    from decimal import Decimal

    from pacte.objectives import services
    from pacte.objectives.models import KeyResult

    objective = services.save_draft(seller=cast.seller, fiscal_year=fy, amount=100_000)
    client = page_client(login, cast.seller, language)
    r = client.post(
        f"/objectives/o/{objective.uuid}/plan/",
        {"action": "key_result", "name": "New accounts", "target": text},
    )
    assert r.status_code == 302, r.content.decode()
    assert KeyResult.objects.get().target == Decimal(target)
    KeyResult.objects.all().delete()

    r = api(
        "POST",
        f"/{objective.uuid}/key-results",
        cast.token(cast.seller),
        language,
        {"name": "New accounts", "target": text},
    )
    assert r.status_code == 201, r.content
    assert KeyResult.objects.get().target == Decimal(target)


@pytest.mark.parametrize(
    ("language", "text", "message"),
    [
        ("fr", "1,250", "au plus deux décimales"),
        ("fr", "1.250,5", "est un nombre positif ou nul"),
        ("en", "12,5", "is a number, zero or more"),
        ("en", "-3", "is a number, zero or more"),
    ],
)
def test_a_key_result_target_that_reads_two_ways_is_refused(
    cast: Cast, fy: int, login: Any, language: str, text: str, message: str
) -> None:
    from pacte.objectives import services
    from pacte.objectives.models import KeyResult

    objective = services.save_draft(seller=cast.seller, fiscal_year=fy, amount=100_000)
    client = page_client(login, cast.seller, language)
    r = client.post(
        f"/objectives/o/{objective.uuid}/plan/",
        {"action": "key_result", "name": "New accounts", "target": text},
    )
    assert message in html.unescape(r.content.decode())
    assert not KeyResult.objects.exists()

"""Typed amounts on the targets pages and API (company target, holds, potentials file): the
same text gives the same integer in both languages; bad input is refused next to the field,
in the reader's language, and nothing is stored."""

from __future__ import annotations

import html
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from pacte.planning.models import CascadeRun, CompanyTarget, Potential
from pacte.testing.cast import Cast

GOOD = [
    ("fr", "1 250 000,50", 125_000_050),
    ("fr", "1250000,5", 125_000_050),
    ("fr", "1\u202f250\u202f000,50\u00a0€", 125_000_050),
    ("en", "1,250,000.50", 125_000_050),
    ("en", "1250000.5", 125_000_050),
    ("en", "€1,250,000.50", 125_000_050),
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


def speaking(member: Any, language: str) -> Any:
    member.user.language = language
    member.user.save()
    return member


def api(token: str, language: str, method: str, url: str, body: dict[str, Any]) -> Any:
    return Client().generic(
        method,
        f"/api/v1/targets{url}",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_ACCEPT_LANGUAGE=language,
    )


@pytest.mark.parametrize(("language", "text", "minor"), GOOD)
def test_company_target_reads_the_same_on_page_and_api(
    cast: Cast, login: Any, fy: int, language: str, text: str, minor: int
) -> None:
    client = login(speaking(cast.executive, language))
    r = client.post("/targets/target/", {"year": f"FY{fy}", "amount": text})
    assert r.status_code == 302, r.content.decode()
    assert CompanyTarget.objects.get().amount == minor
    CompanyTarget.objects.all().delete()
    r = api(
        cast.token(cast.executive),
        language,
        "PUT",
        "/company-target",
        {"year": f"FY{fy}", "amount": text},
    )
    assert r.status_code == 200, r.content
    assert r.json()["amount"] == minor


def test_the_target_field_shows_the_amount_in_the_readers_language(
    cast: Cast, login: Any, fy: int
) -> None:
    CompanyTarget.objects.create(workspace=cast.workspace, fiscal_year=fy, amount=125_000_050)
    page = login(speaking(cast.executive, "fr")).get(f"/targets/?year=FY{fy}").content.decode()
    assert 'value="1250000,50"' in page
    page = login(speaking(cast.executive, "en")).get(f"/targets/?year=FY{fy}").content.decode()
    assert 'value="1250000.50"' in page


@pytest.mark.parametrize(("text", "language", "code"), BAD)
def test_bad_company_target_is_refused_next_to_the_field(
    cast: Cast, login: Any, fy: int, text: str, language: str, code: str
) -> None:
    client = login(speaking(cast.executive, language))
    r = client.post("/targets/target/", {"year": f"FY{fy}", "amount": text})
    assert r.status_code == 422
    page = r.content.decode()
    # Django renders the field's errors right before its input, inside the field's group.
    group = page.split('name="amount"', 1)[0].rsplit("<label", 1)[1]
    assert MESSAGES[(code, language)] in html.unescape(group)
    assert not CompanyTarget.objects.exists()
    r = api(
        cast.token(cast.executive),
        language,
        "PUT",
        "/company-target",
        {"year": f"FY{fy}", "amount": text},
    )
    assert r.status_code == 422
    assert (r.json()["code"], r.json()["field"]) == (code, "amount")
    assert MESSAGES[(code, language)] in r.json()["message"]
    assert not CompanyTarget.objects.exists()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_hold_reads_like_every_amount(
    cast: Cast, login: Any, fy: int, target: Any, language: str
) -> None:
    typed = "100 000,50" if language == "fr" else "100,000.50"
    client = login(speaking(cast.executive, language))
    data = {
        "year": f"FY{fy}",
        "method": "equal",
        "window_months": 12,
        "ramp_months": 3,
        "phasing": "flat",
        "effective_from": 1,
        "holds": f"seller@acme.example = {typed}",
    }
    r = client.post("/targets/cascade/", data)
    assert r.status_code == 302, r.content.decode()
    run = CascadeRun.objects.get()
    assert run.parameters["holds"] == {str(cast.seller.uuid): 100_000_50}
    r = api(
        cast.token(cast.executive),
        language,
        "POST",
        "/runs",
        {"year": f"FY{fy}", "holds": {str(cast.seller.uuid): typed}},
    )
    assert r.status_code == 201, r.content
    assert r.json()["parameters"]["holds"] == {str(cast.seller.uuid): 100_000_50}


@pytest.mark.parametrize(("text", "language", "code"), [b for b in BAD if b[0]])
def test_a_bad_hold_is_refused_next_to_the_holds(
    cast: Cast, login: Any, fy: int, target: Any, text: str, language: str, code: str
) -> None:
    client = login(speaking(cast.executive, language))
    data = {
        "year": f"FY{fy}",
        "method": "equal",
        "window_months": 12,
        "ramp_months": 3,
        "phasing": "flat",
        "effective_from": 1,
        "holds": f"lead@acme.example = 5\nseller@acme.example = {text}",
    }
    r = client.post("/targets/cascade/", data)
    page = html.unescape(r.content.decode())
    group = page.split('name="holds"', 1)[0].rsplit("<label", 1)[1]
    assert MESSAGES[(code, language)] in group
    assert ("ligne 2" if language == "fr" else "line 2") in group
    r = api(
        cast.token(cast.executive),
        language,
        "POST",
        "/runs",
        {"year": f"FY{fy}", "holds": {str(cast.seller.uuid): text}},
    )
    assert r.status_code == 422
    assert (r.json()["code"], r.json()["field"]) == (code, "holds")
    assert not CascadeRun.objects.exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"seller,potential\nseller@acme.example,250000.50\n", 25_000_050),
        (b"seller;potential\nseller@acme.example;250000,50\n", 25_000_050),
        (b'seller;potential\nseller@acme.example;"250 000,50"\n', 25_000_050),
        (b'seller,potential\nseller@acme.example,"250,000.50"\n', 25_000_050),
    ],
)
def test_potentials_file_reads_either_decimal_mark(
    cast: Cast, login: Any, fy: int, content: bytes, expected: int
) -> None:
    upload = SimpleUploadedFile("p.csv", content)
    r = login(cast.admin).post("/targets/potential/", {"year": f"FY{fy}", "file": upload})
    assert r.status_code == 302, r.content.decode()
    assert Potential.objects.get().amount == expected


@pytest.mark.parametrize(
    "content",
    [
        b"seller,potential\nseller@acme.example,-5\n",
        b"seller,potential\nseller@acme.example,1e6\n",
        b"seller,potential\nseller@acme.example,\n",
        b"seller,potential\nseller@acme.example," + b"1" * 25 + b"\n",
        # "1,500" is 1500 in English and 1.5 in French: refused, never guessed
        b'seller,potential\nseller@acme.example,"1,500"\n',
    ],
)
def test_potentials_file_refuses_bad_amounts_whole(
    cast: Cast, login: Any, fy: int, content: bytes
) -> None:
    upload = SimpleUploadedFile("p.csv", content)
    r = login(cast.admin).post("/targets/potential/", {"year": f"FY{fy}", "file": upload})
    assert r.status_code == 200
    assert not Potential.objects.exists()

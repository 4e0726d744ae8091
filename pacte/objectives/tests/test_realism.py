"""Realism on "My objective": the partial the page asks for as the seller types, in both
languages, for each band; the page without JavaScript and the API say the same."""

from __future__ import annotations

import pytest
from django.test import Client

from pacte.objectives import references
from pacte.sales.models import CubeCell
from pacte.testing.cast import Cast

pytestmark = pytest.mark.usefixtures("published")  # reference share: 120,000.00


@pytest.fixture(autouse=True)
def history(cast: Cast, fy: int) -> None:
    """Sam sold 100,000.00 last fiscal year."""
    months = references.fy_months(cast.workspace, fy - 1)
    CubeCell.objects.bulk_create(
        CubeCell(
            workspace=cast.workspace,
            seller=cast.seller,
            unit=cast.team,
            channel=cast.channel,
            month=m,
            split_amount=100_000_00 // 12 + (1 if i < 100_000_00 % 12 else 0),
        )
        for i, m in enumerate(months)
    )


def _partial(client: Client, fy: int, amount: str) -> str:
    response = client.get(
        f"/objectives/mine/realism/?fy={fy}", {"amount": amount}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    return response.content.decode()


@pytest.mark.parametrize(
    ("amount", "headline", "details"),
    [
        (
            "90000",
            "Below your history: less than you sold last year",
            ["−10% on your sales of last year (€100,000).", "25% below your reference share"],
        ),
        (
            "110000",
            "Realistic: in line with your history",
            [
                "+10% on your sales of last year",
                "Inside the suggested range, €100,000 to €120,000.",
            ],
        ),
        (
            "123 000",
            "Ambitious: well above your history",
            ["+23% on your sales", "At your reference share (€120,000)."],
        ),
        (
            "165000",
            "Very ambitious: far above your history",
            [
                "+65% on your sales of last year (€100,000).",
                "38% above your reference share (€120,000).",
                "Above the suggested range, €100,000 to €120,000.",
            ],
        ),
    ],
)
def test_realism_partial_in_english(cast, fy, login, amount, headline, details) -> None:
    body = _partial(login(cast.seller), fy, amount)
    assert f'<strong data-testid="realism-headline">{headline}</strong>' in body
    for text in details:
        assert text in body
    assert "<html" not in body


@pytest.mark.parametrize(
    ("amount", "headline", "detail"),
    [
        (
            "90000",
            "En dessous de votre historique\u00a0: moins que vos ventes de l'an dernier",
            "\u221210\u00a0%",
        ),
        (
            "110000",
            "Réaliste\u00a0: dans la ligne de votre historique",
            "+10\u00a0% sur vos ventes",
        ),
        (
            "123 000",
            "Ambitieux\u00a0: nettement au-dessus de votre historique",
            "Au niveau de votre part de référence",
        ),
        (
            "165000",
            "Très ambitieux\u00a0: très au-dessus de votre historique",
            "+65\u00a0% sur vos ventes de l'an dernier (100\u202f000\u00a0€).",
        ),
    ],
)
def test_realism_partial_in_french(cast, fy, login, amount, headline, detail) -> None:
    cast.seller.user.language = "fr"
    cast.seller.user.save()
    body = _partial(login(cast.seller), fy, amount).replace("&#x27;", "'")
    assert headline in body
    assert detail in body


def test_a_french_decimal_comma_is_read_as_french(cast, fy, login) -> None:
    cast.seller.user.language = "fr"
    cast.seller.user.save()
    body = _partial(login(cast.seller), fy, "164\u202f999,50").replace("&#x27;", "'")
    # 164,999.50 on last year's 100,000: +65 %, not a hundred times that.
    assert "Très ambitieux" in body
    assert "+65\u00a0% sur vos ventes de l'an dernier" in body


def test_what_is_not_an_amount_is_said_and_not_judged(cast, fy, login) -> None:
    body = _partial(login(cast.seller), fy, "lots")
    assert "is not an amount" in body
    assert "ambitious" not in body.lower()


def test_the_page_without_javascript_says_the_same_and_wires_the_partial(cast, fy, login) -> None:
    client = login(cast.seller)
    page = client.post(
        f"/objectives/mine/?fy={fy}",
        {"amount": "165000", "action": "save", "narrative": ""},
        follow=True,
    ).content.decode()
    assert "Very ambitious: far above your history" in page
    assert "+65% on your sales of last year (€100,000)." in page
    assert 'hx-trigger="input changed delay:300ms from:#objective-form target:#id_amount"' in page
    assert f'hx-get="/objectives/mine/realism/?fy={fy}"' in page


def test_the_api_says_the_same(cast, fy) -> None:
    client = Client(headers={"Authorization": f"Bearer {cast.token(cast.seller)}"})
    data = client.get(f"/api/v1/objectives/realism?fiscal_year={fy}&amount={165_000_00}").json()
    assert data["level"] == "very_ambitious"
    assert data["growth"] == "0.6500"
    assert data["headline"] == "Very ambitious: far above your history"
    assert "+65% on your sales of last year (€100,000)." in data["sentences"]
    assert (data["history"], data["reference"], data["low"], data["high"]) == (
        100_000_00,
        120_000_00,
        100_000_00,
        120_000_00,
    )
    bad = client.get(f"/api/v1/objectives/realism?fiscal_year={fy}&amount=-5")
    assert bad.status_code in (400, 422)
    lead = Client(headers={"Authorization": f"Bearer {cast.token(cast.executive)}"})
    assert lead.get("/api/v1/objectives/realism?amount=1").status_code == 403


def test_only_sellers_ask(cast, fy, login) -> None:
    response = login(cast.executive).get(f"/objectives/mine/realism/?fy={fy}&amount=1")
    assert response.status_code == 403

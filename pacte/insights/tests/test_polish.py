"""The insights pages read well: periods and months in words, one forecast column, the
cockpit's team, credit kinds translated."""

from __future__ import annotations

import html as html_lib
import re

import pytest

pytestmark = pytest.mark.django_db


def _french(member) -> None:  # type: ignore[no-untyped-def]
    member.user.language = "fr"
    member.user.save(update_fields=["language"])


def _thead_cells(html: str) -> list[list[str]]:
    heads = re.findall(r"<thead>(.*?)</thead>", html, flags=re.S)
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<th\b.*?</th>", h)] for h in heads
    ]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_team_page_has_one_forecast_column_per_table(sales, quotas, login, language):
    if language == "fr":
        _french(sales.lead)
    html = (
        login(sales.lead).get(f"/insights/teams/{sales.team.uuid}/?period=FY2026").content.decode()
    )
    word = "Forecast" if language == "en" else "Prévision"
    tables = _thead_cells(html)
    sellers = next(t for t in tables if t and t[0] in ("Seller", "Vendeur"))
    assert [c for c in sellers if word.lower() in c.lower()] == [word]
    for head in tables:
        assert len([c for c in head if word.lower() in c.lower()]) <= 1, head


@pytest.mark.parametrize("language", ["en", "fr"])
def test_cockpit_links_back_to_its_team(sales, quotas, login, language):
    if language == "fr":
        _french(sales.seller)
    html = login(sales.seller).get(f"/insights/sellers/{sales.seller.uuid}/").content.decode()
    link = re.search(
        rf'<a href="/insights/teams/{sales.team.uuid}/\?period=FY2026">([^<]+)</a>', html
    )
    assert link is not None
    assert link.group(1) == ("Team North" if language == "en" else "Équipe North")


@pytest.mark.parametrize(
    ("language", "may", "june"),
    [("en", "May 2026", "June 2026"), ("fr", "mai 2026", "juin 2026")],
)
def test_what_if_names_months(sales, quotas, login, language, may, june):
    if language == "fr":
        _french(sales.seller)
    client = login(sales.seller)
    html = client.get(f"/insights/sellers/{sales.seller.uuid}/?period=FY2026").content.decode()
    select = re.search(r'<select name="month"[^>]*>(.*?)</select>', html, flags=re.S).group(1)  # type: ignore[union-attr]
    options = re.findall(r'<option value="(\d+)"( selected)?>([^<]+)</option>', select)
    assert [int(v) for v, _s, _l in options] == list(range(1, 13))
    assert options[4][1:] == (" selected", may)  # the current month is offered first
    response = client.post(
        f"/insights/sellers/{sales.seller.uuid}/what-if/?period=FY2026",
        {"amount": "5000", "month": "6"},
        HTTP_HX_REQUEST="true",
    )
    body = html_lib.unescape(response.content.decode())
    assert response.status_code == 200
    assert (f"With the deal in {june}" if language == "en" else f"Avec l'affaire en {june}") in body


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["May 2026", "Q2 FY2026", "FY2026"]),
        ("fr", ["mai 2026", "T2 Ex. 2026", "Ex. 2026"]),
    ],
)
def test_summary_and_cockpit_name_periods_not_keys(sales, quotas, login, language, expected):
    if language == "fr":
        _french(sales.seller)
    client = login(sales.seller)
    for url in (
        "/insights/?period=FY2026",
        f"/insights/sellers/{sales.seller.uuid}/?period=FY2026",
    ):
        html = client.get(url).content.decode()
        text = re.sub(r"<(script|select)\b.*?</\1>", "", html, flags=re.S)
        text = re.sub(r'(href|value|action|hx-post)="[^"]*"', "", text)
        for key in ("FY2026-M05", "FY2026-Q2", "FY2026-YTD"):
            assert key not in text, (url, key)
        for label in expected:
            assert label in text, (url, label)


@pytest.mark.parametrize(("language", "credit"), [("en", "Split"), ("fr", "Partagé")])
def test_cockpit_names_credit_kinds(cast, login, language, credit):
    import datetime

    from pacte.lib.fiscal import Month
    from pacte.sales.models import Credit, Sale

    sale = Sale.objects.create(
        workspace=cast.workspace,
        external_id="S1",
        date=datetime.date(2026, 5, 2),
        month=Month(2026, 5).index,
        amount=100_00,
        channel=cast.channel,
        row_hash=1,
    )
    Credit.objects.create(
        workspace=cast.workspace, sale=sale, seller=cast.seller, unit=cast.team,
        kind="split", basis_points=10_000, amount=100_00,
    )  # fmt: skip
    if language == "fr":
        _french(cast.seller)
    html = login(cast.seller).get(f"/insights/sellers/{cast.seller.uuid}/").content.decode()
    assert f"<td>{credit}</td>" in html
    assert "<td>split</td>" not in html


@pytest.mark.parametrize(("language", "march"), [("en", "March 2026"), ("fr", "mars 2026")])
def test_period_close_names_months(sales, login, language, march):
    if language == "fr":
        _french(sales.admin)
    client = login(sales.admin)
    html = client.get("/insights/close/?period=FY2026").content.decode()
    assert f"<td>{march}</td>" in html
    response = client.post(
        "/insights/close/?period=FY2026", {"month": "2026-03", "action": "close"}, follow=True
    )
    assert march in response.content.decode()

"""The monthly PDF report: produced server-side, with the team's name, in the member's language."""

from __future__ import annotations

import pytest

from pacte.insights import pdf, periods


def _meta(text: str) -> bytes:
    """How fpdf2 writes a metadata string: UTF-16 (big endian) in hexadecimal."""
    return text.encode("utf-16-be").hex().encode()


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "fr"])
def test_team_report_pdf_is_produced_in_the_members_language(sales, quotas, login, language):
    sales.executive.user.language = language
    sales.executive.user.save()
    response = login(sales.executive).get(
        f"/insights/report.pdf?period=FY2026&team={sales.team.uuid}"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    content = response.content
    assert content.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]
    # the document's title and subject (metadata, UTF-16 in hex) name the team, in the language
    period = "Période" if language == "fr" else "Period"
    assert _meta(f"{period} FY2026 · {sales.team.name}") in content
    assert _meta(sales.team.name) in content


@pytest.mark.django_db
def test_company_report_pdf_from_the_api(sales, quotas, client):
    token = sales.token(sales.executive)
    response = client.get(
        "/api/v1/insights/report.pdf?period=FY2026", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert response["Content-Type"] == "application/pdf"


@pytest.mark.django_db
def test_pdf_falls_back_to_core_font_without_dejavu(sales, quotas):
    from pacte.insights import dashboard

    choice = periods.resolve_period(sales.workspace, "FY2026")
    data = dashboard.unit_view(sales.executive, sales.team.pk, choice, with_sellers=True)
    content = pdf.render(data, "Équipe “Nord”", currency="EUR", unicode_font=False)
    assert content.startswith(b"%PDF")


@pytest.mark.django_db
def test_report_links_on_overview_and_team_pages(sales, quotas, login):
    client = login(sales.executive)
    assert "/insights/report.pdf?" in client.get("/insights/?period=FY2026").content.decode()
    body = client.get(f"/insights/teams/{sales.team.uuid}/?period=FY2026").content.decode()
    assert f"/insights/report.pdf?period=FY2026&amp;team={sales.team.uuid}" in body

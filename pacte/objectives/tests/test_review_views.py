"""Period review pages: the seller writes, the lead answers, executives read the reasons and
export them (formulas neutralised), admins edit the reasons; refusals are shown where they are."""

from __future__ import annotations

import datetime
import io

import pytest

from pacte.objectives import reviews
from pacte.objectives.models import PeriodReview
from pacte.objectives.tests.conftest import publish
from pacte.testing.cast import Cast


@pytest.fixture
def asked(cast: Cast, period) -> PeriodReview:
    fy, q = period
    reviews.request_reviews(workspace=cast.workspace, fiscal_year=fy, quarter=q)
    return PeriodReview.objects.get(seller=cast.seller)


def test_seller_writes_and_lead_answers(cast: Cast, asked: PeriodReview, login) -> None:
    seller = login(cast.seller)
    url = f"/objectives/reviews/{asked.uuid}/"
    page = seller.get(url)
    assert page.status_code == 200
    assert "Pipeline slipped" in page.content.decode()
    r = seller.post(url, {"reasons": ["weather"], "next_change": "Calls", "version": "1"})
    assert r.status_code == 400
    html = r.content.decode()
    assert 'id="reasons-error"' in html
    assert "Calls" in html  # what was typed is kept
    r = seller.post(
        url, {"reasons": ["pricing"], "text": "Too dear", "next_change": "Bundle", "version": "1"}
    )
    assert r.status_code == 302
    lead = login(cast.lead)
    listing = lead.get(f"/objectives/reviews/?fy={asked.fiscal_year}").content.decode()
    assert "1 review waits for your answer." in listing
    r = lead.post(url, {"action": "answer", "answer": "", "version": "2"})
    assert r.status_code == 400
    assert 'id="answer-error"' in r.content.decode()
    r = lead.post(url, {"action": "answer", "answer": "Let's bundle", "version": "2"})
    assert r.status_code == 302
    assert "Let&#x27;s bundle" in seller.get(url).content.decode()


def test_others_cannot_answer_or_see(cast: Cast, asked: PeriodReview, login) -> None:
    url = f"/objectives/reviews/{asked.uuid}/"
    assert login(cast.other_seller).get(url).status_code == 404
    r = login(cast.executive).post(url, {"action": "answer", "answer": "x"})
    assert r.status_code == 404


def test_french_review_page(cast: Cast, asked: PeriodReview, login) -> None:
    client = login(cast.seller)
    client.cookies["django_language"] = "fr"
    html = client.get(f"/objectives/reviews/{asked.uuid}/", HTTP_ACCEPT_LANGUAGE="fr")
    text = html.content.decode()
    assert "Pipeline décalé" in text
    assert "Ce que je change au prochain trimestre" in text


def test_summary_export_neutralises_formulas(cast: Cast, asked: PeriodReview, login) -> None:
    from openpyxl import load_workbook

    cast.team.name = "=HYPERLINK(1)"
    cast.team.save(update_fields=["name"])
    reviews.submit_review(review=asked, actor=cast.seller, reasons=["pricing"], next_change="x")
    client = login(cast.executive)
    page = client.get(f"/objectives/reviews/summary/?fy={asked.fiscal_year}")
    assert page.status_code == 200
    assert "Pricing" in page.content.decode()
    csv = client.get(f"/objectives/reviews/summary/export/?fy={asked.fiscal_year}&format=csv")
    assert csv.status_code == 200
    assert csv.content.startswith(b"\xef\xbb\xbf")  # a spreadsheet reads the accents right
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Team,Reason,Reviews,Gap"
    assert lines[1].startswith("'=HYPERLINK(1),Pricing,1,30000")
    xlsx = client.get(f"/objectives/reviews/summary/export/?fy={asked.fiscal_year}&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["A2"].value == "=HYPERLINK(1)"
    assert sheet["A2"].data_type == "s"
    assert login(cast.lead).get("/objectives/reviews/summary/").status_code == 403


def test_asking_for_an_open_quarter_says_why(cast: Cast, login) -> None:
    from django.utils import timezone

    from pacte.objectives import references

    cal = references.calendar_of(cast.workspace)
    today = timezone.localdate()
    r = login(cast.executive).post(
        "/objectives/reviews/summary/",
        {"fy": cal.year_of(today), "quarter": cal.quarter_of(today)},
    )
    assert r.status_code == 400
    assert "is not closed yet" in r.content.decode()
    assert not PeriodReview.objects.exists()


def test_admin_edits_reasons(cast: Cast, login) -> None:
    client = login(cast.admin)
    assert client.get("/objectives/reviews/reasons/").status_code == 200
    r = client.post(
        "/objectives/reviews/reasons/",
        {
            "count": "2",
            "code_0": "pricing",
            "name_en_0": "Price",
            "name_fr_0": "Tarif",
            "active_0": "on",
            "name_en_1": "Supply",
            "name_fr_1": "Approvisionnement",
            "active_1": "on",
        },
    )
    assert r.status_code == 302
    active = [r.code for r in reviews.reasons_of(cast.workspace, active_only=True)]
    assert active == ["pricing", "supply"]
    r = client.post("/objectives/reviews/reasons/", {"count": "1", "code_0": "x"})
    assert r.status_code == 400


def test_list_and_summary_queries_do_not_grow_with_reviews(
    cast: Cast,
    period,
    login,
    django_assert_max_num_queries,
) -> None:
    """However many reviews: the list, the summary and the team check-ins read in a fixed
    number of queries."""
    from pacte.org.services import create_member

    fy, q = period
    for i in range(12):
        create_member(
            workspace=cast.workspace,
            actor=None,
            email=f"s{i}@acme.example",
            name=f"Seller {i}",
            roles={"seller"},
            unit=cast.team,
            joined_on=datetime.date(2020, 1, 1),
        )
    members = list(type(cast.seller).objects.filter(workspace=cast.workspace, is_seller=True))
    publish(cast, fy, dict.fromkeys(members, 12_000_00))
    created = reviews.request_reviews(workspace=cast.workspace, fiscal_year=fy, quarter=q)
    assert len(created) >= 12
    for review in created:
        reviews.submit_review(
            review=review, actor=review.seller, reasons=["pricing", "absence"], next_change="x"
        )
    lead, executive = login(cast.lead), login(cast.executive)
    with django_assert_max_num_queries(20):
        assert lead.get(f"/objectives/reviews/?fy={fy}").status_code == 200
    with django_assert_max_num_queries(20):
        assert executive.get(f"/objectives/reviews/summary/?fy={fy}&by=team").status_code == 200
    with django_assert_max_num_queries(20):
        assert executive.get(f"/objectives/reviews/summary/?fy={fy}&by=channel").status_code == 200
    with django_assert_max_num_queries(20):
        assert lead.get(f"/objectives/check-ins/?fy={fy}").status_code == 200


def test_lead_posting_the_sellers_form_is_refused_with_a_message(
    cast: Cast, asked: PeriodReview, login
) -> None:
    r = login(cast.lead).post(
        f"/objectives/reviews/{asked.uuid}/", {"reasons": ["pricing"], "next_change": "x"}
    )
    assert r.status_code == 403
    assert "A review is written by the seller it is about." in r.content.decode()
    asked.refresh_from_db()
    assert asked.status == "requested"

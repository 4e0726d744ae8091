"""Period reviews of partners: a partner below its objective at a quarter's close is asked like
a seller, its people write the review through their partner pages and API, its channel manager
answers, executives read it with the others (by channel); a partner's login reads only its own
organisation's reviews (404 otherwise)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pacte.accounts.models import Membership
from pacte.accounts.services import create_api_token
from pacte.audit.models import AuditEvent
from pacte.objectives import reviews, selectors
from pacte.objectives.models import Notification, Objective, PeriodReview, ReviewStatus
from pacte.partners.models import Partner
from pacte.partners.tests.helpers import add_person, make_partner
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db


@dataclass
class Asked:
    alpine: Partner
    tessin: Partner
    person: Membership
    mine: PeriodReview
    theirs: PeriodReview
    sellers: PeriodReview


def _bearer(member: Membership) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {create_api_token(member=member, name='t')[1]}"}


@pytest.fixture
def asked(cast: Cast, django_capture_on_commit_callbacks) -> Asked:  # type: ignore[no-untyped-def]
    """Alpine (channel manager: the lead) and Tessin (the executive) each committed 10 000.00 a
    month of the quarter that closed last and sold nothing, as did the seller: the schedule's
    request asks all three for a review."""
    ws = cast.workspace
    alpine = make_partner(cast)
    tessin = make_partner(cast, code="tessin", name="Tessin Trade", owner=cast.executive)
    person = add_person(alpine, "paula@alpine.example")
    fy, q = reviews.last_closed_quarter(ws, timezone.localdate())
    for seller in (alpine.seat, tessin.seat, cast.seller):
        Objective.objects.create(
            workspace=ws,
            seller=seller,
            fiscal_year=fy,
            status="agreed",
            amount=120_000_00,
            months=[10_000_00] * 12,
        )
    with django_capture_on_commit_callbacks(execute=True):
        reviews.request_reviews(workspace=ws, fiscal_year=fy, quarter=q)
    found = {r.seller_id: r for r in PeriodReview.objects.filter(fiscal_year=fy, quarter=q)}
    return Asked(
        alpine, tessin, person, found[alpine.seat_id], found[tessin.seat_id], found[cast.seller.pk]
    )


def test_a_partner_below_its_objective_is_asked_like_a_seller(cast: Cast, asked: Asked) -> None:
    review = asked.mine
    assert (review.basis, review.committed, review.actual, review.gap) == (
        "objective",
        30_000_00,
        0,
        30_000_00,
    )
    # What no channel carries is the partner's own channel's, so "by channel" puts it there.
    assert review.gap_by_channel == {"distributors": 30_000_00}
    # The seat's notice reaches the partner's people, pointing to their own page of the review.
    notice = Notification.objects.get(recipient=asked.person, kind="review_requested")
    assert notice.url == reverse("partner:review", args=[review.uuid])


def test_partner_person_writes_the_review_and_channel_manager_answers(
    cast: Cast, asked: Asked, login
) -> None:
    client = login(asked.person)
    home = client.get(reverse("partner:home") + f"?fy={asked.mine.fiscal_year}")
    assert reverse("partner:review", args=[asked.mine.uuid]) in home.content.decode()
    url = reverse("partner:review", args=[asked.mine.uuid])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="reasons"' in page.content.decode()
    refused = client.post(url, {"reasons": ["other"], "next_change": "More demos", "version": 1})
    assert refused.status_code == 400
    assert "say what happened" in refused.content.decode()
    sent = client.post(
        url,
        {"reasons": ["pipeline_slipped"], "text": "Two orders slipped", "next_change": "Demos"},
    )
    assert sent.status_code == 302
    review = PeriodReview.objects.get(pk=asked.mine.pk)
    assert (review.status, review.reasons) == (ReviewStatus.SUBMITTED, ["pipeline_slipped"])
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"review.submitted", "partner.review_submitted"} <= actions
    assert AuditEvent.objects.get(action="partner.review_submitted").actor == asked.person
    # The channel manager is told, sees it among their reviews and answers it on the company side.
    assert Notification.objects.filter(recipient=cast.lead, kind="review_submitted").exists()
    lead = login(cast.lead)
    listed = lead.get(reverse("objectives:reviews") + f"?fy={review.fiscal_year}")
    assert "Alpine Distribution" in listed.content.decode()
    assert "Tessin Trade" not in listed.content.decode()  # the executive's partner
    answered = lead.post(
        reverse("objectives:review", args=[review.uuid]),
        {"action": "answer", "answer": "Let us plan the demos together", "version": 2},
    )
    assert answered.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.answered_by) == (ReviewStatus.ANSWERED, cast.lead)
    notice = Notification.objects.get(recipient=asked.person, kind="review_answered")
    assert notice.url == url
    closed = client.get(url).content.decode()
    assert "Let us plan the demos together" in closed
    assert 'name="reasons"' not in closed  # answered: closed for the partner


def test_partner_reviews_through_the_api(cast: Cast, asked: Asked) -> None:
    headers = _bearer(asked.person)
    listed = Client().get("/api/v1/partner/reviews", **headers)
    assert listed.status_code == 200
    assert [r["uuid"] for r in listed.json()] == [str(asked.mine.uuid)]
    path = f"/api/v1/partner/reviews/{asked.mine.uuid}/submit"
    bad = Client().post(
        path, {"reasons": ["weather"], "next_change": "x"}, "application/json", **headers
    )
    assert (bad.status_code, bad.json()["code"]) == (400, "reason_invalid")
    sent = Client().post(
        path,
        {"reasons": ["pricing"], "next_change": "New price list", "version": 1},
        "application/json",
        **headers,
    )
    assert sent.status_code == 200, sent.content
    assert (sent.json()["status"], sent.json()["version"]) == ("submitted", 2)
    stale = Client().post(
        path,
        {"reasons": ["pricing"], "next_change": "y", "version": 1},
        "application/json",
        **headers,
    )
    assert stale.status_code == 412
    answer = Client().post(
        f"/api/v1/objectives/reviews/{asked.mine.uuid}/answer",
        {"answer": "Agreed"},
        "application/json",
        **_bearer(cast.lead),
    )
    assert answer.status_code == 200, answer.content
    got = Client().get(f"/api/v1/partner/reviews/{asked.mine.uuid}", **headers).json()
    assert (got["status"], got["answer"]) == ("answered", "Agreed")


def test_partner_login_reads_only_its_own_reviews(cast: Cast, asked: Asked, login) -> None:
    client = login(asked.person)
    headers = _bearer(asked.person)
    for other in (asked.theirs, asked.sellers):
        assert client.get(reverse("partner:review", args=[other.uuid])).status_code == 404
        posted = client.post(
            reverse("partner:review", args=[other.uuid]),
            {"reasons": ["pricing"], "next_change": "x"},
        )
        assert posted.status_code == 404
        assert Client().get(f"/api/v1/partner/reviews/{other.uuid}", **headers).status_code == 404
        submit = Client().post(
            f"/api/v1/partner/reviews/{other.uuid}/submit",
            {"reasons": ["pricing"], "next_change": "x"},
            "application/json",
            **headers,
        )
        assert submit.status_code == 404
        # The company side of reviews stays closed to them.
        assert client.get(reverse("objectives:review", args=[other.uuid])).status_code == 404
        assert (
            Client().get(f"/api/v1/objectives/reviews/{other.uuid}", **headers).status_code == 404
        )
    assert client.get(reverse("objectives:reviews")).status_code == 404
    other = PeriodReview.objects.get(pk=asked.theirs.pk)
    assert other.status == ReviewStatus.REQUESTED
    # Company people have no partner review page, not even the channel manager.
    for member in (cast.lead, cast.executive):
        url = reverse("partner:review", args=[asked.mine.uuid])
        assert login(member).get(url).status_code == 404


def test_channel_manager_answers_only_their_own_partners(cast: Cast, asked: Asked) -> None:
    assert set(selectors.reviews_answerable_by(cast.lead)) >= {asked.mine}
    assert asked.theirs not in selectors.reviews_answerable_by(cast.lead)
    assert asked.theirs not in selectors.reviews_visible_to(cast.lead)
    assert asked.mine not in selectors.reviews_answerable_by(cast.executive)
    assert asked.theirs in selectors.reviews_answerable_by(cast.executive)
    assert asked.mine not in selectors.reviews_visible_to(cast.other_seller)
    reviews.submit_review(
        review=asked.theirs, actor=asked.tessin.seat, reasons=["pricing"], next_change="x"
    )
    response = Client().post(
        f"/api/v1/objectives/reviews/{asked.theirs.uuid}/answer",
        {"answer": "Not mine"},
        "application/json",
        **_bearer(cast.lead),
    )
    assert response.status_code == 404


def test_executive_reads_partner_reviews_with_the_others_by_channel(
    cast: Cast, asked: Asked, login
) -> None:
    for review, seller in ((asked.mine, asked.alpine.seat), (asked.sellers, cast.seller)):
        reviews.submit_review(review=review, actor=seller, reasons=["pricing"], next_change="x")
    rows = selectors.reason_summary(cast.executive, asked.mine.fiscal_year, by="channel")
    by_group = {(r.group, r.reason): r.gap for r in rows}
    assert by_group[("distributors", "pricing")] == 30_000_00
    page = login(cast.executive).get(
        reverse("objectives:reviews") + f"?fy={asked.mine.fiscal_year}"
    )
    text = page.content.decode()
    assert "Alpine Distribution" in text
    assert "Tessin Trade" in text
    assert cast.seller.name in text

"""Period reviews: who is asked (once), the seller's review and its refusals, the lead's answer,
the reasons list (audited), the reasons summary, the schedule and the API."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.http import Http404
from django.test import Client
from django.utils import timezone

from pacte.audit.models import AuditEvent
from pacte.errors import DomainError, PermissionDenied
from pacte.objectives import reviews, selectors
from pacte.objectives.models import Notification, PeriodReview, ReviewStatus
from pacte.testing.cast import Cast


def _asked(cast: Cast, period: tuple[int, int]) -> list[PeriodReview]:
    fy, q = period
    return reviews.request_reviews(workspace=cast.workspace, fiscal_year=fy, quarter=q)


def _review(cast: Cast, member: Any, period: tuple[int, int]) -> PeriodReview:
    return PeriodReview.objects.get(seller=member, fiscal_year=period[0], quarter=period[1])


def test_sellers_below_are_asked_once(
    cast: Cast, period, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        created = _asked(cast, period)
    assert {r.seller_id for r in created} == {cast.seller.pk, cast.other_seller.pk}
    mine = _review(cast, cast.seller, period)
    assert (mine.basis, mine.committed, mine.actual, mine.gap) == (
        "objective",
        40_000_00,
        10_000_00,
        30_000_00,
    )
    assert mine.gap_by_channel == {"field": 30_000_00}
    assert mine.unit == cast.team
    other = _review(cast, cast.other_seller, period)
    assert (other.basis, other.committed, other.gap) == ("target", 15_000_00, 10_000_00)
    assert Notification.objects.filter(kind="review_requested").count() == 2
    assert _asked(cast, period) == []  # once per seller and quarter
    assert PeriodReview.objects.count() == 2
    assert Notification.objects.filter(kind="review_requested").count() == 2


def test_a_quarter_not_closed_is_refused_and_nothing_written(cast: Cast, period) -> None:
    cal = cast.workspace.calendar
    today = timezone.localdate()
    fy, q = cal.year_of(today), cal.quarter_of(today)
    with pytest.raises(DomainError) as exc:
        reviews.request_reviews(workspace=cast.workspace, fiscal_year=fy, quarter=q)
    assert (exc.value.code, exc.value.field) == ("period_open", "quarter")
    with pytest.raises(DomainError) as exc:
        reviews.review_for_period(actor=cast.seller, fiscal_year=fy, quarter=q)
    assert exc.value.code == "period_open"
    assert not PeriodReview.objects.exists()


def test_seller_reviews_and_lead_answers(cast: Cast, period) -> None:
    _asked(cast, period)
    review = _review(cast, cast.seller, period)
    reviews.submit_review(
        review=review,
        actor=cast.seller,
        reasons=["pipeline_slipped", "pricing"],
        text="Two deals moved to next quarter",
        next_change="Qualify earlier",
        version=1,
    )
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED
    assert Notification.objects.filter(recipient=cast.lead, kind="review_submitted").exists()
    found = selectors.reviews_answerable_by(cast.lead).get(pk=review.pk)
    reviews.answer_review(
        review=found, actor=cast.lead, answer="Let's review the pipeline", version=2
    )
    review.refresh_from_db()
    assert (review.status, review.answered_by) == (ReviewStatus.ANSWERED, cast.lead)
    assert Notification.objects.filter(recipient=cast.seller, kind="review_answered").exists()
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {
        "review.requested",
        "review.submitted",
        "review.answered",
    }
    with pytest.raises(DomainError) as exc:
        reviews.submit_review(
            review=review, actor=cast.seller, reasons=["pricing"], next_change="x"
        )
    assert exc.value.code == "review_closed"


@pytest.mark.parametrize(
    ("reasons", "text", "next_change", "code", "field"),
    [
        (["weather"], "", "Call more", "reason_invalid", "reasons"),
        ([], "", "Call more", "reasons_required", "reasons"),
        (["other"], "", "Call more", "text_required", "text"),
        (["pricing"], "", "  ", "next_change_required", "next_change"),
    ],
)
def test_bad_review_is_refused_where_it_is_wrong(
    cast: Cast, period, reasons, text, next_change, code, field
) -> None:
    _asked(cast, period)
    review = _review(cast, cast.seller, period)
    with pytest.raises(DomainError) as exc:
        reviews.submit_review(
            review=review, actor=cast.seller, reasons=reasons, text=text, next_change=next_change
        )
    assert (exc.value.code, exc.value.field) == (code, field)
    review.refresh_from_db()
    assert (review.status, review.reasons, review.version) == (ReviewStatus.REQUESTED, [], 1)
    assert not AuditEvent.objects.filter(action="review.submitted").exists()


def test_a_review_for_another_seller_is_refused(cast: Cast, period) -> None:
    _asked(cast, period)
    review = _review(cast, cast.seller, period)
    with pytest.raises(PermissionDenied) as exc:  # the lead sees it but does not write it
        reviews.submit_review(review=review, actor=cast.lead, reasons=["pricing"], next_change="x")
    assert exc.value.field == "seller"
    with pytest.raises(PermissionDenied):
        reviews.review_for_period(
            actor=cast.seller, fiscal_year=period[0], quarter=period[1], seller=cast.other_seller
        )
    with pytest.raises(Http404):  # another team's seller's review is not found
        selectors.get_review_for(cast.seller, _review(cast, cast.other_seller, period).uuid)
    assert not selectors.reviews_answerable_by(cast.lead).filter(seller=cast.other_seller).exists()
    assert not selectors.reviews_answerable_by(cast.executive).exists()


def test_answer_waits_for_the_review(cast: Cast, period) -> None:
    _asked(cast, period)
    review = _review(cast, cast.seller, period)
    with pytest.raises(DomainError) as exc:
        reviews.answer_review(review=review, actor=cast.lead, answer="Hello")
    assert exc.value.code == "review_not_submitted"


def test_reasons_list_is_edited_and_audited(cast: Cast) -> None:
    assert [r.code for r in reviews.reasons_of(cast.workspace)] == [
        "pipeline_slipped",
        "lost_to_competitor",
        "territory_change",
        "absence",
        "pricing",
        "other",
    ]
    with pytest.raises(PermissionDenied):
        reviews.set_reasons(workspace=cast.workspace, actor=cast.lead, reasons=[])
    reviews.set_reasons(
        workspace=cast.workspace,
        actor=cast.admin,
        reasons=[
            {"code": "pricing", "name_en": "Price", "name_fr": "Tarif"},
            {"name_en": "Supply shortage", "name_fr": "Rupture"},
        ],
    )
    items = reviews.reasons_of(cast.workspace)
    active = [r.code for r in items if r.is_active]
    assert active == ["pricing", "supply_shortage"]
    assert "pipeline_slipped" in {r.code for r in items}  # kept, inactive
    event = AuditEvent.objects.get(action="review_reasons.set")
    assert event.actor == cast.admin
    with pytest.raises(DomainError) as exc:
        reviews.set_reasons(
            workspace=cast.workspace,
            actor=cast.admin,
            reasons=[{"name_en": "A", "code": "a"}, {"name_en": "B", "code": "a"}],
        )
    assert (exc.value.code, exc.value.field) == ("reason_code_duplicate", "reasons.2")
    assert AuditEvent.objects.filter(action="review_reasons.set").count() == 1


def test_summary_splits_gaps_exactly_by_team_channel_period(cast: Cast, period) -> None:
    _asked(cast, period)
    reviews.submit_review(
        review=_review(cast, cast.seller, period),
        actor=cast.seller,
        reasons=["pipeline_slipped", "pricing", "absence"],
        next_change="More visits",
    )
    reviews.submit_review(
        review=_review(cast, cast.other_seller, period),
        actor=cast.other_seller,
        reasons=["pricing"],
        next_change="Discount policy",
    )
    fy, q = period
    for by in ("team", "channel", "period"):
        rows = selectors.reason_summary(cast.executive, fy, q, by)
        assert sum(r.gap for r in rows) == 30_000_00 + 10_000_00, by
    by_team = selectors.reason_summary(cast.executive, fy, None, "team")
    north = {r.reason: r.gap for r in by_team if r.group_label == "North"}
    assert north == {"pipeline_slipped": 10_000_00, "pricing": 10_000_00, "absence": 10_000_00}
    assert by_team[0].group_label == "North"  # the largest gap first
    with pytest.raises(PermissionDenied):
        selectors.reason_summary(cast.lead, fy, q, "team")


def test_schedule_asks_then_reminds(cast: Cast, period, django_capture_on_commit_callbacks) -> None:
    from pacte.jobs.models import Delivery, ScheduleRun
    from pacte.objectives.schedules import request_period_reviews
    from pacte.webhooks.services import create_subscription
    from pacte.webhooks.tests.receiver import receiver

    fy, q = period
    end = reviews.quarter_end(cast.workspace, fy, q)
    first = ScheduleRun.objects.create(
        workspace=cast.workspace,
        kind="period_review",
        due_at=dt.datetime.combine(end + dt.timedelta(days=2), dt.time(8), tzinfo=dt.UTC),
    )
    with receiver() as rx:
        create_subscription(
            actor=cast.admin, name="BI", url=rx.url, format="json", events=["period.closed"]
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert request_period_reviews(first) == 2
            assert request_period_reviews(first) == 0  # taken up again: nobody twice
        closed = [json.loads(r.body) for r in rx.requests]
    assert Delivery.objects.filter(run=first).count() == 2
    # Other tools hear that the quarter closed, once.
    assert [(c["type"], c["data"]["quarter"], c["data"]["reviews"]) for c in closed] == [
        ("period.closed", q, 2)
    ]
    later = ScheduleRun.objects.create(
        workspace=cast.workspace,
        kind="period_review",
        due_at=timezone.now() + dt.timedelta(days=7),
    )
    if reviews.last_closed_quarter(cast.workspace, later.due_at.date()) != (fy, q):
        pytest.skip("the next quarter closes within a week")
    reviews.submit_review(
        review=_review(cast, cast.other_seller, period),
        actor=cast.other_seller,
        reasons=["pricing"],
        next_change="x",
    )
    assert request_period_reviews(later) == 1  # the seller still waiting, reminded
    assert Notification.objects.filter(kind="review_reminder", recipient=cast.seller).count() == 1
    assert _review(cast, cast.seller, period).reminders == 1


def api(method: str, url: str, token: str, body: Any = None) -> Any:
    return Client().generic(
        method,
        f"/api/v1/objectives{url}",
        data=json.dumps(body) if body is not None else b"",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_api_review_cycle_and_refusals(cast: Cast, period) -> None:
    fy, q = period
    seller, lead, ex = cast.token(cast.seller), cast.token(cast.lead), cast.token(cast.executive)
    body = {"fiscal_year": fy, "quarter": q, "reasons": ["weather"], "next_change": "More calls"}
    r = api("POST", "/reviews", seller, body)
    assert r.status_code == 400
    assert (r.json()["code"], r.json()["field"]) == ("reason_invalid", "reasons")
    assert not PeriodReview.objects.exists()  # nothing half-written
    r = api("POST", "/reviews", seller, {**body, "seller": str(cast.other_seller.uuid)})
    assert r.status_code == 403
    assert r.json()["code"] == "review_of_another_seller"
    cal = cast.workspace.calendar
    today = timezone.localdate()
    r = api(
        "POST",
        "/reviews",
        seller,
        {**body, "fiscal_year": cal.year_of(today), "quarter": cal.quarter_of(today)},
    )
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (400, "period_open", "quarter")
    r = api("POST", "/reviews", seller, {**body, "reasons": ["pricing"]})
    assert r.status_code == 200, r.content
    review = r.json()
    assert (review["status"], review["gap"]) == ("submitted", 30_000_00)
    r = api(
        "POST", f"/reviews/{review['uuid']}/answer", cast.token(cast.other_seller), {"answer": "x"}
    )
    assert r.status_code == 404
    r = api("POST", f"/reviews/{review['uuid']}/answer", lead, {"answer": "Good plan"})
    assert r.status_code == 200
    assert r.json()["answered_by"]["name"] == cast.lead.name
    assert api("POST", "/reviews/request", ex, {"fiscal_year": fy, "quarter": q}).json() == {
        "requested": 1
    }
    rows = api("GET", f"/reviews/reasons-summary?fiscal_year={fy}&by=channel", ex).json()
    assert rows == [
        {
            "group": "field",
            "group_label": "Field",
            "reason": "pricing",
            "reason_label": "Pricing",
            "reviews": 1,
            "gap": 30_000_00,
        }
    ]
    assert api("GET", "/reviews/reasons-summary", lead).status_code == 403
    listed = api("GET", f"/reviews?fiscal_year={fy}", seller).json()["items"]
    assert [i["uuid"] for i in listed] == [review["uuid"]]
    r = api("PUT", "/review-reasons", ex, {"reasons": [{"name_en": "Pricing", "code": "pricing"}]})
    assert [i["code"] for i in r.json() if i["is_active"]] == ["pricing"]

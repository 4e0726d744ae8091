"""Leads mark their sellers' check-ins seen and answer them; the seller is notified; the team
check-ins page and the API show what is unanswered; nobody else may answer (404)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from pacte.audit.models import AuditEvent
from pacte.errors import DomainError
from pacte.objectives import selectors, services
from pacte.objectives.models import CheckIn, Notification
from pacte.testing.cast import Cast

pytestmark = pytest.mark.usefixtures("published")


def _check_in(member: Any, fy: int, confidence: int = 6, comment: str = "") -> CheckIn:
    o = services.save_draft(seller=member, fiscal_year=fy, amount=100_000)
    return services.check_in(objective=o, actor=member, confidence=confidence, comment=comment)


def api(method: str, url: str, token: str, body: dict | None = None) -> Any:
    return Client().generic(
        method,
        f"/api/v1/objectives{url}",
        data=json.dumps(body) if body is not None else b"",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_lead_replies_and_the_seller_is_notified(cast: Cast, fy: int) -> None:
    item = _check_in(cast.seller, fy)
    found = selectors.get_check_in_to_answer(cast.lead, item.uuid)
    services.reply_to_check_in(check_in=found, actor=cast.lead, text="  Good week, keep going ")
    item.refresh_from_db()
    assert item.reply == "Good week, keep going"
    assert item.replied_by == cast.lead
    assert item.seen_at is not None
    assert not item.unanswered
    notice = Notification.objects.get(recipient=cast.seller, kind="check_in_reply")
    subject, body = services.render_notice(notice, "EUR")
    assert cast.lead.name in subject
    assert "keep going" in body
    assert AuditEvent.objects.filter(action="check_in.replied").count() == 1


def test_mark_seen_notifies_once(cast: Cast, fy: int) -> None:
    item = _check_in(cast.seller, fy)
    services.mark_check_in_seen(check_in=item, actor=cast.lead)
    services.mark_check_in_seen(check_in=item, actor=cast.lead)
    assert Notification.objects.filter(recipient=cast.seller, kind="check_in_seen").count() == 1
    assert AuditEvent.objects.filter(action="check_in.seen").count() == 1
    assert selectors.unanswered_check_ins(cast.lead, fy) == 0


def test_empty_reply_is_refused_and_nothing_written(cast: Cast, fy: int) -> None:
    item = _check_in(cast.seller, fy)
    with pytest.raises(DomainError) as exc:
        services.reply_to_check_in(check_in=item, actor=cast.lead, text="   ")
    assert exc.value.field == "reply"
    item.refresh_from_db()
    assert item.seen_at is None
    assert item.reply == ""
    assert not Notification.objects.filter(kind="check_in_reply").exists()


def test_rewriting_a_check_in_makes_it_unanswered_again(cast: Cast, fy: int) -> None:
    item = _check_in(cast.seller, fy)
    services.reply_to_check_in(check_in=item, actor=cast.lead, text="Noted")
    services.check_in(objective=item.objective, actor=cast.seller, confidence=8)
    item.refresh_from_db()
    assert item.unanswered
    assert item.reply == "Noted"


def test_only_the_sellers_lead_may_answer(cast: Cast, fy: int) -> None:
    from django.http import Http404

    other = _check_in(cast.other_seller, fy)
    own = _check_in(cast.lead, fy)
    mine = _check_in(cast.seller, fy)
    for viewer, item in [
        (cast.lead, other),  # another team's seller
        (cast.lead, own),  # a lead who sells does not answer themselves
        (cast.executive, mine),  # sees the page, leads no team
        (cast.seller, mine),
        (cast.other_seller, mine),
        (cast.outsider, mine),
    ]:
        with pytest.raises(Http404):
            selectors.get_check_in_to_answer(viewer, item.uuid)


def test_team_page_filters_and_counts_unanswered(cast: Cast, fy: int, login) -> None:
    first = _check_in(cast.seller, fy, comment="Slow start")
    _check_in(cast.lead, fy)
    client = login(cast.lead)
    page = client.get(f"/objectives/check-ins/?fy={fy}&show=unanswered").content.decode()
    assert "2 check-ins not seen or answered yet." in page
    assert "Slow start" in page
    r = client.post(
        f"/objectives/check-ins/{first.uuid}/answer/",
        {"action": "reply", "reply": "Call me", "show": "unanswered"},
    )
    assert r.status_code == 302
    assert "show=unanswered" in r["Location"]
    page = client.get(f"/objectives/check-ins/?fy={fy}&show=unanswered").content.decode()
    assert "1 check-in not seen or answered yet." in page
    assert "Slow start" not in page
    assert "Call me" in client.get(f"/objectives/check-ins/?fy={fy}").content.decode()
    seller_page = login(cast.seller).get(f"/objectives/o/{first.objective.uuid}/plan/")
    assert "Call me" in seller_page.content.decode()


def test_page_answer_refuses_others_with_404(cast: Cast, fy: int, login) -> None:
    mine = _check_in(cast.seller, fy)
    for member in (cast.executive, cast.seller, cast.other_seller):
        r = login(member).post(
            f"/objectives/check-ins/{mine.uuid}/answer/", {"action": "reply", "reply": "x"}
        )
        assert r.status_code == 404, member
    mine.refresh_from_db()
    assert mine.reply == ""


def test_french_page(cast: Cast, fy: int, login) -> None:
    _check_in(cast.seller, fy)
    client = login(cast.lead)
    client.cookies["django_language"] = "fr"
    page = client.get(f"/objectives/check-ins/?fy={fy}", HTTP_ACCEPT_LANGUAGE="fr").content
    assert "Marquer comme vu" in page.decode()


def test_api_lists_unanswered_and_replies(cast: Cast, fy: int) -> None:
    item = _check_in(cast.seller, fy)
    lead = cast.token(cast.lead)
    r = api("GET", f"/team-check-ins?fiscal_year={fy}&unanswered=true", lead)
    assert r.status_code == 200, r.content
    assert [c["uuid"] for c in r.json()["items"]] == [str(item.uuid)]
    r = api("POST", f"/check-ins/{item.uuid}/reply", lead, {"reply": ""})
    assert r.status_code == 400
    assert r.json()["code"] == "reply_required"
    r = api("POST", f"/check-ins/{item.uuid}/reply", lead, {"reply": "Nice"})
    assert r.status_code == 200
    assert r.json()["reply"] == "Nice"
    assert not r.json()["unanswered"]
    r = api("GET", f"/team-check-ins?fiscal_year={fy}&unanswered=true", lead)
    assert r.json()["items"] == []
    other = cast.token(cast.other_seller)
    assert api("POST", f"/check-ins/{item.uuid}/seen", other).status_code == 404
    assert api("GET", "/team-check-ins", cast.token(cast.seller)).status_code == 403

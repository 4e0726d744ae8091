"""Notifications: reading the inbox marks nothing; one or all are marked read by a POST (page,
htmx and API), only the reader's own; dates in a notification read in the reader's language."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from pacte.objectives import services
from pacte.objectives.models import Notification
from pacte.testing.cast import PASSWORD, Cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def notices(cast: Cast) -> dict[str, Notification]:
    def make(recipient: Any, kind: str, **params: Any) -> Notification:
        return Notification.objects.create(
            workspace=cast.workspace, recipient=recipient, kind=kind, params=params
        )

    return {
        "agreed": make(cast.seller, "agreed", actor="Lea Lead", amount=100_000_00, fy=2027),
        "returned": make(cast.seller, "returned", actor="Lea Lead", fy=2027, reason="Low"),
        "other": make(cast.other_seller, "agreed", actor="Lea Lead", amount=1_00, fy=2027),
    }


def _unread(member: Any) -> set[str]:
    return set(
        Notification.objects.filter(recipient=member, read_at__isnull=True).values_list(
            "kind", flat=True
        )
    )


def test_reading_the_inbox_marks_nothing(cast: Cast, notices, login) -> None:
    page = login(cast.seller).get("/objectives/inbox/").content.decode()
    assert page.count("Mark as read") == 2
    assert "Mark all as read" in page
    assert _unread(cast.seller) == {"agreed", "returned"}


def test_a_seller_marks_one_notification_read(cast: Cast, notices, login) -> None:
    client = login(cast.seller)
    url = f"/objectives/notifications/{notices['agreed'].uuid}/read/"
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == "/objectives/inbox/"
    assert _unread(cast.seller) == {"returned"}
    assert client.post(url).status_code == 302  # twice changes nothing
    assert client.get(url).status_code == 405
    assert "Mark as read" in client.get("/objectives/inbox/").content.decode()


def test_htmx_gets_the_notification_back_without_its_button(cast: Cast, notices, login) -> None:
    client = login(cast.seller)
    response = client.post(
        f"/objectives/notifications/{notices['returned'].uuid}/read/", HTTP_HX_REQUEST="true"
    )
    fragment = response.content.decode()
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert fragment.strip().startswith(f'<li id="notice-{notices["returned"].uuid}"')
    assert "Your objective was returned" in fragment
    assert "Mark as read" not in fragment


def test_nobody_marks_someone_elses_notification(cast: Cast, notices, login) -> None:
    url = f"/objectives/notifications/{notices['other'].uuid}/read/"
    assert login(cast.seller).post(url).status_code == 404
    assert login(cast.executive).post(url).status_code == 404
    assert _unread(cast.other_seller) == {"agreed"}


def test_mark_all_marks_only_the_readers_own(cast: Cast, notices, login) -> None:
    client = login(cast.seller)
    response = client.post("/objectives/notifications/read/", follow=True)
    assert "2 notifications marked as read." in response.content.decode()
    assert _unread(cast.seller) == set()
    assert _unread(cast.other_seller) == {"agreed"}
    fragment = client.post("/objectives/notifications/read/", HTTP_HX_REQUEST="true")
    assert fragment.content.decode().strip().startswith('<div id="notifications">')
    assert "Mark all as read" not in fragment.content.decode()


def test_marking_read_needs_the_csrf_token(cast: Cast, notices) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=cast.seller.user.email, password=PASSWORD)
    assert client.post("/objectives/notifications/read/").status_code == 403
    assert _unread(cast.seller) == {"agreed", "returned"}


def _api(client: Client, path: str, token: str) -> Any:
    return client.post(
        f"/api/v1/objectives/notifications{path}", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def test_the_api_marks_one_or_all_read(cast: Cast, notices) -> None:
    client, token = Client(), cast.token(cast.seller)
    one = _api(client, f"/{notices['agreed'].uuid}/read", token)
    assert one.status_code == 200
    assert one.json()["read"] is True
    assert one.json()["subject"] == "Your objective is agreed"
    assert _api(client, f"/{notices['other'].uuid}/read", token).status_code == 404
    assert _api(client, "/read", token).json() == {"marked": 1}
    assert _api(client, "/read", token).json() == {"marked": 0}
    listed = client.get(
        "/api/v1/objectives/notifications", HTTP_AUTHORIZATION=f"Bearer {token}"
    ).json()
    assert {n["read"] for n in listed["items"]} == {True}


def test_the_service_refuses_someone_elses_notification(cast: Cast, notices) -> None:
    from pacte.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.mark_read(member=cast.seller, notice=notices["other"])


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "closes on 31\u00a0Dec\u00a02026."), ("fr", "31\u00a0déc.\u00a02026")],
)
def test_a_reminder_names_its_closing_day_in_the_readers_language(
    cast: Cast, language: str, expected: str
) -> None:
    notice = Notification(
        workspace=cast.workspace,
        recipient=cast.seller,
        kind="reminder",
        params={"fy": 2027, "closes_on": "2026-12-31"},
    )
    with translation.override(language):
        _subject, body = services.render_notice(notice, "EUR")
    assert expected in body
    assert "2026-12-31" not in body

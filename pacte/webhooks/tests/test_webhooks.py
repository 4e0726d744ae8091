"""Outbound webhooks: subscriptions, signed deliveries, retries, give-up, turning off after
repeated failures, de-duplication, Slack and Teams formats, pages and API."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pacte.audit.models import AuditEvent
from pacte.encryption import decrypt
from pacte.errors import DomainError, StaleVersion
from pacte.lib.money import format_money
from pacte.objectives import services as objectives
from pacte.objectives.models import Notification
from pacte.webhooks import delivery, services
from pacte.webhooks.events import emit
from pacte.webhooks.models import DeliveryStatus, Event, Subscription, WebhookDelivery
from pacte.webhooks.tests.receiver import receiver

pytestmark = pytest.mark.django_db


def subscribe(cast, url, *, events=("objective.proposed",), format="json"):
    return services.create_subscription(
        actor=cast.admin, name="CRM", url=url, format=format, events=list(events)
    )


def verify(secret: str, req) -> bool:
    stamp = req.headers["Pacte-Timestamp"]
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + req.body, hashlib.sha256)
    return hmac.compare_digest(req.headers["Pacte-Signature"], "v1=" + expected.hexdigest())


def test_a_new_webhook_keeps_its_address_and_secret_encrypted_and_is_audited(cast):
    sub, secret = subscribe(cast, "https://hooks.example.com/T0/B0/XYZsecret")
    assert secret.startswith("whsec_")
    assert len(secret) > 40
    stored = Subscription.objects.get(pk=sub.pk)
    assert "XYZsecret" not in stored.url
    assert secret not in stored.secret
    assert decrypt(stored.url).endswith("XYZsecret")
    assert decrypt(stored.secret) == secret
    assert stored.url_hint == "https://hooks.example.com/…"
    event = AuditEvent.objects.get(action="webhook.created")
    assert "XYZsecret" not in json.dumps(event.after)
    assert secret not in json.dumps(event.after)


@pytest.mark.parametrize(
    ("url", "events", "field"),
    [
        ("ftp://example.com/x", ["alert"], "url"),
        ("https:///nohost", ["alert"], "url"),
        ("", ["alert"], "url"),
        ("https://example.com/x", [], "events"),
        ("https://example.com/x", ["alert", "objective.vanished"], "events"),
    ],
)
def test_bad_input_is_refused_where_it_is_and_nothing_is_written(cast, url, events, field):
    with pytest.raises(DomainError) as refused:
        services.create_subscription(
            actor=cast.admin, name="x", url=url, format="json", events=events
        )
    assert refused.value.field == field
    assert not Subscription.objects.exists()
    assert not AuditEvent.objects.filter(action="webhook.created").exists()


def test_plain_http_is_refused_where_the_settings_do_not_allow_it(cast, settings):
    settings.PACTE_WEBHOOK_ALLOW_HTTP = False
    with pytest.raises(DomainError, match="https://"):
        subscribe(cast, "http://127.0.0.1:9/hook")


def never_built() -> dict[str, object]:
    raise AssertionError("the data of an event nobody listens to is never built")


def test_nobody_listening_writes_nothing(cast):
    with CaptureQueriesContext(connection) as queries:
        assert emit(cast.workspace, "alert", never_built) == 0
    assert len(queries) == 1
    assert not Event.objects.exists()


def test_a_proposal_reaches_the_receiver_signed_with_the_event_in_the_workspace_language(
    cast, fy, django_capture_on_commit_callbacks
):
    cast.workspace.language = "fr"
    cast.workspace.save()
    with receiver() as rx:
        _sub, secret = subscribe(cast, rx.url)
        with django_capture_on_commit_callbacks(execute=True):
            objectives.propose(seller=cast.seller, fiscal_year=fy, amount=123_456_78)
        assert len(rx.requests) == 1
    req = rx.requests[0]
    assert verify(secret, req)
    body = json.loads(req.body)
    assert body["type"] == "objective.proposed" == req.headers["Pacte-Event"]
    assert body["id"] == req.headers["Pacte-Event-Id"]
    assert body["data"]["amount"] == 123_456_78
    assert body["data"]["seller"] == "Sam Seller"
    amount = format_money(123_456_78, "EUR", "fr")
    assert f"Sam Seller a proposé un objectif de {amount} pour l'exercice 2027" in body["summary"]
    d = WebhookDelivery.objects.get()
    assert (d.status, d.attempts, d.response_status) == ("delivered", 1, 200)


def rolled_back(cast) -> None:
    try:
        with transaction.atomic():
            emit(cast.workspace, "alert", {"member": "x", "text": "y"})
            raise RuntimeError
    except RuntimeError:
        pass


def test_an_event_of_a_change_rolled_back_never_leaves(
    cast, fy, django_capture_on_commit_callbacks
):
    with receiver() as rx:
        subscribe(cast, rx.url, events=["alert"])
        with django_capture_on_commit_callbacks(execute=True):
            rolled_back(cast)
        assert rx.requests == []
    assert not Event.objects.exists()
    assert not WebhookDelivery.objects.exists()


def test_a_failed_attempt_is_retried_later_with_the_same_event_id(
    cast, settings, django_capture_on_commit_callbacks
):
    settings.PACTE_WEBHOOK_RETRY_SECONDS = 60
    with receiver(503) as rx:
        subscribe(cast, rx.url, events=["alert"])
        with django_capture_on_commit_callbacks(execute=True):
            emit(cast.workspace, "alert", {"member": "Sam", "text": "behind"})
        d = WebhookDelivery.objects.get()
        assert (d.status, d.attempts, d.response_status) == ("pending", 1, 503)
        assert "receiver refused" in d.error
        wait = (d.next_attempt_at - timezone.now()).total_seconds()
        assert 55 <= wait <= 67
        assert delivery.sweep() == 0  # not due yet
        # A minute later (the retry's time moved back instead of the clock forward):
        WebhookDelivery.objects.filter(pk=d.pk).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )
        assert delivery.sweep() == 1
        d.refresh_from_db()
        assert (d.status, d.attempts) == ("delivered", 2)
        ids = {r.headers["Pacte-Event-Id"] for r in rx.requests}
    assert len(rx.requests) == 2
    assert len(ids) == 1
    assert Subscription.objects.get().failures == 0


def test_a_delivery_is_given_up_after_its_attempts_and_can_be_sent_again(
    cast, settings, django_capture_on_commit_callbacks
):
    settings.PACTE_WEBHOOK_MAX_ATTEMPTS = 2
    with receiver(500, 500) as rx:
        subscribe(cast, rx.url, events=["alert"])
        with django_capture_on_commit_callbacks(execute=True):
            emit(cast.workspace, "alert", {"member": "Sam", "text": "behind"})
        d = WebhookDelivery.objects.get()
        delivery.deliver(d.pk, now=d.next_attempt_at + timedelta(seconds=1))
        d.refresh_from_db()
        assert (d.status, d.attempts) == ("failed", 2)
        assert delivery.sweep(timezone.now() + timedelta(days=2)) == 0  # given up: left alone
        with django_capture_on_commit_callbacks(execute=True):
            services.retry_delivery(delivery=d, actor=cast.admin)
        d.refresh_from_db()
        assert (d.status, d.attempts) == ("delivered", 1)
        assert len(rx.requests) == 3
    with pytest.raises(DomainError):
        services.retry_delivery(delivery=d, actor=cast.admin)


def test_repeated_failures_turn_the_webhook_off_and_tell_the_admins_once(
    cast, settings, django_capture_on_commit_callbacks
):
    settings.PACTE_WEBHOOK_DISABLE_AFTER = 3
    with receiver(500, 500, 500, 500) as rx:
        sub, _secret = subscribe(cast, rx.url, events=["alert"])
        with django_capture_on_commit_callbacks(execute=True):
            for n in range(3):
                emit(cast.workspace, "alert", {"member": "Sam", "text": str(n)})
        assert len(rx.requests) == 3
        sub.refresh_from_db()
        assert not sub.is_active
        assert sub.disabled_at is not None
        assert sub.failures == 3
        notes = Notification.objects.filter(kind="webhook_disabled")
        assert [n.recipient for n in notes] == [cast.admin]
        assert AuditEvent.objects.filter(action="webhook.disabled").count() == 1
        # Off: nothing more is sent, nothing more is written for it.
        assert emit(cast.workspace, "alert", {"member": "Sam", "text": "more"}) == 0
        assert delivery.sweep(timezone.now() + timedelta(days=1)) == 0
        # On again: what waited goes out (the receiver answers 500 once more, then 200).
        with django_capture_on_commit_callbacks(execute=True):
            services.update_subscription(
                sub=sub, actor=cast.admin, version=sub.version, is_active=True
            )
        assert delivery.sweep() == 3
        sub.refresh_from_db()
        assert sub.is_active
        assert sub.failures == 0
    assert WebhookDelivery.objects.filter(status="delivered").count() == 2


def test_an_alert_goes_out_once_per_person_and_period(cast, django_capture_on_commit_callbacks):
    with receiver() as rx:
        subscribe(cast, rx.url, events=["alert"])
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(3):
                emit(cast.workspace, "alert", {"member": "Sam", "text": "x"}, dedup_key="a:1")
        assert len(rx.requests) == 1
    assert Event.objects.count() == 1


def test_slack_and_teams_get_their_own_formats(cast, django_capture_on_commit_callbacks, settings):
    settings.PACTE_BASE_URL = "https://pacte.example.com"
    with receiver() as slack, receiver() as teams:
        subscribe(cast, slack.url, events=["import.failed"], format="slack")
        subscribe(cast, teams.url, events=["import.failed"], format="teams")
        with django_capture_on_commit_callbacks(execute=True):
            emit(
                cast.workspace,
                "import.failed",
                {"name": "ventes.csv", "message": "Line 3: bad date", "url": "/sales/imports/"},
            )
        s = json.loads(slack.requests[0].body)
        t = json.loads(teams.requests[0].body)
    assert s == {
        "text": "Sales import “ventes.csv” failed: Line 3: bad date "
        "<https://pacte.example.com/sales/imports/|Pacte>"
    }
    card = t["attachments"][0]
    assert t["type"] == "message"
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["body"][0]["text"].startswith("Sales import “ventes.csv” failed")
    assert card["content"]["actions"][0]["url"] == "https://pacte.example.com/sales/imports/"


def test_a_delivery_held_by_a_dead_worker_is_sent_again_and_never_twice_at_once(
    cast, django_capture_on_commit_callbacks
):
    with receiver() as rx:
        subscribe(cast, rx.url, events=["alert"])
        emit(cast.workspace, "alert", {"member": "Sam", "text": "x"})  # its job never ran
        d = WebhookDelivery.objects.get()
        WebhookDelivery.objects.filter(pk=d.pk).update(
            status=DeliveryStatus.SENDING, claimed_at=timezone.now()
        )
        assert delivery.deliver(d.pk) == "skipped"  # another worker holds it
        assert delivery.sweep() == 0
        later = timezone.now() + delivery.LEASE + timedelta(seconds=1)
        assert delivery.sweep(later) == 1
        assert delivery.deliver(d.pk) == "skipped"  # already delivered by the sweep's job
        assert len(rx.requests) == 1


def test_a_finished_import_is_an_event(cast, tmp_path, django_capture_on_commit_callbacks):
    from pacte.sales.tests.helpers import import_file, rows

    path = tmp_path / "ventes.csv"
    path.write_text(rows("A1,2026-01-05,10.00,field,seller@acme.example,,,,"))
    bad = tmp_path / "bad.csv"
    bad.write_text(rows("A2,not a date,10.00,field,seller@acme.example,,,,"))
    with receiver() as rx:
        subscribe(cast, rx.url, events=["import.done", "import.failed"])
        with django_capture_on_commit_callbacks(execute=True):
            import_file(cast.workspace, path)
            import_file(cast.workspace, bad)
        bodies = [json.loads(r.body) for r in rx.requests]
    assert [b["type"] for b in bodies] == ["import.done", "import.failed"]
    assert bodies[0]["data"]["created"] == 1
    assert bodies[0]["data"]["name"] == "ventes.csv"
    assert bodies[1]["data"]["errors"] == 1


def test_a_stale_change_is_refused(cast):
    sub, _ = subscribe(cast, "https://example.com/h")
    services.update_subscription(sub=sub, actor=cast.admin, version=sub.version, name="New")
    with pytest.raises(StaleVersion):
        services.update_subscription(sub=sub, actor=cast.admin, version=sub.version, name="Old")
    assert Subscription.objects.get().name == "New"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_pages_add_show_the_secret_once_and_list_deliveries(cast, login, language):
    client = login(cast.admin)
    client.post(reverse("accounts:set_language"), {"language": language})
    page = client.get(reverse("webhooks:list"))
    assert page.status_code == 200
    assert ("Add a webhook" if language == "en" else "Ajouter un webhook") in page.text
    added = client.post(
        reverse("webhooks:list"),
        {"name": "CRM", "url": "https://example.com/h", "format": "json", "events": ["alert"]},
        follow=True,
    )
    sub = Subscription.objects.get()
    secret = decrypt(sub.secret)
    assert secret in added.text
    again = client.get(reverse("webhooks:detail", args=[sub.uuid]))
    assert secret not in again.text
    assert "example.com/h" not in again.text
    refused = client.post(
        reverse("webhooks:list"),
        {"name": "x", "url": "ftp://example.com", "format": "json", "events": ["alert"]},
    )
    assert refused.status_code == 200
    assert Subscription.objects.count() == 1
    assert "https://" in refused.text


def test_sellers_and_other_workspaces_see_nothing(cast, login):
    sub, _ = subscribe(cast, "https://example.com/h")
    assert login(cast.seller).get(reverse("webhooks:list")).status_code == 403
    outsider = login(cast.outsider)
    assert outsider.get(reverse("webhooks:detail", args=[sub.uuid])).status_code == 404
    assert outsider.post(reverse("webhooks:action", args=[sub.uuid, "delete"])).status_code == 404
    assert Subscription.objects.filter(pk=sub.pk).exists()


def test_the_api_creates_shows_the_secret_once_and_logs_deliveries(
    cast, api_client, django_capture_on_commit_callbacks
):
    client = api_client(cast.admin)
    with receiver(500) as rx:
        created = client.post(
            "/api/v1/webhooks",
            {"name": "CRM", "url": rx.url, "events": ["alert"]},
            content_type="application/json",
        )
        assert created.status_code == 201, created.content
        body = created.json()
        assert body["secret"].startswith("whsec_")
        assert body["url_hint"].endswith("/…")
        listed = client.get("/api/v1/webhooks").json()
        assert "secret" not in listed[0]
        assert "url" not in listed[0]
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(f"/api/v1/webhooks/{body['uuid']}/test").status_code == 202
        log = client.get(f"/api/v1/webhooks/{body['uuid']}/deliveries").json()
        assert log["count"] == 1
        assert log["items"][0]["status"] == "pending"
        assert log["items"][0]["response_status"] == 500
        stale = client.patch(
            f"/api/v1/webhooks/{body['uuid']}",
            {"name": "x", "version": body["version"] + 5},
            content_type="application/json",
        )
        assert stale.status_code == 412
        bad = client.post(
            "/api/v1/webhooks",
            {"name": "CRM", "url": rx.url, "events": ["nope"]},
            content_type="application/json",
        )
        assert bad.status_code == 400
        assert bad.json()["field"] == "events"
    assert len(rx.requests) == 1


def test_a_digest_alert_reaches_the_channel_once_a_month(cast, django_capture_on_commit_callbacks):
    from pacte.insights.digests import emit_alerts

    with receiver() as rx:
        subscribe(cast, rx.url, events=["alert"], format="slack")
        with django_capture_on_commit_callbacks(execute=True):
            emit_alerts(cast.seller, ["behind"], "FY2027")
            emit_alerts(cast.seller, ["behind"], "FY2027")
            emit_alerts(cast.other_seller, ["behind"], "FY2027")
        texts = [json.loads(r.body)["text"] for r in rx.requests]
    behind = "Your year forecast is below your objective: you are falling behind."
    assert texts == [f"Sam Seller: {behind}", f"Olga Other: {behind}"]

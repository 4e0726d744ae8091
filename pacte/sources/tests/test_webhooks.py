"""Inbound webhooks: signature, replay window, idempotence by event id, a record pushed twice
stored once."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client

from pacte.sales.models import Sale
from pacte.sources import services
from pacte.sources.credentials import read_webhook_secret
from pacte.sources.models import Connection, SyncRun, WebhookEvent
from pacte.sources.sync import run_sync
from pacte.sources.tests.conftest import record
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db


def post(
    connection: Connection,
    payload: Any,
    *,
    secret: str | None = None,
    timestamp: int | None = None,
    event_id: str | None = None,
) -> Any:
    body = json.dumps(payload).encode()
    ts = str(timestamp if timestamp is not None else int(time.time()))
    sig = services.signature(secret or read_webhook_secret(connection), ts, body)
    headers = {"HTTP_X_PACTE_TIMESTAMP": ts, "HTTP_X_PACTE_SIGNATURE": f"sha256={sig}"}
    if event_id:
        headers["HTTP_X_PACTE_EVENT_ID"] = event_id
    return Client().post(
        f"/sources/hooks/{connection.uuid}/", body, content_type="application/json", **headers
    )


def deliver_all() -> list[SyncRun]:
    return [run_sync(r.pk) for r in SyncRun.objects.filter(status="queued", mode="webhook")]


def test_signed_event_is_queued_then_stored(source: Connection) -> None:
    response = post(source, {"id": "evt-1", "records": [record(1), record(2)]})
    assert response.status_code == 202, response.content
    runs = deliver_all()
    assert [r.status for r in runs] == ["done"], runs[0].message
    assert Sale.objects.filter(source=source.source).count() == 2
    source.refresh_from_db()
    assert source.cursor is None  # a pushed event does not move the pull cursor


def test_same_event_twice_is_accepted_once(source: Connection) -> None:
    first = post(source, {"id": "evt-1", "records": [record(1)]})
    again = post(source, {"id": "evt-1", "records": [record(1)]})
    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json()["code"] == "duplicate"
    assert WebhookEvent.objects.count() == 1


def test_a_record_pushed_twice_in_two_events_is_stored_once(source: Connection) -> None:
    post(source, {"id": "evt-1", "records": [record(1)]})
    deliver_all()
    post(source, {"id": "evt-2", "records": [record(1)]}, event_id=None)
    runs = deliver_all()
    assert runs[0].unchanged_count == 1
    assert Sale.objects.filter(source=source.source).count() == 1


def test_wrong_signature_is_401_with_a_clear_message(source: Connection) -> None:
    response = post(source, {"id": "evt-1", "records": [record(1)]}, secret="not-the-secret")
    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"
    assert "HMAC-SHA256" in response.json()["message"]
    assert WebhookEvent.objects.count() == 0


def test_old_timestamp_is_400(source: Connection) -> None:
    old = int(time.time()) - services.REPLAY_WINDOW - 60
    response = post(source, {"id": "evt-1", "records": [record(1)]}, timestamp=old)
    assert response.status_code == 400
    assert response.json()["code"] == "timestamp_too_old"


def test_missing_timestamp_and_unknown_connection(source: Connection) -> None:
    response = Client().post(
        f"/sources/hooks/{source.uuid}/", b"{}", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "timestamp_missing"
    missing = Client().post(
        "/sources/hooks/00000000-0000-0000-0000-000000000000/",
        b"{}",
        content_type="application/json",
    )
    assert missing.status_code == 404


def test_refused_record_is_located(source: Connection) -> None:
    post(source, {"id": "evt-9", "records": [record(7, currency="USD")]})
    run = deliver_all()[0]
    assert run.status == "failed"
    assert run.errors[0]["record_id"] == "D-7"
    assert Sale.objects.filter(source=source.source).count() == 0


def test_rotating_the_secret_refuses_the_old_one(cast: Cast, source: Connection) -> None:
    old = read_webhook_secret(source)
    services.rotate_webhook_secret(connection=source, actor=cast.admin)
    source.refresh_from_db()
    assert post(source, {"id": "e", "records": []}, secret=old).status_code == 401

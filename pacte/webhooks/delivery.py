"""Sending deliveries: the body of each format, its signature, the attempt and what follows.

Durable and once: a delivery is a row; its job claims it (``pending`` → ``sending``) so that two
jobs never send it twice at once; the scheduler's sweep (``sweep``, every tick) queues the
deliveries due for a retry and takes back those whose worker died while sending. A receiver
sees an event at least once, with the same ``Pacte-Event-Id`` each time (its key to ignore a
repeat).

Signature (JSON format): ``Pacte-Signature: v1=<hex>``, HMAC-SHA256 with the subscription's
secret over ``"<Pacte-Timestamp>.<body>"``; receivers refuse a timestamp older than a few
minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.tasks import task
from django.utils import timezone, translation

from pacte.encryption import decrypt
from pacte.links import absolute
from pacte.webhooks.models import DeliveryStatus, Format, Subscription, WebhookDelivery

logger = logging.getLogger("pacte.webhooks")

#: A worker that took a delivery and was not heard of after this long died: it is sent again.
LEASE = timedelta(minutes=5)


def summary(code: str, data: dict[str, Any], currency: str, language: str) -> str:
    """The event in one line, in ``language`` (amounts in ``currency``, formatted)."""
    from pacte.lib.money import format_money
    from pacte.webhooks.events import KINDS

    kind = KINDS.get(code)
    if kind is None:
        return code
    with translation.override(language):
        params: dict[str, Any] = {}
        for key, value in data.items():
            if key.endswith("amount") and isinstance(value, int):
                params[key] = format_money(value, data.get("currency") or currency, language)
            else:
                params[key] = "" if value is None else value
        try:
            return str(kind.summary) % params
        except (KeyError, TypeError, ValueError):
            return str(kind.label)


def body_of(delivery: WebhookDelivery) -> bytes:
    """What is POSTed for this delivery, in its subscription's format."""
    event, subscription = delivery.event, delivery.subscription
    workspace = subscription.workspace
    text = summary(event.code, event.data, workspace.currency, workspace.language)
    link = absolute(str(event.data.get("url") or ""))
    payload: dict[str, Any]
    if subscription.format == Format.SLACK:
        payload = {"text": f"{text} <{link}|Pacte>" if link.startswith("http") else text}
    elif subscription.format == Format.TEAMS:
        card: dict[str, Any] = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [{"type": "TextBlock", "text": text, "wrap": True}],
        }
        if link.startswith("http"):
            with translation.override(workspace.language):
                title = str(translation.gettext("Open in Pacte"))
            card["actions"] = [{"type": "Action.OpenUrl", "title": title, "url": link}]
        payload = {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
            ],
        }
    else:
        payload = {
            "id": str(event.uuid),
            "type": event.code,
            "created_at": event.created_at.isoformat(),
            "workspace": workspace.slug,
            "summary": text,
            "data": event.data,
        }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def retry_delay(attempts: int) -> timedelta:
    """After ``attempts`` failed attempts: the base, ×4 each time, at most 6 hours, 10 % jitter."""
    base = settings.PACTE_WEBHOOK_RETRY_SECONDS * 4 ** max(0, attempts - 1)
    return timedelta(seconds=min(base, 6 * 3600) * (1 + random.random() / 10))


def enqueue(delivery_id: int) -> None:
    deliver_task.enqueue(delivery_id)


@task
def deliver_task(delivery_id: int) -> str:
    return deliver(delivery_id)


def deliver(delivery_id: int, *, now: datetime | None = None) -> str:
    """One attempt of one delivery, if it is due and no other job holds it; returns its status
    after the attempt (or ``skipped``)."""
    now = now or timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id,
        status=DeliveryStatus.PENDING,
        next_attempt_at__lte=now,
        subscription__is_active=True,
    ).update(status=DeliveryStatus.SENDING, claimed_at=now)
    if not claimed:
        return "skipped"
    delivery = WebhookDelivery.objects.select_related(
        "event", "subscription", "subscription__workspace"
    ).get(pk=delivery_id)
    subscription = delivery.subscription
    body = body_of(delivery)
    stamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Pacte-Webhooks/1",
        "Pacte-Event": delivery.event.code,
        "Pacte-Event-Id": str(delivery.event.uuid),
        "Pacte-Timestamp": str(stamp),
        "Pacte-Signature": signature(decrypt(subscription.secret), stamp, body),
    }
    status: int | None = None
    error = ""
    try:
        response = requests.post(
            decrypt(subscription.url),
            data=body,
            headers=headers,
            timeout=settings.PACTE_WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
        status = response.status_code
        if not 200 <= status < 300:
            error = response.text[:200]
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    return _after(
        delivery, ok=status is not None and 200 <= status < 300, status=status, error=error, now=now
    )


def _after(
    delivery: WebhookDelivery, *, ok: bool, status: int | None, error: str, now: datetime
) -> str:
    attempts = delivery.attempts + 1
    subscription = delivery.subscription
    with transaction.atomic():
        if ok:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                status=DeliveryStatus.DELIVERED,
                attempts=attempts,
                response_status=status,
                error="",
                delivered_at=timezone.now(),
            )
            Subscription.objects.filter(pk=subscription.pk).update(failures=0)
            return DeliveryStatus.DELIVERED
        given_up = attempts >= settings.PACTE_WEBHOOK_MAX_ATTEMPTS
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED if given_up else DeliveryStatus.PENDING,
            attempts=attempts,
            response_status=status,
            error=error,
            next_attempt_at=now + retry_delay(attempts),
            claimed_at=None,
        )
        Subscription.objects.filter(pk=subscription.pk).update(failures=F("failures") + 1)
        disabled = Subscription.objects.filter(
            pk=subscription.pk,
            is_active=True,
            failures__gte=settings.PACTE_WEBHOOK_DISABLE_AFTER,
        ).update(is_active=False, disabled_at=timezone.now())
        if disabled:
            from pacte.webhooks.services import disabled_by_failures

            disabled_by_failures(Subscription.objects.get(pk=subscription.pk))
    logger.warning(
        "Webhook delivery %s to subscription %s failed (attempt %s, status %s): %s",
        delivery.pk,
        subscription.pk,
        attempts,
        status,
        error,
    )
    return DeliveryStatus.FAILED if given_up else DeliveryStatus.PENDING


def sweep(now: datetime | None = None) -> int:
    """Every scheduler tick: take back deliveries whose worker died while sending, and queue the
    ones due (a retry's time has come, or a job lost before it ran). Returns how many queued."""
    now = now or timezone.now()
    WebhookDelivery.objects.filter(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - LEASE
    ).update(status=DeliveryStatus.PENDING, claimed_at=None)
    due = list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            subscription__is_active=True,
        )
        .exclude(claimed_at__gte=now - LEASE)
        .values_list("pk", flat=True)[:500]
    )
    if due:
        WebhookDelivery.objects.filter(pk__in=due).update(claimed_at=now)
        for pk in due:
            enqueue(pk)
    return len(due)

"""Subscriptions of other tools to Pacte's events, the events sent and each delivery's log.

An event is written in the transaction of the change it reports (an objective agreed, an import
done), with one delivery per subscription listening to it; workers send the deliveries, signed,
retried with backoff, until delivered or given up. The signing secret is stored encrypted.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pacte.accounts.models import Membership, WorkspaceModel


class Format(models.TextChoices):
    JSON = "json", _("JSON (signed, for your own tools)")
    SLACK = "slack", _("Slack incoming webhook")
    TEAMS = "teams", _("Microsoft Teams incoming webhook")


class Subscription(WorkspaceModel):
    """Where to send which events. ``events`` lists event codes (``pacte.webhooks.events``)."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=120)
    #: The address, encrypted (a Slack or Teams address holds its own secret); ``url_hint`` is
    #: what is shown of it: the scheme and host.
    url = models.TextField()
    url_hint = models.CharField(max_length=200)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    events = models.JSONField(default=list)
    secret = models.TextField()  # encrypted (pacte.encryption), never shown back
    is_active = models.BooleanField(_("active"), default=True)
    #: Failed attempts in a row; at ``PACTE_WEBHOOK_DISABLE_AFTER`` the subscription is disabled.
    failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="subscription_ws_uuid"),
        ]

    def __str__(self) -> str:
        return self.name


class Event(WorkspaceModel):
    """One event sent to the subscriptions that listened to it when it happened.

    ``dedup_key`` (optional) makes an event happen once: an alert per person and period, a
    period closed once per quarter; a second emit with the same key writes nothing."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    dedup_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="webhookevent_ws_uuid"),
            models.UniqueConstraint(
                fields=["workspace", "dedup_key"],
                condition=~Q(dedup_key=""),
                name="webhookevent_dedup",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.uuid}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Given up")


class WebhookDelivery(WorkspaceModel):
    """One event to one subscription: its attempts and the last answer."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    #: When a worker took it (``sending``) or when its job was queued (``pending``): a delivery
    #: whose worker died is taken up again by the scheduler's sweep after a lease.
    claimed_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="webhookdelivery_ws_uuid"),
            models.UniqueConstraint(
                fields=["workspace", "subscription", "event"], name="webhookdelivery_once"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhookdelivery_due"),
            models.Index(
                fields=["workspace", "subscription", "-created_at"], name="webhookdelivery_log"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.subscription_id}"

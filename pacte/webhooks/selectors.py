from __future__ import annotations

from django.db.models import QuerySet

from pacte.accounts.models import Workspace
from pacte.webhooks.models import Subscription, WebhookDelivery


def subscriptions_of(workspace: Workspace) -> QuerySet[Subscription]:
    return Subscription.objects.for_workspace(workspace).order_by("name", "pk")


def deliveries_of(subscription: Subscription) -> QuerySet[WebhookDelivery]:
    return (
        WebhookDelivery.objects.for_workspace(subscription.workspace)
        .filter(subscription=subscription)
        .select_related("event")
        .order_by("-created_at", "-pk")
    )

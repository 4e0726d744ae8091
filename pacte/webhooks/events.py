"""The events other tools can subscribe to, and ``emit``: called by the app where the event
happens, inside the transaction of its change (an event of a change rolled back never leaves).

``data`` holds plain values: ids as text, amounts in minor units under keys ending in
``amount`` (with the workspace's ``currency``), so that the JSON format is stable and the chat
formats can word them in the workspace's language."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pacte.accounts.models import Workspace

logger = logging.getLogger("pacte.webhooks")


@dataclass(frozen=True)
class EventKind:
    code: str
    label: Promise
    #: One line for people (chat formats, the delivery log), with ``%(name)s`` placeholders
    #: filled from the event's data (amounts formatted in the reader's language).
    summary: Promise
    alert: bool = False


KINDS: dict[str, EventKind] = {
    kind.code: kind
    for kind in (
        EventKind(
            "objective.proposed",
            _("Objective proposed"),
            _("%(seller)s proposed an objective of %(amount)s for FY%(fiscal_year)s."),
        ),
        EventKind(
            "objective.agreed",
            _("Objective agreed"),
            _("The objective of %(seller)s for FY%(fiscal_year)s is agreed: %(amount)s."),
        ),
        EventKind(
            "objective.returned",
            _("Objective returned"),
            _("The objective of %(seller)s for FY%(fiscal_year)s was returned: %(reason)s"),
        ),
        EventKind(
            "import.done",
            _("Sales import done"),
            _("Sales import “%(name)s” done: %(created)s new, %(updated)s changed."),
        ),
        EventKind(
            "import.failed",
            _("Sales import failed"),
            _("Sales import “%(name)s” failed: %(message)s"),
            alert=True,
        ),
        EventKind(
            "sync.done",
            _("Data source synced"),
            _("Data source “%(name)s” synced: %(created)s new, %(updated)s changed."),
        ),
        EventKind(
            "sync.failed",
            _("Data source sync failed"),
            _("Data source “%(name)s” could not sync: %(message)s"),
            alert=True,
        ),
        EventKind(
            "period.closed",
            _("Quarter closed"),
            _("Q%(quarter)s of FY%(fiscal_year)s is closed: %(reviews)s reviews asked for."),
        ),
        EventKind(
            "alert",
            _("Alerts to people"),
            _("%(member)s: %(text)s"),
            alert=True,
        ),
        EventKind(
            "webhook.test",
            _("Test event"),
            _("A test event from Pacte for “%(name)s”."),
        ),
    )
}

#: What a subscriber may choose (the test event is sent on demand only).
CHOOSABLE = [code for code in KINDS if code != "webhook.test"]


def emit(
    workspace: Workspace | int,
    code: str,
    data: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
    *,
    dedup_key: str = "",
    only: int | None = None,
) -> int:
    """Record event ``code`` for every active subscription of the workspace listening to it and
    queue their deliveries when the caller's transaction commits. Returns the number of
    deliveries (0 when nobody listens, or when ``dedup_key`` was used before: nothing written).

    ``only`` restricts it to one subscription (the test event)."""
    from pacte.webhooks.delivery import enqueue
    from pacte.webhooks.models import Event, Subscription, WebhookDelivery

    if code not in KINDS:
        raise ValueError(f"Unknown webhook event {code!r}")
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    subscriptions = Subscription.objects.filter(workspace_id=workspace_id, is_active=True)
    if only is not None:
        subscriptions = subscriptions.filter(pk=only)
    # A workspace has a few subscriptions: their event lists are read, not filtered in SQL.
    targets = [s.pk for s in subscriptions.only("pk", "events") if only or code in s.events]
    if not targets:
        return 0
    now = timezone.now()
    try:
        with transaction.atomic():
            event = Event.objects.create(
                workspace_id=workspace_id,
                code=code,
                data=dict(data() if callable(data) else data),
                dedup_key=dedup_key[:200],
            )
    except IntegrityError:
        logger.info("Webhook event %s (%s) already sent", code, dedup_key)
        return 0
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                workspace_id=workspace_id,
                subscription_id=pk,
                event=event,
                next_attempt_at=now,
                claimed_at=now,
            )
            for pk in targets
        ]
    )
    ids = [d.pk for d in deliveries]

    def send() -> None:
        for pk in ids:
            enqueue(pk)

    transaction.on_commit(send)
    return len(ids)

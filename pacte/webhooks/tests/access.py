"""Access rules of the webhooks pages and API (read by pacte/tests/test_access.py)."""

from __future__ import annotations

from typing import Any

from pacte.testing.access import ADMIN, Route, register_api, register_pages
from pacte.testing.cast import Cast


def webhook(c: Cast) -> Any:
    from pacte.webhooks.services import create_subscription

    return create_subscription(
        actor=c.admin, name="probe", url="https://example.com/h", format="json", events=["alert"]
    )[0]


def delivery(c: Cast) -> dict[str, Any]:
    from pacte.webhooks.events import emit
    from pacte.webhooks.models import DeliveryStatus, WebhookDelivery

    sub = webhook(c)
    emit(c.workspace, "alert", {"member": "x", "text": "y"}, only=sub.pk)
    found = WebhookDelivery.objects.get(subscription=sub)
    WebhookDelivery.objects.filter(pk=found.pk).update(status=DeliveryStatus.FAILED)
    return {"webhook_id": sub.uuid, "delivery_id": found.uuid}


register_pages(
    {
        "webhooks:list": Route(ADMIN),
        "webhooks:detail": Route(ADMIN, obj=lambda c: {"uuid": webhook(c).uuid}),
        "webhooks:action": Route(ADMIN, obj=lambda c: {"uuid": webhook(c).uuid, "what": "rotate"}),
        "webhooks:retry": Route(
            ADMIN,
            obj=lambda c: {
                "uuid": (d := delivery(c))["webhook_id"],
                "delivery": d["delivery_id"],
            },
        ),
    }
)

register_api(
    {
        ("GET", "/api/v1/webhooks/events"): Route(ADMIN),
        ("GET", "/api/v1/webhooks"): Route(ADMIN),
        ("POST", "/api/v1/webhooks"): Route(
            ADMIN, body=lambda c: {"name": "x", "url": "https://example.com/x", "events": ["alert"]}
        ),
        ("GET", "/api/v1/webhooks/{webhook_id}"): Route(
            ADMIN, obj=lambda c: {"webhook_id": webhook(c).uuid}
        ),
        ("PATCH", "/api/v1/webhooks/{webhook_id}"): Route(
            ADMIN, obj=lambda c: {"webhook_id": webhook(c).uuid}, body=lambda c: {"name": "y"}
        ),
        ("DELETE", "/api/v1/webhooks/{webhook_id}"): Route(
            ADMIN, obj=lambda c: {"webhook_id": webhook(c).uuid}
        ),
        ("POST", "/api/v1/webhooks/{webhook_id}/test"): Route(
            ADMIN, obj=lambda c: {"webhook_id": webhook(c).uuid}
        ),
        ("POST", "/api/v1/webhooks/{webhook_id}/secret"): Route(
            ADMIN, obj=lambda c: {"webhook_id": webhook(c).uuid}
        ),
        ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): Route(
            ADMIN, obj=lambda c: {"webhook_id": webhook(c).uuid}
        ),
        ("POST", "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry"): Route(
            ADMIN, obj=delivery
        ),
    }
)

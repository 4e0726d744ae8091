"""Webhooks over the API (admins and executives): the same as the pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Router
from ninja.pagination import paginate

from pacte.accounts.access import ADMIN_ROLES, get_scoped, require_role
from pacte.accounts.models import Membership
from pacte.api_auth import request_member
from pacte.api_pagination import Pagination
from pacte.webhooks import selectors, services
from pacte.webhooks.delivery import summary
from pacte.webhooks.events import CHOOSABLE, KINDS
from pacte.webhooks.models import Subscription, WebhookDelivery
from pacte.webhooks.schemas import (
    DeliveryOut,
    EventKindOut,
    SecretOut,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
)

router = Router(tags=["webhooks"])


def _admin(request: HttpRequest) -> Membership:
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    return member


def _sub(member: Membership, webhook_id: str) -> Subscription:
    return get_scoped(selectors.subscriptions_of(member.workspace), webhook_id)


@router.get("/events", response=list[EventKindOut], summary="The events one can subscribe to")
def webhook_events(request: HttpRequest) -> list[dict[str, str]]:
    _admin(request)
    return [{"code": code, "label": str(KINDS[code].label)} for code in CHOOSABLE]


@router.get("", response=list[SubscriptionOut], summary="The workspace's webhooks")
def webhook_list(request: HttpRequest) -> Any:
    return selectors.subscriptions_of(_admin(request).workspace)


@router.post(
    "", response={201: SubscriptionCreated}, summary="Add a webhook (its secret is shown once)"
)
def webhook_create(request: HttpRequest, payload: SubscriptionIn) -> tuple[int, dict[str, Any]]:
    member = _admin(request)
    sub, secret = services.create_subscription(actor=member, **payload.model_dump())
    out = SubscriptionOut.from_orm(sub).model_dump()
    return 201, {**out, "secret": secret}


@router.get("/{webhook_id}", response=SubscriptionOut, summary="One webhook")
def webhook_get(request: HttpRequest, webhook_id: str) -> Subscription:
    return _sub(_admin(request), webhook_id)


@router.patch("/{webhook_id}", response=SubscriptionOut, summary="Change a webhook")
def webhook_patch(
    request: HttpRequest, webhook_id: str, payload: SubscriptionPatch
) -> Subscription:
    member = _admin(request)
    changes = payload.model_dump(exclude_none=True)
    version = changes.pop("version", None)
    return services.update_subscription(
        sub=_sub(member, webhook_id), actor=member, version=version, **changes
    )


@router.delete("/{webhook_id}", response={204: None}, summary="Delete a webhook")
def webhook_delete(request: HttpRequest, webhook_id: str) -> tuple[int, None]:
    member = _admin(request)
    services.delete_subscription(sub=_sub(member, webhook_id), actor=member)
    return 204, None


@router.post("/{webhook_id}/test", response={202: None}, summary="Send a test event")
def webhook_test(request: HttpRequest, webhook_id: str) -> tuple[int, None]:
    member = _admin(request)
    services.send_test(sub=_sub(member, webhook_id), actor=member)
    return 202, None


@router.post(
    "/{webhook_id}/secret", response=SecretOut, summary="Replace the signing secret (shown once)"
)
def webhook_rotate(request: HttpRequest, webhook_id: str) -> dict[str, str]:
    member = _admin(request)
    return {"secret": services.rotate_secret(sub=_sub(member, webhook_id), actor=member)}


def _delivery_out(d: WebhookDelivery, currency: str, language: str) -> dict[str, Any]:
    return {
        "uuid": d.uuid,
        "event_id": d.event.uuid,
        "event": d.event.code,
        "summary": summary(d.event.code, d.event.data, currency, language),
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at if d.status == "pending" else None,
        "response_status": d.response_status,
        "error": d.error,
        "created_at": d.created_at,
        "delivered_at": d.delivered_at,
    }


@router.get(
    "/{webhook_id}/deliveries",
    response=list[DeliveryOut],
    summary="A webhook's delivery log, newest first",
)
@paginate(Pagination)
def webhook_deliveries(request: HttpRequest, webhook_id: str) -> Any:
    member = _admin(request)
    sub = _sub(member, webhook_id)
    currency, language = member.workspace.currency, get_language()
    return _Mapped(selectors.deliveries_of(sub), lambda d: _delivery_out(d, currency, language))


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/retry",
    response=DeliveryOut,
    summary="Send a given-up delivery again",
)
def webhook_retry(request: HttpRequest, webhook_id: str, delivery_id: str) -> dict[str, Any]:
    member = _admin(request)
    sub = _sub(member, webhook_id)
    delivery = get_scoped(selectors.deliveries_of(sub), delivery_id)
    delivery = services.retry_delivery(delivery=delivery, actor=member)
    return _delivery_out(delivery, member.workspace.currency, get_language())


class _Mapped:
    """A queryset the paginator slices, each row turned into its output when read."""

    def __init__(self, queryset: Any, convert: Any) -> None:
        self.queryset, self.convert = queryset, convert

    def __len__(self) -> int:
        return int(self.queryset.count())

    def count(self) -> int:
        return int(self.queryset.count())

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [self.convert(d) for d in self.queryset[item]]

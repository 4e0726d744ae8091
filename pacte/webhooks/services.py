"""Adding, changing and removing webhooks; a test event; sending a delivery again.

Every change is audited in its transaction (never the secret, never the address: only its
host). The signing secret is returned once, when made; the address and the secret are stored
encrypted."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership, Role
from pacte.audit.services import record
from pacte.encryption import encrypt
from pacte.errors import DomainError, check_version
from pacte.webhooks.events import CHOOSABLE, KINDS, emit
from pacte.webhooks.models import DeliveryStatus, Format, Subscription, WebhookDelivery

SECRET_PREFIX = "whsec_"
FIELDS = ("name", "url_hint", "format", "events", "is_active")


def check_url(url: str) -> str:
    """A web address Pacte may post to: https (http only where the settings allow it, for a
    receiver on the same machine), with a host; returns it stripped."""
    url = (url or "").strip()
    if not url:
        raise DomainError(_("Give the address to send to."), code="required", field="url")
    parts = urlsplit(url)
    allowed = ("https", "http") if settings.PACTE_WEBHOOK_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise DomainError(
            _("The address must start with https:// and name a host: %(url)s") % {"url": url[:100]},
            code="invalid_url",
            field="url",
        )
    if len(url) > 2000:
        raise DomainError(_("The address is too long."), code="invalid_url", field="url")
    return url


def hint_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{':' + str(parts.port) if parts.port else ''}/…"


def check_events(events: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(str(e) for e in events))
    unknown = [e for e in chosen if e not in CHOOSABLE]
    if unknown:
        raise DomainError(
            _("Unknown event: %(codes)s. Known events: %(known)s.")
            % {"codes": ", ".join(unknown), "known": ", ".join(CHOOSABLE)},
            code="unknown_event",
            field="events",
        )
    if not chosen:
        raise DomainError(_("Choose at least one event."), code="required", field="events")
    return chosen


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the webhook a name."), code="required", field="name")
    return name[:120]


def _format(value: str) -> str:
    if value not in Format.values:
        raise DomainError(
            _("Unknown format: %(format)s.") % {"format": value}, code="invalid", field="format"
        )
    return value


def _audit(sub: Subscription, actor: Membership | None, action: str, **kw: Any) -> None:
    record(workspace=sub.workspace, actor=actor, action=action, obj=sub, **kw)


def _state(sub: Subscription) -> dict[str, Any]:
    return {f: getattr(sub, f) for f in FIELDS}


@transaction.atomic
def create_subscription(
    *, actor: Membership, name: str, url: str, format: str, events: Iterable[str]
) -> tuple[Subscription, str]:
    """A new webhook and its signing secret (returned once, stored encrypted)."""
    url = check_url(url)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    sub = Subscription.objects.create(
        workspace=actor.workspace,
        name=_name(name),
        url=encrypt(url),
        url_hint=hint_of(url),
        format=_format(format),
        events=check_events(events),
        secret=encrypt(secret),
        created_by=actor,
    )
    _audit(sub, actor, "webhook.created", after=_state(sub))
    return sub, secret


@transaction.atomic
def update_subscription(
    *,
    sub: Subscription,
    actor: Membership,
    version: int | None,
    name: str | None = None,
    url: str | None = None,
    format: str | None = None,
    events: Iterable[str] | None = None,
    is_active: bool | None = None,
) -> Subscription:
    """Change what is given (an empty or absent address keeps the stored one); 412 when the
    webhook changed since ``version`` was read. Turning it on again clears its failures."""
    sub = Subscription.objects.select_for_update().get(pk=sub.pk)
    check_version(sub, version)
    before = _state(sub)
    if name is not None:
        sub.name = _name(name)
    if url:
        clean = check_url(url)
        sub.url, sub.url_hint = encrypt(clean), hint_of(clean)
    if format is not None:
        sub.format = _format(format)
    if events is not None:
        sub.events = check_events(events)
    if is_active is not None and is_active != sub.is_active:
        sub.is_active = is_active
        if is_active:
            sub.failures, sub.disabled_at = 0, None
    after = _state(sub)
    if after == before and not url:
        return sub
    sub.version += 1
    sub.save()
    action = (
        "webhook.enabled" if after["is_active"] and not before["is_active"] else "webhook.updated"
    )
    _audit(sub, actor, action, before=before, after=after)
    if action == "webhook.enabled":
        # What waited while it was off is sent now.
        WebhookDelivery.objects.filter(subscription=sub, status=DeliveryStatus.PENDING).update(
            next_attempt_at=timezone.now(), claimed_at=None
        )
    return sub


@transaction.atomic
def rotate_secret(*, sub: Subscription, actor: Membership) -> str:
    """A new signing secret (returned once); the old one stops at once."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    Subscription.objects.filter(pk=sub.pk).update(secret=encrypt(secret))
    _audit(sub, actor, "webhook.secret_rotated")
    return secret


@transaction.atomic
def delete_subscription(*, sub: Subscription, actor: Membership) -> None:
    _audit(sub, actor, "webhook.deleted", before=_state(sub))
    sub.delete()


@transaction.atomic
def send_test(*, sub: Subscription, actor: Membership) -> int:
    """Queue a test event to this webhook only (also when it is off: it is how an admin checks
    the address before turning it on again)."""
    if not sub.is_active:
        raise DomainError(_("Turn the webhook on before sending a test event."), code="inactive")
    return emit(
        actor.workspace,
        "webhook.test",
        {"name": sub.name, "by": actor.name, "url": "/settings/webhooks/"},
        only=sub.pk,
    )


@transaction.atomic
def retry_delivery(*, delivery: WebhookDelivery, actor: Membership) -> WebhookDelivery:
    """Send a given-up delivery again (a new round of attempts)."""
    if delivery.status != DeliveryStatus.FAILED:
        raise DomainError(
            _("Only a delivery that was given up can be sent again."), code="not_failed"
        )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), claimed_at=None
    )
    from pacte.webhooks.delivery import enqueue

    pk = delivery.pk
    transaction.on_commit(lambda: enqueue(pk))
    delivery.refresh_from_db()
    return delivery


def disabled_by_failures(sub: Subscription) -> None:
    """The webhook was turned off by its failures (inside the delivery's transaction): audited,
    and every admin of the workspace told."""
    from pacte.objectives.services import notify

    _audit(sub, None, "webhook.disabled", after={"failures": sub.failures})
    for admin in _admins(sub):
        notify(
            recipient=admin,
            kind="webhook_disabled",
            params={"name": sub.name, "failures": sub.failures},
            url=f"/settings/webhooks/{sub.uuid}/",
        )


def _admins(sub: Subscription) -> list[Membership]:
    members = Membership.objects.for_workspace(sub.workspace).filter(is_active=True)
    return [m for m in members.select_related("user", "workspace") if m.has_role(Role.ADMIN)]


def kinds_for_choice() -> list[tuple[str, str]]:
    return [(code, str(KINDS[code].label)) for code in CHOOSABLE]

import datetime
import uuid
from uuid import UUID

from ninja import Schema


class EventKindOut(Schema):
    code: str
    label: str


class SubscriptionOut(Schema):
    uuid: uuid.UUID
    name: str
    url_hint: str
    format: str
    events: list[str]
    is_active: bool
    failures: int
    disabled_at: datetime.datetime | None
    created_at: datetime.datetime
    version: int


class SubscriptionCreated(SubscriptionOut):
    #: Shown once: the receiver's key to check the ``Pacte-Signature`` header.
    secret: str


class SubscriptionIn(Schema):
    name: str
    url: str
    format: str = "json"
    events: list[str]


class SubscriptionPatch(Schema):
    version: int | None = None
    name: str | None = None
    url: str | None = None
    format: str | None = None
    events: list[str] | None = None
    is_active: bool | None = None


class SecretOut(Schema):
    secret: str


class DeliveryOut(Schema):
    uuid: UUID
    event_id: UUID
    event: str
    summary: str
    status: str
    attempts: int
    next_attempt_at: datetime.datetime | None
    response_status: int | None
    error: str
    created_at: datetime.datetime
    delivered_at: datetime.datetime | None

"""Writing audit events. Call ``record`` inside the transaction of the change it describes."""

from __future__ import annotations

import contextlib
import datetime
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

from django.db import models, transaction

from pacte.accounts.models import Membership, Workspace
from pacte.audit.models import AuditEvent

#: Who acts when no member does ("system" by default; "SCIM" for a provider's requests).
_system_actor: ContextVar[str] = ContextVar("audit_system_actor", default="system")


@contextlib.contextmanager
def acting_as(name: str) -> Iterator[None]:
    """Events recorded without a member inside this block name ``name`` as their actor."""
    token = _system_actor.set(name)
    try:
        yield
    finally:
        _system_actor.reset(token)


def jsonable(value: Any) -> Any:
    """Turn model field values into JSON-safe values (UUIDs, dates and decimals as text)."""
    if isinstance(value, models.Model):
        return str(getattr(value, "uuid", value.pk))
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of ``obj`` as a JSON-safe dict (foreign keys as their public id)."""
    data: dict[str, Any] = {}
    for name in fields:
        data[name] = jsonable(getattr(obj, name))
    return data


def _event(
    *,
    workspace: Workspace,
    actor: Membership | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: Any = None,
    after: Any = None,
) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.model_name or ""
        object_id = object_id or str(getattr(obj, "uuid", obj.pk))
        object_repr = object_repr or str(obj)
    return AuditEvent(
        workspace=workspace,
        actor=actor,
        actor_name=actor.name if actor else _system_actor.get(),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:300],
        before=jsonable(before),
        after=jsonable(after),
    )


def record(**kwargs: Any) -> AuditEvent:
    """Write one audit event. Must run inside the transaction of the change it describes."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Audit events are written inside the transaction of their change.")
    event = _event(**kwargs)
    event.save()
    return event


def record_many(events: Iterable[dict[str, Any]], *, batch_size: int = 2000) -> int:
    """Write many audit events in bulk (imports); same rules as ``record``."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Audit events are written inside the transaction of their change.")
    rows = [_event(**kwargs) for kwargs in events]
    AuditEvent.objects.bulk_create(rows, batch_size=batch_size)
    return len(rows)

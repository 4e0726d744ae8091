from __future__ import annotations

import datetime
import uuid

from django.db.models import QuerySet

from pacte.accounts.models import Membership
from pacte.audit.models import AuditEvent


def filter_events(
    viewer: Membership,
    *,
    person: uuid.UUID | None = None,
    object_type: str = "",
    object_id: str = "",
    q: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[AuditEvent]:
    """Events of the viewer's workspace, filtered by actor, object and day range (inclusive)."""
    qs = AuditEvent.objects.for_workspace(viewer.workspace)
    if person:
        qs = qs.filter(actor__uuid=person)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if q:
        qs = qs.filter(object_repr__icontains=q)
    if date_from:
        qs = qs.filter(at__date__gte=date_from)
    if date_to:
        qs = qs.filter(at__date__lte=date_to)
    return qs.order_by("-at", "-id")

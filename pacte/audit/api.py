import datetime
import uuid

from django.http import HttpRequest
from ninja import FilterSchema, Query, Router, Schema
from ninja.pagination import paginate

from pacte.accounts.access import ADMIN_ROLES, require_role
from pacte.api_pagination import Pagination
from pacte.audit.models import AuditEvent
from pacte.audit.selectors import filter_events

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    action: str
    actor_name: str
    object_type: str
    object_id: str
    object_repr: str
    before: object | None
    after: object | None
    at: datetime.datetime


class AuditFilter(FilterSchema):
    """Same filters as the audit page (``AuditFilterForm``), applied by ``filter_events``."""

    person: uuid.UUID | None = None
    object_type: str = ""
    object_id: str = ""
    q: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


@router.get("", response=list[AuditEventOut], summary="Audit events (executives and admins)")
@paginate(Pagination)
def events(request: HttpRequest, filters: Query[AuditFilter]) -> list[AuditEvent]:
    member = request.member  # type: ignore[attr-defined]
    require_role(member, *ADMIN_ROLES)
    return filter_events(member, **filters.model_dump())  # type: ignore[return-value]

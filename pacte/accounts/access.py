"""The one scoped entry point to every workspace object: not visible → 404, not writable → 403."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership, Role
from pacte.errors import PermissionDenied

#: Roles that may change people, teams and workspace settings.
ADMIN_ROLES = (Role.ADMIN, Role.EXECUTIVE)


def require_role(member: Membership, *roles: str) -> None:
    """403 unless ``member`` holds one of ``roles``."""
    if not member.has_role(*roles):
        raise PermissionDenied(_("Your role does not allow this action."))


def parse_uuid(value: Any) -> uuid.UUID:
    """A forged or malformed id is simply not found."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise Http404 from None


def get_scoped[M: Model](queryset: QuerySet[M], public_id: Any) -> M:
    """The object with this public id inside an already scoped queryset, else 404."""
    try:
        return queryset.get(uuid=parse_uuid(public_id))
    except queryset.model.DoesNotExist:  # type: ignore[attr-defined]
        raise Http404 from None


def visible_members(viewer: Membership) -> QuerySet[Membership]:
    """The directory: every member of the viewer's workspace; inactive ones for admins only."""
    return Membership.objects.visible_to(viewer)


def get_member_for(viewer: Membership, public_id: Any, *, write: bool = False) -> Membership:
    member = get_scoped(visible_members(viewer).select_related("user"), public_id)
    if write:
        require_role(viewer, *ADMIN_ROLES)
    return member

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


# --------------------------------------------------------------------------- partners' people

#: The pages a partner's person may open besides their partner pages (namespace ``partner``):
#: signing in and out, their own login (password, second factors, tokens, sessions,
#: invitations, workspace choice) and the public routes. Every other page answers 404 to them.
PARTNER_PAGES = frozenset(
    {
        "home",  # sends them to their partner page
        "healthz",
        "favicon",
        "metrics",
        "accounts:login",
        "accounts:logout",
        "accounts:set_language",
        "accounts:password_change",
        "accounts:password_change_done",
        "accounts:account",
        "accounts:token_revoke",
        "accounts:switch_workspace",
        "accounts:choose_workspace",
        "accounts:login_verify",
        "accounts:login_verify_passkey_options",
        "accounts:login_verify_passkey",
        "accounts:passkey_login_options",
        "accounts:passkey_login",
        "accounts:security",
        "accounts:passkey_add_options",
        "accounts:passkey_add",
        "accounts:end_sessions",
        "accounts:invitations",
        "accounts:invitation_accept",
        "accounts:invitation_decline",
    }
)
#: The namespaces a partner's person may open whole: their partner pages, single sign-on.
PARTNER_NAMESPACES = ("partner:", "sso:", "scim:")
#: The API routes a partner's person may call: their own organisation's figures.
PARTNER_API_ROOT = "/api/v1/partner"


def partner_may_open(view_name: str) -> bool:
    """Whether a partner's person may open the page named ``view_name`` (else 404)."""
    return view_name in PARTNER_PAGES or view_name.startswith(PARTNER_NAMESPACES)


def partner_may_call(path: str) -> bool:
    """Whether a partner's person may call the API route at ``path`` (else 404)."""
    return path == PARTNER_API_ROOT or path.startswith(PARTNER_API_ROOT + "/")

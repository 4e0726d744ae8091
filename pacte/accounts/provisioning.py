"""One place where an identity from outside (single sign-on claims, SCIM groups) becomes a
member: created when the workspace allows it, roles and team set from the group mappings,
team changes recorded as dated placements so the organisation's history stays true.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.accounts.models import GroupMapping, Membership, Workspace
from pacte.accounts.signin import settings_for
from pacte.errors import DomainError


@dataclass(frozen=True)
class Mapped:
    """What the groups say: roles (empty: the mappings say nothing) and a team (or None)."""

    roles: frozenset[str]
    unit: Any


def map_groups(*, workspace: Workspace, groups: Iterable[str]) -> Mapped:
    """The union of the roles of every matching mapping; the team of the first one with a team.

    A mapping whose team was deleted or deactivated refuses the sign-in, naming the team:
    silently landing people in the wrong team would rewrite the organisation.
    """
    wanted = {str(g) for g in groups}
    roles: set[str] = set()
    unit = None
    for mapping in (
        GroupMapping.objects.for_workspace(workspace)
        .filter(group__in=wanted)
        .select_related("unit")
    ):
        if mapping.unit_name and (mapping.unit is None or not mapping.unit.is_active):
            raise DomainError(
                _(
                    "The group “%(group)s” is mapped to the team “%(team)s”, which no longer "
                    "exists. An admin must correct the mapping."
                )
                % {"group": mapping.group, "team": mapping.unit_name},
                code="mapping_team_missing",
            )
        roles.update(mapping.roles)
        if unit is None and mapping.unit is not None:
            unit = mapping.unit
    return Mapped(roles=frozenset(roles), unit=unit)


@transaction.atomic
def apply_identity(
    member: Membership | None,
    *,
    workspace: Workspace,
    email: str,
    name: str,
    groups: Iterable[str],
    at: datetime.datetime,
    source: str = "sso",
) -> Membership:
    """Create or update the member for this identity; returns the (active) member.

    - ``member`` None: created if the workspace allows just-in-time creation, with the
      mapped roles (else the workspace's default roles) in the mapped team (else the default
      team, else the company), joining on ``at``'s day;
    - an existing member: roles replaced by the mapped ones when mappings matched; moved to
      the mapped team from ``at``'s day (a dated placement, history kept);
    - a deactivated member is refused: only an admin (or SCIM) brings them back;
    - a partner's person keeps the partner role and no team, whatever the groups say.
    """
    from pacte.org.models import Placement, Unit
    from pacte.org.services import create_member, move_member, update_member

    policy = settings_for(workspace)
    mapped = map_groups(workspace=workspace, groups=groups)
    day = timezone.localdate(at)
    if member is None:
        if not policy.jit_enabled:
            raise DomainError(
                _("You have no access to %(workspace)s yet. Ask an admin to add you.")
                % {"workspace": workspace.name},
                code="not_provisioned",
            )
        unit = mapped.unit or policy.default_unit
        if unit is None or not unit.is_active:
            unit = Unit.objects.for_workspace(workspace).get(parent__isnull=True)
        roles = sorted(mapped.roles) or list(policy.default_roles) or ["seller"]
        return create_member(
            workspace=workspace,
            actor=None,
            email=email,
            name=(name or email.split("@")[0]).strip(),
            roles=roles,
            unit=unit,
            joined_on=day,
            invite=False,
        )
    if not member.is_active:
        raise DomainError(
            _("Your access to %(workspace)s is deactivated. Ask an admin.")
            % {"workspace": workspace.name},
            code="deactivated",
        )
    if member.is_pending and source == "sso":
        from pacte.accounts.invitations import accept_by_own_provider

        member = accept_by_own_provider(member)
    if member.is_partner:  # a partner's person: their organisation, not the groups, says
        return member
    if mapped.roles and set(member.roles) != mapped.roles:
        member = update_member(member=member, actor=None, roles=sorted(mapped.roles))
    if mapped.unit is not None:
        current = Placement.objects.filter(membership=member, valid_to__isnull=True).first()
        if current is None or current.unit_id != mapped.unit.pk:
            move_member(
                member=member, actor=None, unit=mapped.unit, effective=max(day, member.joined_on)
            )
            member.refresh_from_db()
    return member

"""Workflows that change the organisation. Each runs in one transaction with its audit event."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.accounts import invitations
from pacte.accounts.models import ROLE_FIELDS, Membership, Role, User, Workspace
from pacte.accounts.sessions import end_all_sessions
from pacte.audit.services import record, record_many, snapshot
from pacte.errors import DomainError, StaleVersion, check_version
from pacte.org import selectors
from pacte.org.models import (
    Deputy,
    OrgSettings,
    Placement,
    ProposalDraft,
    ProposalStatus,
    Unit,
    UnitLink,
)

UNIT_FIELDS = ("name", "parent", "lead", "is_active")
MEMBER_FIELDS = ("name", "email", "roles", "is_active")


def _check_lead(unit: Unit, lead: Membership | None) -> None:
    if lead is None:
        return
    if lead.workspace_id != unit.workspace_id:
        raise DomainError(_("This person is not in the workspace."), code="not_found", field="lead")
    if not lead.is_active:
        raise DomainError(
            _("%(name)s is deactivated and cannot lead a team.") % {"name": lead},
            code="inactive_lead",
            field="lead",
        )
    other = Unit.objects.filter(lead=lead).exclude(pk=unit.pk).first()
    if other is not None:
        raise DomainError(
            _("%(name)s already leads the team “%(team)s”; a person leads one team at most.")
            % {"name": lead, "team": other},
            code="already_leads",
            field="lead",
        )


def _check_parent(unit: Unit | None, parent: Unit | None, workspace: Workspace) -> None:
    if parent is None:
        raise DomainError(
            _("Choose the team this team belongs to."), code="required", field="parent"
        )
    if parent.workspace_id != workspace.pk:
        raise DomainError(_("This team is not in the workspace."), code="not_found", field="parent")
    if unit is not None and unit.pk is not None and unit.pk in selectors.ancestor_ids(parent):
        raise DomainError(
            _("“%(team)s” cannot be placed under “%(parent)s”: that team is inside it (a cycle).")
            % {"team": unit, "parent": parent},
            code="cycle",
            field="parent",
        )


def _check_unique_name(workspace: Workspace, name: str, exclude: Unit | None = None) -> None:
    qs = Unit.objects.for_workspace(workspace).filter(name__iexact=name)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    if qs.exists():
        raise DomainError(
            _("A team named “%(name)s” already exists.") % {"name": name},
            code="duplicate_name",
            field="name",
        )


def _save_recorded(
    row: Unit | Membership,
    *,
    actor: Membership | None,
    action: str,
    before: dict[str, object],
    fields: tuple[str, ...],
    update_fields: list[str] | None = None,
) -> None:
    """Bump ``row``'s version, save it and record ``action`` from ``before`` to its snapshot
    of ``fields`` now, in the transaction of the change."""
    row.version += 1
    row.save(update_fields=update_fields)
    record(
        workspace=row.workspace,
        actor=actor,
        action=action,
        obj=row,
        before=before,
        after=snapshot(row, fields),
    )


def _grant_lead_role(lead: Membership | None, actor: Membership | None) -> None:
    if lead is not None and not lead.is_lead:
        before = snapshot(lead, MEMBER_FIELDS)
        lead.is_lead = True
        _save_recorded(
            lead,
            actor=actor,
            action="member.updated",
            before=before,
            fields=MEMBER_FIELDS,
            update_fields=["is_lead", "version"],
        )


@transaction.atomic
def create_unit(
    *,
    workspace: Workspace,
    actor: Membership | None,
    name: str,
    parent: Unit | None,
    lead: Membership | None = None,
) -> Unit:
    name = name.strip()
    if not name:
        raise DomainError(_("A team needs a name."), code="required", field="name")
    _check_parent(None, parent, workspace)
    _check_unique_name(workspace, name)
    _check_lead_policy(workspace, lead, name)
    unit = Unit(workspace=workspace, name=name, parent=parent)
    _check_lead(unit, lead)
    unit.lead = lead
    unit.save()
    _grant_lead_role(lead, actor)
    record(
        workspace=workspace,
        actor=actor,
        action="unit.created",
        obj=unit,
        after=snapshot(unit, UNIT_FIELDS),
    )
    return unit


@transaction.atomic
def update_unit(
    *,
    unit: Unit,
    actor: Membership | None,
    name: str | None = None,
    parent: Unit | None = None,
    lead: Membership | object | None = ...,
    version: int | None = None,
    effective: datetime.date | None = None,
) -> Unit:
    """Rename a team, move it under another parent, or change its lead (``None`` removes it).

    A new parent or lead takes effect on ``effective`` (today by default) and is kept in the
    dated history (``UnitLink``); ``Unit.parent`` / ``Unit.lead`` hold the latest values.
    """
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    check_version(unit, version)
    before = snapshot(unit, UNIT_FIELDS)
    old_parent_id, old_lead_id = unit.parent_id, unit.lead_id
    if name is not None:
        name = name.strip()
        if not name:
            raise DomainError(_("A team needs a name."), code="required", field="name")
        _check_unique_name(unit.workspace, name, exclude=unit)
        unit.name = name
    if parent is not None and parent.pk != unit.parent_id:
        if unit.is_root:
            raise DomainError(
                _("The company is the top of the tree and cannot be moved."),
                code="root_immovable",
                field="parent",
            )
        _check_parent(unit, parent, unit.workspace)
        unit.parent = parent
    if lead is not ...:
        new_lead = lead if isinstance(lead, Membership) else None
        _check_lead(unit, new_lead)
        _check_lead_policy(unit.workspace, new_lead, unit.name)
        if new_lead is not None and effective is not None and effective < new_lead.joined_on:
            raise DomainError(
                _("The change is dated %(date)s, before %(name)s joined (%(joined)s).")
                % {"date": effective, "name": new_lead, "joined": new_lead.joined_on},
                code="before_joining",
                field="effective",
            )
        unit.lead = new_lead
        _grant_lead_role(new_lead, actor)
    after = snapshot(unit, UNIT_FIELDS)
    if after != before:
        day = effective or timezone.localdate()
        dated = unit.parent_id != old_parent_id or unit.lead_id != old_lead_id
        if dated:
            _record_link(unit, old_parent_id, old_lead_id, day)
        unit.version += 1
        unit.save()
        if dated and unit.parent_id != old_parent_id:
            _check_no_cycle_from(unit.workspace, day)
        action = "unit.moved" if before["parent"] != after["parent"] else "unit.updated"
        record(
            workspace=unit.workspace,
            actor=actor,
            action=action,
            obj=unit,
            before=before,
            after={**after, "effective": day} if dated else after,
        )
    return unit


def _check_lead_policy(workspace: Workspace, lead: Membership | None, team: object) -> None:
    if (
        lead is None
        and OrgSettings.objects.for_workspace(workspace).filter(require_lead=True).exists()
    ):
        raise DomainError(
            _("“%(team)s” would have no lead, and this workspace requires a lead in every team.")
            % {"team": team},
            code="lead_required",
            field="lead",
        )


def _record_link(
    unit: Unit, old_parent_id: int | None, old_lead_id: int | None, day: datetime.date
) -> None:
    """Close the team's open link on ``day`` and open one with the new parent and lead."""
    current = UnitLink.objects.select_for_update().filter(unit=unit, valid_to__isnull=True).first()
    if current is None:
        # no history yet: the old values held since the team existed
        UnitLink.objects.create(
            workspace_id=unit.workspace_id,
            unit=unit,
            parent_id=old_parent_id,
            lead_id=old_lead_id,
            valid_from=None,
            valid_to=day,
        )
    elif current.valid_from is not None and current.valid_from > day:
        raise DomainError(
            _("“%(team)s” has a later change dated %(date)s; a change must come after it.")
            % {"team": unit, "date": current.valid_from},
            code="before_last_move",
            field="effective",
        )
    elif current.valid_from == day:
        current.parent_id, current.lead_id = unit.parent_id, unit.lead_id
        current.save(update_fields=["parent", "lead"])
        return
    else:
        current.valid_to = day
        current.save(update_fields=["valid_to"])
    UnitLink.objects.create(
        workspace_id=unit.workspace_id,
        unit=unit,
        parent_id=unit.parent_id,
        lead_id=unit.lead_id,
        valid_from=day,
    )


def _check_no_cycle_from(workspace: Workspace, day: datetime.date) -> None:
    """The tree has no cycle on ``day`` nor on any later date the history changes (one query
    for the links; the check runs in memory on the few change dates)."""
    from pacte.org.structure import tree_on

    dates: set[datetime.date] = {day}
    for later in (
        UnitLink.objects.for_workspace(workspace)
        .filter(valid_from__gt=day)
        .values_list("valid_from", flat=True)
    ):
        if later is not None:
            dates.add(later)
    for when in sorted(dates):
        tree = tree_on(workspace, when)
        for start in tree:
            seen: set[int] = set()
            node: int | None = start
            while node is not None:
                if node in seen:
                    raise DomainError(
                        _("This move would put a team inside itself on %(date)s (a cycle).")
                        % {"date": when},
                        code="cycle",
                        field="parent",
                    )
                seen.add(node)
                node = tree[node][0] if node in tree else None


def _active_member_count(unit: Unit) -> int:
    return (
        Placement.objects.on(timezone.localdate())
        .filter(unit=unit, membership__is_active=True)
        .count()
    )


@transaction.atomic
def deactivate_unit(*, unit: Unit, actor: Membership | None, version: int | None = None) -> Unit:
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    check_version(unit, version)
    if unit.is_root:
        raise DomainError(_("The company itself cannot be deactivated."), code="root_immovable")
    count = _active_member_count(unit)
    if count:
        raise DomainError(
            _("“%(team)s” still has %(count)s member(s): move them to another team first.")
            % {"team": unit, "count": count},
            code="unit_has_members",
        )
    if unit.children.filter(is_active=True).exists():
        raise DomainError(
            _("“%(team)s” still has active teams under it: move or deactivate them first.")
            % {"team": unit},
            code="unit_has_children",
        )
    before = snapshot(unit, UNIT_FIELDS)
    unit.is_active = False
    unit.lead = None
    _save_recorded(unit, actor=actor, action="unit.deactivated", before=before, fields=UNIT_FIELDS)
    return unit


@transaction.atomic
def reactivate_unit(*, unit: Unit, actor: Membership | None) -> Unit:
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    before = snapshot(unit, UNIT_FIELDS)
    if unit.parent is not None and not unit.parent.is_active:
        raise DomainError(
            _("Reactivate its parent team “%(parent)s” first.") % {"parent": unit.parent},
            code="parent_inactive",
        )
    unit.is_active = True
    _save_recorded(unit, actor=actor, action="unit.reactivated", before=before, fields=UNIT_FIELDS)
    return unit


@transaction.atomic
def delete_unit(*, unit: Unit, actor: Membership | None) -> None:
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    if unit.is_root:
        raise DomainError(_("The company itself cannot be deleted."), code="root_immovable")
    count = _active_member_count(unit)
    if count:
        raise DomainError(
            _("“%(team)s” still has %(count)s member(s): move them to another team first.")
            % {"team": unit, "count": count},
            code="unit_has_members",
        )
    if unit.children.exists():
        raise DomainError(
            _("“%(team)s” still has teams under it: move them first.") % {"team": unit},
            code="unit_has_children",
        )
    if unit.placements.exists():
        raise DomainError(
            _("“%(team)s” has past members in its history: deactivate it instead of deleting it.")
            % {"team": unit},
            code="unit_has_history",
        )
    record(
        workspace=unit.workspace,
        actor=actor,
        action="unit.deleted",
        obj=unit,
        before=snapshot(unit, UNIT_FIELDS),
    )
    unit.delete()


# People ---------------------------------------------------------------------------------


def normalise_roles(roles: Iterable[str]) -> set[str]:
    cleaned = {str(role).strip().lower() for role in roles if str(role).strip()}
    unknown = cleaned - set(ROLE_FIELDS)
    if unknown:
        raise DomainError(
            _("Unknown role(s): %(roles)s. Use executive, lead, seller or admin.")
            % {"roles": ", ".join(sorted(unknown))},
            code="unknown_role",
            field="roles",
        )
    if not cleaned:
        raise DomainError(_("Give at least one role."), code="required", field="roles")
    return cleaned


def clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(
            _("“%(email)s” is not a valid e-mail address.") % {"email": email},
            code="invalid_email",
            field="email",
        ) from None
    return email


def _apply_roles(member: Membership, roles: set[str]) -> None:
    for role, field in ROLE_FIELDS.items():
        setattr(member, field, role in roles)


@transaction.atomic
def create_member(
    *,
    workspace: Workspace,
    actor: Membership | None,
    email: str,
    name: str,
    roles: Iterable[str],
    unit: Unit,
    joined_on: datetime.date | None = None,
    password: str | None = None,
    invite: bool = True,
) -> Membership:
    """Add a person to the workspace (reusing their login if they belong to another one).

    A person whose login belongs to another workspace is invited (``invite``): the new
    membership opens nothing until they accept (``pacte.accounts.invitations``). Single
    sign-on passes ``invite=False``: the company's own provider vouches for the person.
    """
    email = clean_email(email)
    name = name.strip()
    if not name:
        raise DomainError(_("A person needs a name."), code="required", field="name")
    role_set = normalise_roles(roles)
    if unit.workspace_id != workspace.pk or not unit.is_active:
        raise DomainError(
            _("Choose an active team of this workspace."), code="not_found", field="unit"
        )
    if Membership.objects.for_workspace(workspace).filter(user__email=email).exists():
        raise DomainError(
            _("%(email)s is already a member of this workspace.") % {"email": email},
            code="duplicate_email",
            field="email",
        )
    user = User.objects.filter(email=email).first()
    invited = user is not None and invite and invitations.needs_invitation(user, workspace.pk)
    if user is None:
        user = User(email=email, name=name)
        if password:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise DomainError(
                    " ".join(exc.messages), code="weak_password", field="password"
                ) from None
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    member = Membership(
        workspace=workspace, user=user, name=name, joined_on=joined_on or timezone.localdate()
    )
    _apply_roles(member, role_set)
    member.save()
    Placement.objects.create(
        workspace=workspace, membership=member, unit=unit, valid_from=member.joined_on
    )
    record(
        workspace=workspace,
        actor=actor,
        action="member.created",
        obj=member,
        after={**snapshot(member, MEMBER_FIELDS), "unit": str(unit.uuid)},
    )
    from pacte.planning import moves as carries

    carries.carry(
        workspace=workspace,
        actor=actor,
        movers=[carries.Mover(member.pk, None, unit.pk, member.joined_on)],
    )
    if invited:
        invitations.invite(member=member, actor=actor)
    return member


@transaction.atomic
def update_member(
    *,
    member: Membership,
    actor: Membership | None,
    name: str | None = None,
    roles: Iterable[str] | None = None,
    version: int | None = None,
) -> Membership:
    member = Membership.objects.select_for_update().select_related("user").get(pk=member.pk)
    check_version(member, version)
    before = snapshot(member, MEMBER_FIELDS)
    if name is not None:
        if not name.strip():
            raise DomainError(_("A person needs a name."), code="required", field="name")
        member.name = name.strip()
    if roles is not None:
        role_set = normalise_roles(roles)
        if Role.LEAD not in role_set and Unit.objects.filter(lead=member).exists():
            raise DomainError(
                _("%(name)s leads a team: name another lead before removing the lead role.")
                % {"name": member},
                code="still_leads",
                field="roles",
            )
        _apply_roles(member, role_set)
    after = snapshot(member, MEMBER_FIELDS)
    if after != before:
        member.version += 1
        member.save()
        record(
            workspace=member.workspace,
            actor=actor,
            action="member.updated",
            obj=member,
            before=before,
            after=after,
        )
    return member


def check_move(
    member: Membership, unit: Unit, effective: datetime.date, *, lock: bool = False
) -> Placement | None:
    """The refusals of moving ``member`` to ``unit`` from ``effective`` (a team of another
    workspace or closed, a date before joining or before the last move, the same team); the
    current placement, locked with ``lock``, when the move may go ahead."""
    placements = Placement.objects.for_workspace(member.workspace)
    if not member.is_active:
        raise DomainError(
            _("%(name)s has left the workspace: bring them back before moving them.")
            % {"name": member},
            code="member_left",
            field="member",
        )
    if unit.workspace_id != member.workspace_id or not unit.is_active:
        raise DomainError(
            _("Choose an active team of this workspace."), code="not_found", field="unit"
        )
    if effective < member.joined_on:
        raise DomainError(
            _("The move is dated %(date)s, before %(name)s joined (%(joined)s).")
            % {"date": effective, "name": member, "joined": member.joined_on},
            code="before_joining",
            field="effective",
        )
    current = (
        (placements.select_for_update() if lock else placements)
        .filter(membership=member, valid_to__isnull=True)
        .first()
    )
    if current is not None and current.valid_from > effective:
        raise DomainError(
            _("%(name)s has a later move dated %(date)s; a move must come after it.")
            % {"name": member, "date": current.valid_from},
            code="before_last_move",
            field="effective",
        )
    if current is not None and current.unit_id == unit.pk:
        raise DomainError(
            _("%(name)s is already in “%(team)s”.") % {"name": member, "team": unit},
            code="same_unit",
            field="unit",
        )
    return current


@transaction.atomic
def move_member(
    *,
    member: Membership,
    actor: Membership | None,
    unit: Unit,
    effective: datetime.date | None = None,
    version: int | None = None,
) -> Placement:
    """Move a person to another team from ``effective`` (today by default); history is kept."""
    member = Membership.objects.select_for_update().get(pk=member.pk)
    check_version(member, version)
    effective = effective or timezone.localdate()
    current = check_move(member, unit, effective, lock=True)
    from pacte.planning import moves as carries

    carries.check_period(member.workspace, effective)
    before = {"unit": str(current.unit.uuid) if current else None}
    if current is not None and current.valid_from == effective:
        # Replaced, not edited: caches fingerprint placements by count and highest id
        # (pacte.insights.cache), so a same-day correction must give a new row.
        current.delete()
    elif current is not None:
        current.valid_to = effective
        current.save(update_fields=["valid_to"])
    placement = Placement.objects.create(
        workspace=member.workspace, membership=member, unit=unit, valid_from=effective
    )
    member.version += 1
    member.save(update_fields=["version"])
    record(
        workspace=member.workspace,
        actor=actor,
        action="member.moved",
        obj=member,
        before=before,
        after={"unit": str(unit.uuid), "effective": effective},
    )
    carries.carry(
        workspace=member.workspace,
        actor=actor,
        movers=[carries.Mover(member.pk, current.unit_id if current else None, unit.pk, effective)],
    )
    return placement


@transaction.atomic
def set_member_active(
    *,
    member: Membership,
    actor: Membership | None,
    active: bool,
    version: int | None = None,
    provisioning: bool = False,
) -> Membership:
    """Deactivate or bring back a member. ``provisioning``: the company's identity provider
    says the person left, which ends their access even when they still lead a team (the
    team keeps them as lead until an admin names another; the audit event says so)."""
    member = Membership.objects.select_for_update().get(pk=member.pk)
    check_version(member, version)
    if member.is_active == active:
        return member
    if actor is not None and actor.pk == member.pk and not active:
        raise DomainError(_("You cannot deactivate yourself."), code="self_deactivation")
    led = Unit.objects.filter(lead=member).first()
    if not active and led is not None and not provisioning:
        raise DomainError(
            _("%(name)s leads “%(team)s”: name another lead first.")
            % {"name": member, "team": led},
            code="still_leads",
        )
    before = snapshot(member, MEMBER_FIELDS)
    member.is_active = active
    _save_recorded(
        member,
        actor=actor,
        action="member.reactivated" if active else "member.deactivated",
        before=before,
        fields=MEMBER_FIELDS,
    )
    if not active:
        _carry_departure(member, actor)
    if (
        not active
        and not Membership.objects.filter(user_id=member.user_id, is_active=True).exists()
    ):
        # Nothing left to open: every session of the person ends at its next request.
        end_all_sessions(user=member.user, actor=actor, reason="deactivated")
    return member


def _carry_departure(member: Membership, actor: Membership | None) -> None:
    """A departure (deactivation, or the identity provider's deprovisioning) carries the rest
    of the person's target by the workspace's move policy, from today."""
    from pacte.planning import moves as carries

    today = timezone.localdate()
    unit_id = (
        Placement.objects.for_workspace(member.workspace)
        .on(today)
        .filter(membership=member)
        .values_list("unit_id", flat=True)
        .first()
    )
    if unit_id is not None:
        carries.carry(
            workspace=member.workspace,
            actor=actor,
            movers=[carries.Mover(member.pk, unit_id, None, today)],
        )


# Structure settings, deputies, delayering proposals ---------------------------------------

SETTINGS_FIELDS = ("max_layers", "span_min", "span_max", "require_lead")


@transaction.atomic
def update_org_settings(
    *,
    workspace: Workspace,
    actor: Membership | None,
    max_layers: int,
    span_min: int,
    span_max: int,
    require_lead: bool = False,
    version: int | None = None,
) -> OrgSettings:
    """Set the company's target shape (max layers, span bounds) and the lead policy."""
    from pacte.org.proposals import check_shape

    check_shape(max_layers, span_min, span_max)
    if span_min > span_max:
        raise DomainError(
            _("The smallest span (%(min)s) cannot be larger than the largest (%(max)s).")
            % {"min": span_min, "max": span_max},
            code="span_bounds_inverted",
            field="span_min",
        )
    settings, _created = OrgSettings.objects.select_for_update().get_or_create(workspace=workspace)
    if version is not None and version != settings.version:
        raise StaleVersion(
            _(
                "The target shape was changed by someone else since you opened it. Reload and try again."
            )
        )
    if require_lead:
        missing = Unit.objects.for_workspace(workspace).filter(is_active=True, lead__isnull=True)
        first = missing.order_by("name").first()
        if first is not None:
            raise DomainError(
                _("“%(team)s” has no lead: name one before requiring a lead in every team.")
                % {"team": first},
                code="lead_required",
                field="require_lead",
            )
    before = snapshot(settings, SETTINGS_FIELDS)
    settings.max_layers, settings.span_min, settings.span_max = max_layers, span_min, span_max
    settings.require_lead = require_lead
    after = snapshot(settings, SETTINGS_FIELDS)
    if after != before or _created:
        settings.version += 0 if _created else 1
        settings.save()
        record(
            workspace=workspace,
            actor=actor,
            action="org_settings.updated",
            obj=settings,
            object_repr=str(_("Target shape")),
            before=before,
            after=after,
        )
    return settings


@transaction.atomic
def add_deputy(
    *,
    workspace: Workspace,
    actor: Membership | None,
    principal: Membership,
    deputy: Membership | None,
    starts_on: datetime.date,
    ends_on: datetime.date | None = None,
) -> Deputy:
    """Name ``deputy`` to stand in for ``principal`` (a lead or an executive) over the dates."""
    principal = Membership.objects.select_for_update().get(pk=principal.pk)
    if principal.workspace_id != workspace.pk:
        raise DomainError(
            _("This person is not in the workspace."), code="not_found", field="principal"
        )
    if not (principal.is_lead or principal.is_executive):
        raise DomainError(
            _("%(name)s is neither a lead nor an executive: only they name a deputy.")
            % {"name": principal},
            code="not_a_lead",
            field="principal",
        )
    if deputy is None or deputy.workspace_id != workspace.pk or not deputy.is_active:
        raise DomainError(
            _("A deputy must be an active member of this workspace."),
            code="deputy_outside_workspace",
            field="deputy",
        )
    if deputy.pk == principal.pk:
        raise DomainError(
            _("A person cannot be their own deputy."), code="deputy_self", field="deputy"
        )
    if ends_on is not None and ends_on < starts_on:
        raise DomainError(
            _("The period ends before it starts."), code="invalid_period", field="ends_on"
        )
    overlap = Deputy.objects.for_workspace(workspace).filter(principal=principal)
    if ends_on is not None:
        overlap = overlap.filter(starts_on__lte=ends_on)
    clash = overlap.filter(models_q_open_or_after(starts_on)).select_related("deputy").first()
    if clash is not None:
        raise DomainError(
            _(
                "%(name)s already has a deputy (%(deputy)s) from %(start)s until %(end)s; periods cannot overlap."
            )
            % {
                "name": principal,
                "deputy": clash.deputy,
                "start": clash.starts_on,
                "end": clash.ends_on or "—",
            },
            code="deputy_overlap",
            field="starts_on",
        )
    row = Deputy.objects.create(
        workspace=workspace,
        principal=principal,
        deputy=deputy,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    record(
        workspace=workspace,
        actor=actor,
        action="deputy.added",
        obj=row,
        object_repr=str(principal),
        after={
            "principal": principal,
            "deputy": deputy,
            "starts_on": starts_on,
            "ends_on": ends_on,
        },
    )
    return row


def models_q_open_or_after(day: datetime.date) -> object:
    from django.db.models import Q

    return Q(ends_on__isnull=True) | Q(ends_on__gte=day)


@transaction.atomic
def remove_deputy(*, deputy: Deputy, actor: Membership | None) -> None:
    record(
        workspace=deputy.workspace,
        actor=actor,
        action="deputy.removed",
        obj=deputy,
        object_repr=str(deputy.principal),
        before={
            "principal": deputy.principal,
            "deputy": deputy.deputy,
            "starts_on": deputy.starts_on,
            "ends_on": deputy.ends_on,
        },
    )
    deputy.delete()


@transaction.atomic
def move_members(
    *,
    workspace: Workspace,
    actor: Membership | None,
    member_ids: list[int],
    unit: Unit,
    effective: datetime.date,
) -> int:
    """Move many people to ``unit`` from ``effective`` in a few set-based statements."""
    if not member_ids:
        return 0
    if unit.workspace_id != workspace.pk or not unit.is_active:
        raise DomainError(
            _("Choose an active team of this workspace."), code="not_found", field="unit"
        )
    from pacte.planning import moves as carries

    carries.check_period(workspace, effective)
    members = list(
        Membership.objects.for_workspace(workspace).select_for_update().filter(pk__in=member_ids)
    )
    gone = [m for m in members if not m.is_active]
    if gone:
        raise DomainError(
            _("%(name)s has left the workspace: bring them back before moving them.")
            % {"name": gone[0]},
            code="member_left",
            field="member",
        )
    late = [m for m in members if m.joined_on > effective]
    if late:
        raise DomainError(
            _("The move is dated %(date)s, before %(name)s joined (%(joined)s).")
            % {"date": effective, "name": late[0], "joined": late[0].joined_on},
            code="before_joining",
            field="effective",
        )
    current = list(
        Placement.objects.select_for_update().filter(
            membership_id__in=member_ids, valid_to__isnull=True
        )
    )
    later = [p for p in current if p.valid_from > effective]
    if later:
        raise DomainError(
            _("Someone in the move has a later move dated %(date)s; a move must come after it.")
            % {"date": later[0].valid_from},
            code="before_last_move",
            field="effective",
        )
    current = [p for p in current if p.unit_id != unit.pk]
    moving = {p.membership_id for p in current}
    same_day = [p for p in current if p.valid_from == effective]
    closing = [p for p in current if p.valid_from != effective]
    # Same-day placements are replaced, not edited (see move_member).
    Placement.objects.filter(pk__in=[p.pk for p in same_day]).delete()
    for p in closing:
        p.valid_to = effective
    Placement.objects.bulk_update(closing, ["valid_to"])
    Placement.objects.bulk_create(
        [
            Placement(
                workspace=workspace, membership_id=p.membership_id, unit=unit, valid_from=effective
            )
            for p in current
        ]
    )
    Membership.objects.filter(pk__in=moving).update(version=models_f_plus("version"))
    by_pk = {m.pk: m for m in members}
    old_units = {u.pk: u for u in Unit.objects.filter(pk__in={p.unit_id for p in current})}
    record_many(
        {
            "workspace": workspace,
            "actor": actor,
            "action": "member.moved",
            "obj": by_pk[p.membership_id],
            "before": {"unit": str(old_units[p.unit_id].uuid) if p.unit_id in old_units else None},
            "after": {"unit": str(unit.uuid), "effective": effective},
        }
        for p in current
    )
    carries.carry(
        workspace=workspace,
        actor=actor,
        movers=[carries.Mover(p.membership_id, p.unit_id, unit.pk, effective) for p in current],
    )
    return len(moving)


def models_f_plus(field: str) -> object:
    from django.db.models import F

    return F(field) + 1


def _proposal_names(draft_name: str) -> str:
    name = (draft_name or "").strip()
    if not name:
        raise DomainError(_("A proposal needs a name."), code="required", field="name")
    return name[:200]


@transaction.atomic
def save_proposal(
    *,
    workspace: Workspace,
    actor: Membership | None,
    name: str,
    shape: dict[str, int],
    based_on: datetime.date,
    moves: list[dict[str, object]],
) -> ProposalDraft:
    """Save a list of moves as a draft (checked by replaying it on the organisation of the day)."""
    from pacte.org import proposals
    from pacte.org.structure import snapshot as org_snapshot

    proposals.check_shape(**shape)
    proposals.replay(org_snapshot(workspace, based_on), list(moves))
    draft = ProposalDraft.objects.create(
        workspace=workspace,
        name=_proposal_names(name),
        based_on=based_on,
        moves=list(moves),
        created_by=actor,
        **shape,
    )
    record(
        workspace=workspace,
        actor=actor,
        action="proposal.saved",
        obj=draft,
        after={"shape": shape, "moves": len(moves), "based_on": based_on},
    )
    return draft


def _open_draft(draft: ProposalDraft, version: int | None) -> ProposalDraft:
    draft = ProposalDraft.objects.select_for_update().get(pk=draft.pk)
    check_version(draft, version)
    if draft.status != ProposalStatus.DRAFT:
        raise DomainError(
            _("“%(name)s” was already applied or discarded.") % {"name": draft},
            code="proposal_closed",
        )
    return draft


@transaction.atomic
def edit_proposal(
    *,
    draft: ProposalDraft,
    actor: Membership | None,
    moves: list[dict[str, object]],
    name: str | None = None,
    version: int | None = None,
) -> ProposalDraft:
    """Replace the moves of a draft (remove some, add reattach moves); the version goes up."""
    from pacte.org import proposals
    from pacte.org.structure import snapshot as org_snapshot

    draft = _open_draft(draft, version)
    proposals.replay(org_snapshot(draft.workspace, draft.based_on), list(moves))
    before = {"moves": len(draft.moves), "name": draft.name}
    draft.moves = list(moves)
    if name is not None:
        draft.name = _proposal_names(name)
    draft.version += 1
    draft.save()
    record(
        workspace=draft.workspace,
        actor=actor,
        action="proposal.edited",
        obj=draft,
        before=before,
        after={"moves": len(draft.moves), "name": draft.name},
    )
    return draft


@transaction.atomic
def discard_proposal(
    *, draft: ProposalDraft, actor: Membership | None, version: int | None = None
) -> ProposalDraft:
    draft = _open_draft(draft, version)
    draft.status = ProposalStatus.DISCARDED
    draft.version += 1
    draft.save()
    record(workspace=draft.workspace, actor=actor, action="proposal.discarded", obj=draft)
    return draft


@transaction.atomic
def apply_proposal(
    *,
    draft: ProposalDraft,
    actor: Membership | None,
    effective: datetime.date,
    version: int | None = None,
) -> ProposalDraft:
    """Play the draft's moves on the organisation from ``effective``, all or nothing.

    Each move goes through the same services as a manual change (dated team links, dated
    placements, audit events): ``remove_layer`` removes the team's lead (who becomes a seller);
    ``merge_units`` moves the team's people and sub-teams into the target and removes its lead
    (deactivating the emptied team when the date is not in the future); ``reattach`` moves a
    team under another or a person into another team.
    """
    from pacte.org import proposals
    from pacte.org.structure import snapshot as org_snapshot

    draft = _open_draft(draft, version)
    workspace = draft.workspace
    snap = org_snapshot(workspace, effective)
    plays, _after = proposals.replay(snap, list(draft.moves))
    units = {u.pk: u for u in Unit.objects.for_workspace(workspace)}
    people = {
        m.pk: m
        for m in Membership.objects.for_workspace(workspace).filter(pk__in=snap.member_pk.tolist())
    }

    def unit_of(index: int) -> Unit:
        return Unit.objects.get(pk=int(snap.unit_pk[index]))

    def person_of(index: int) -> Membership:
        return Membership.objects.get(pk=people[int(snap.member_pk[index])].pk)

    def demote(member: Membership) -> None:
        roles = (set(member.roles) - {Role.LEAD.value}) | {Role.SELLER.value}
        update_member(member=member, actor=actor, roles=roles)

    for move in plays:
        if move.kind == "remove_layer":
            update_unit(unit=unit_of(move.unit), actor=actor, lead=None, effective=effective)
            demote(person_of(move.person))
        elif move.kind == "merge_units":
            source, target = unit_of(move.unit), unit_of(move.target)
            if move.person >= 0:
                update_unit(unit=source, actor=actor, lead=None, effective=effective)
            for child in Unit.objects.filter(parent=source):
                update_unit(unit=child, actor=actor, parent=target, effective=effective)
            member_ids = list(
                Placement.objects.on(effective)
                .filter(unit=source, membership__is_active=True)
                .values_list("membership_id", flat=True)
            )
            if move.person >= 0:
                member_ids.append(int(snap.member_pk[move.person]))
            move_members(
                workspace=workspace,
                actor=actor,
                member_ids=sorted(set(member_ids)),
                unit=target,
                effective=effective,
            )
            if move.person >= 0:
                demote(person_of(move.person))
            if effective <= timezone.localdate():
                deactivate_unit(unit=source, actor=actor)
        elif move.person < 0:
            team = unit_of(move.unit)
            old_parent = team.parent_id
            target = unit_of(move.target)
            update_unit(unit=team, actor=actor, parent=target, effective=effective)
            if team.lead_id is not None:
                lead_place = (
                    Placement.objects.on(effective).filter(membership_id=team.lead_id).first()
                )
                if lead_place is not None and lead_place.unit_id == old_parent:
                    move_members(
                        workspace=workspace,
                        actor=actor,
                        member_ids=[team.lead_id],
                        unit=target,
                        effective=effective,
                    )
        else:
            move_members(
                workspace=workspace,
                actor=actor,
                member_ids=[int(snap.member_pk[move.person])],
                unit=unit_of(move.target),
                effective=effective,
            )
    del units
    draft.status = ProposalStatus.APPLIED
    draft.effective = effective
    draft.version += 1
    draft.save()
    record(
        workspace=workspace,
        actor=actor,
        action="proposal.applied",
        obj=draft,
        after={"effective": effective, "moves": len(plays), "shape": draft.shape},
    )
    return draft

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

from pacte.accounts.models import ROLE_FIELDS, Membership, Role, User, Workspace
from pacte.audit.services import record, snapshot
from pacte.errors import DomainError, StaleVersion
from pacte.org import selectors
from pacte.org.models import Placement, Unit

UNIT_FIELDS = ("name", "parent", "lead", "is_active")
MEMBER_FIELDS = ("name", "email", "roles", "is_active")


def _check_version(obj: Unit | Membership, version: int | None) -> None:
    if version is not None and version != obj.version:
        raise StaleVersion(
            _("“%(name)s” was changed by someone else since you opened it. Reload and try again.")
            % {"name": obj}
        )


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
    qs = Unit.objects.filter(workspace=workspace, name__iexact=name)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    if qs.exists():
        raise DomainError(
            _("A team named “%(name)s” already exists.") % {"name": name},
            code="duplicate_name",
            field="name",
        )


def _grant_lead_role(lead: Membership | None, actor: Membership | None) -> None:
    if lead is not None and not lead.is_lead:
        before = snapshot(lead, MEMBER_FIELDS)
        lead.is_lead = True
        lead.version += 1
        lead.save(update_fields=["is_lead", "version"])
        record(
            workspace=lead.workspace,
            actor=actor,
            action="member.updated",
            obj=lead,
            before=before,
            after=snapshot(lead, MEMBER_FIELDS),
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
) -> Unit:
    """Rename a team, move it under another parent, or change its lead (``None`` removes it)."""
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    _check_version(unit, version)
    before = snapshot(unit, UNIT_FIELDS)
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
        unit.lead = new_lead
        _grant_lead_role(new_lead, actor)
    after = snapshot(unit, UNIT_FIELDS)
    if after != before:
        unit.version += 1
        unit.save()
        action = "unit.moved" if before["parent"] != after["parent"] else "unit.updated"
        record(
            workspace=unit.workspace,
            actor=actor,
            action=action,
            obj=unit,
            before=before,
            after=after,
        )
    return unit


def _active_member_count(unit: Unit) -> int:
    return (
        Placement.objects.on(timezone.localdate())
        .filter(unit=unit, membership__is_active=True)
        .count()
    )


@transaction.atomic
def deactivate_unit(*, unit: Unit, actor: Membership | None, version: int | None = None) -> Unit:
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    _check_version(unit, version)
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
    unit.version += 1
    unit.save()
    record(
        workspace=unit.workspace,
        actor=actor,
        action="unit.deactivated",
        obj=unit,
        before=before,
        after=snapshot(unit, UNIT_FIELDS),
    )
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
    unit.version += 1
    unit.save()
    record(
        workspace=unit.workspace,
        actor=actor,
        action="unit.reactivated",
        obj=unit,
        before=before,
        after=snapshot(unit, UNIT_FIELDS),
    )
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
) -> Membership:
    """Add a person to the workspace (reusing their login if they belong to another one)."""
    email = clean_email(email)
    name = name.strip()
    if not name:
        raise DomainError(_("A person needs a name."), code="required", field="name")
    role_set = normalise_roles(roles)
    if unit.workspace_id != workspace.pk or not unit.is_active:
        raise DomainError(
            _("Choose an active team of this workspace."), code="not_found", field="unit"
        )
    if Membership.objects.filter(workspace=workspace, user__email=email).exists():
        raise DomainError(
            _("%(email)s is already a member of this workspace.") % {"email": email},
            code="duplicate_email",
            field="email",
        )
    user = User.objects.filter(email=email).first()
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
    _check_version(member, version)
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
    _check_version(member, version)
    effective = effective or timezone.localdate()
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
        Placement.objects.select_for_update()
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
    before = {"unit": str(current.unit.uuid) if current else None}
    if current is not None and current.valid_from == effective:
        current.unit = unit
        current.save(update_fields=["unit"])
        placement = current
    else:
        if current is not None:
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
    return placement


@transaction.atomic
def set_member_active(
    *, member: Membership, actor: Membership | None, active: bool, version: int | None = None
) -> Membership:
    member = Membership.objects.select_for_update().get(pk=member.pk)
    _check_version(member, version)
    if member.is_active == active:
        return member
    if actor is not None and actor.pk == member.pk and not active:
        raise DomainError(_("You cannot deactivate yourself."), code="self_deactivation")
    led = Unit.objects.filter(lead=member).first()
    if not active and led is not None:
        raise DomainError(
            _("%(name)s leads “%(team)s”: name another lead first.")
            % {"name": member, "team": led},
            code="still_leads",
        )
    before = snapshot(member, MEMBER_FIELDS)
    member.is_active = active
    member.version += 1
    member.save()
    record(
        workspace=member.workspace,
        actor=actor,
        action="member.reactivated" if active else "member.deactivated",
        obj=member,
        before=before,
        after=snapshot(member, MEMBER_FIELDS),
    )
    return member

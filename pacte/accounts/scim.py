"""SCIM 2.0 provisioning (RFC 7643, RFC 7644): an identity provider creates, updates and
deactivates the members of one workspace, and pushes its groups.

The payloads, filters and PATCH operations are read and written by ``scim2-models``; this
module maps them onto Pacte: a SCIM User is a member (``Membership``, its SCIM attributes kept
in ``ScimUser``), a SCIM Group is a ``ScimGroup`` whose members get the roles and team of the
group mapping of the same name, as single sign-on does (``provisioning.apply_identity``: a team
change is a dated placement). Deprovisioning (``active`` false, or DELETE) deactivates the
member: every figure and audit event stays.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from scim2_models import (
    Context,
    EnterpriseUser,
    Group,
    PatchOp,
    ScimPolicy,
    User,
)
from scim2_models.exceptions import (
    InvalidFilterException,
    InvalidValueException,
    PreconditionFailedException,
    UniquenessException,
)
from scim2_models.path import FilterVisitor
from scim2_models.path.expressions import (
    CompareOperator,
    Comparison,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)

from pacte.accounts.models import Membership, ScimGroup, ScimToken, ScimUser, Workspace
from pacte.accounts.services import hash_token
from pacte.audit.services import acting_as, record
from pacte.errors import DomainError

TOKEN_PREFIX = "pacte_scim_"
ScimUserModel = User[EnterpriseUser]
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MAX_COUNT = 200
PLACEHOLDER_DOMAIN = ".scim.invalid"
ACTIVE_UNSET = "_pacte_active_unset"

#: What Pacte tolerates from providers: Entra's ``remove`` with a value, and its PATCH on
#: ``emails[type eq "work"].value`` for a person who has no such entry yet.
POLICY = ScimPolicy(
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)


# Tokens -------------------------------------------------------------------------------------


@transaction.atomic
def create_scim_token(
    *, workspace: Workspace, actor: Membership | None, name: str
) -> tuple[ScimToken, str]:
    """A new SCIM token for the workspace; the secret is returned once, only its hash kept."""
    name = name.strip()
    if not name:
        raise DomainError(_("Give the token a name."), code="required", field="name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ScimToken.objects.create(
        workspace=workspace,
        name=name[:100],
        prefix=secret[:16],
        key_hash=hash_token(secret),
        created_by=actor,
    )
    record(workspace=workspace, actor=actor, action="scim_token.created", obj=token)
    return token, secret


@transaction.atomic
def revoke_scim_token(*, token: ScimToken, actor: Membership | None) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(workspace=token.workspace, actor=actor, action="scim_token.revoked", obj=token)


def token_for(secret: str) -> ScimToken | None:
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ScimToken.objects.select_related("workspace")
        .filter(key_hash=hash_token(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


# Reading: members and groups as SCIM resources ------------------------------------------------


def scim_members(workspace: Workspace) -> QuerySet[Membership]:
    """The members a provider sees: every member of the workspace but those it deleted."""
    return (
        Membership.objects.for_workspace(workspace)
        .exclude(scim_user__deleted_at__isnull=False)
        .select_related("user", "scim_user")
        .annotate(
            scim_user_name=Coalesce("scim_user__user_name", "user__email", output_field=CharField())
        )
    )


def scim_groups(workspace: Workspace) -> QuerySet[ScimGroup]:
    return ScimGroup.objects.for_workspace(workspace)


def _scim_user(member: Membership) -> ScimUser | None:
    try:
        return member.scim_user
    except ScimUser.DoesNotExist:
        return None


def etag_of(document: dict[str, Any]) -> str:
    body = {k: v for k, v in document.items() if k != "meta"}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    return f'W/"{digest[:20]}"'


def user_document(member: Membership, base_url: str) -> dict[str, Any]:
    """The member as a SCIM User (full: the attributes the provider gave, and Pacte's own)."""
    scim = _scim_user(member)
    if scim is not None:
        doc = dict(scim.attributes)
        doc["userName"] = scim.user_name
        doc.pop("externalId", None)
        if scim.external_id:
            doc["externalId"] = scim.external_id
    else:
        doc = {
            "userName": member.user.email,
            "displayName": member.name,
            "emails": [{"value": member.user.email, "type": "work", "primary": True}],
        }
    doc.pop("groups", None)
    doc["schemas"] = [
        s for s in doc.get("schemas") or [USER_SCHEMA] if s in (USER_SCHEMA, ENTERPRISE_SCHEMA)
    ]
    if USER_SCHEMA not in doc["schemas"]:
        doc["schemas"].insert(0, USER_SCHEMA)
    doc["id"] = str(member.uuid)
    # A provider may unassign ``active`` (the person stays active, the default): kept unset.
    if not (scim is not None and scim.attributes.get(ACTIVE_UNSET) and member.is_active):
        doc["active"] = member.is_active
    doc.pop(ACTIVE_UNSET, None)
    groups = [
        {"value": str(g.uuid), "display": g.display_name, "$ref": f"{base_url}/Groups/{g.uuid}"}
        for g in member.scim_groups.order_by("display_name")
    ]
    if groups:
        doc["groups"] = groups
    updated = scim.updated_at if scim is not None else member.created_at
    doc["meta"] = {
        "resourceType": "User",
        "created": member.created_at.isoformat(),
        "lastModified": max(updated, member.created_at).isoformat(),
        "location": f"{base_url}/Users/{member.uuid}",
    }
    doc["meta"]["version"] = etag_of(doc)
    return doc


def group_document(group: ScimGroup, base_url: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schemas": [GROUP_SCHEMA],
        "id": str(group.uuid),
        "displayName": group.display_name,
    }
    if group.external_id:
        doc["externalId"] = group.external_id
    displays = group.member_display or {}
    members = [
        {
            "value": str(m.uuid),
            "display": displays.get(str(m.uuid), m.name),
            "type": "User",
            "$ref": f"{base_url}/Users/{m.uuid}",
        }
        for m in group.members.order_by("name", "pk")
    ]
    if members:
        doc["members"] = members
    doc["meta"] = {
        "resourceType": "Group",
        "created": group.created_at.isoformat(),
        "lastModified": group.updated_at.isoformat(),
        "location": f"{base_url}/Groups/{group.uuid}",
    }
    doc["meta"]["version"] = etag_of(doc)
    return doc


# Filters --------------------------------------------------------------------------------------

USER_FIELDS: dict[str, tuple[str, bool]] = {
    # SCIM attribute (lower case) → (Django lookup, case exact)
    "id": ("uuid", True),
    "username": ("scim_user_name", False),
    "externalid": ("scim_user__external_id", True),
    "emails": ("user__email", False),
    "emails.value": ("user__email", False),
    "displayname": ("name", False),
    "name.formatted": ("name", False),
    "active": ("is_active", True),
    "meta.created": ("created_at", True),
}
GROUP_FIELDS: dict[str, tuple[str, bool]] = {
    "id": ("uuid", True),
    "displayname": ("display_name", False),
    "externalid": ("external_id", True),
    "members": ("members__uuid", True),
    "members.value": ("members__uuid", True),
    "meta.created": ("created_at", True),
    "meta.lastmodified": ("updated_at", True),
}
_LOOKUPS = {
    CompareOperator.eq: "exact",
    CompareOperator.co: "contains",
    CompareOperator.sw: "startswith",
    CompareOperator.ew: "endswith",
    CompareOperator.gt: "gt",
    CompareOperator.ge: "gte",
    CompareOperator.lt: "lt",
    CompareOperator.le: "lte",
}


class _ToQ(FilterVisitor[Q]):
    """A filter parsed by scim2-models, turned into a Django ``Q`` on Pacte's columns."""

    def __init__(self, fields: dict[str, tuple[str, bool]], prefix: str = "") -> None:
        self.fields = fields
        self.prefix = prefix

    def _field(self, attr: Any) -> tuple[str, bool]:
        name = str(attr.attr).lower()
        if self.prefix:
            name = f"{self.prefix}.{name}"
        if attr.sub_attr:
            name = f"{name}.{str(attr.sub_attr).lower()}"
        if name not in self.fields:
            raise InvalidFilterException(detail=f"Filtering on {attr} is not supported.")
        return self.fields[name]

    def visit_comparison(self, node: Comparison) -> Q:
        column, case_exact = self._field(node.attr_path)
        value = node.value
        if isinstance(value, str) and column in ("uuid", "members__uuid"):
            try:
                value = uuid.UUID(value)
            except ValueError:
                return Q(pk__in=[]) if node.op != CompareOperator.ne else Q()
        if node.op == CompareOperator.ne:
            return ~Q(**{f"{column}__iexact" if not case_exact else column: value})
        lookup = _LOOKUPS[node.op]
        if (
            not case_exact
            and isinstance(value, str)
            and lookup
            in (
                "exact",
                "contains",
                "startswith",
                "endswith",
            )
        ):
            lookup = f"i{lookup}"
        return Q(**{f"{column}__{lookup}": value})

    def visit_present(self, node: Present) -> Q:
        column, _case = self._field(node.attr_path)
        return Q(**{f"{column}__isnull": False}) & ~Q(**{column: ""})

    def visit_not(self, node: Not) -> Q:
        return ~self.visit(node.expr)

    def visit_logical_expr(self, node: LogicalExpr) -> Q:
        result: Q | None = None
        for term in node.terms:
            q = self.visit(term)
            if result is None:
                result = q
            elif node.op == LogicalOperator.and_:
                result &= q
            else:
                result |= q
        return result or Q()

    def visit_value_path(self, node: ValuePath) -> Q:
        return _ToQ(self.fields, prefix=str(node.attr_path.attr).lower()).visit(node.val_filter)


def filter_q(expression: str, model: Any, fields: dict[str, tuple[str, bool]]) -> Q:
    from scim2_models import ScimFilter

    try:
        parsed = ScimFilter[model](expression)
    except InvalidFilterException:
        raise
    except Exception as exc:  # a syntax error, or a value its attribute cannot take
        raise InvalidFilterException(detail=str(exc).splitlines()[0]) from None
    return _ToQ(fields).visit(parsed.ast)


# Writing ----------------------------------------------------------------------------------------


def _email_of(user: Any) -> str:
    emails = list(user.emails or [])
    for chosen in (
        [e for e in emails if e.primary],
        [e for e in emails if (e.type or "") == "work"],
        emails,
    ):
        for entry in chosen:
            if entry.value:
                return str(entry.value)
    return str(user.user_name or "")


def _name_of(user: Any) -> str:
    if user.display_name:
        return str(user.display_name).strip()[:200]
    name = user.name
    if name is not None:
        if name.formatted:
            return str(name.formatted).strip()[:200]
        parts = [p for p in (name.given_name, name.family_name) if p]
        if parts:
            return " ".join(str(p) for p in parts).strip()[:200]
    return str(user.user_name or "").split("@")[0][:200]


def _stored_attributes(user: Any) -> dict[str, Any]:
    data = user.model_dump(scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
    for key in ("id", "meta", "groups", "userName", "externalId", "active", "password"):
        data.pop(key, None)
    if user.active is None:
        data[ACTIVE_UNSET] = True
    return jsonable(data)


def jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _clean_email_or_none(value: str) -> str | None:
    from pacte.org.services import clean_email

    try:
        return clean_email(value)
    except DomainError:
        return None


def _update_email(member: Membership, email: str | None) -> None:
    """A new address from the provider becomes the login's, when the login is this
    workspace's alone and no one else has the address; otherwise it is only kept in SCIM."""
    from pacte.accounts.models import User

    login = member.user
    if email is None or email == login.email:
        return
    if Membership.objects.filter(user=login).exclude(pk=member.pk).exists():
        return
    if User.objects.filter(email=email).exists():
        return
    before = login.email
    login.email = email
    login.save(update_fields=["email"])
    record(
        workspace=member.workspace,
        actor=None,
        action="member.email_changed",
        obj=member,
        before={"email": before},
        after={"email": email},
    )


def _check_user_name(workspace: Workspace, user_name: str, member: Membership | None) -> None:
    clash = scim_members(workspace).filter(scim_user_name__iexact=user_name)  # type: ignore[misc]
    if member is not None:
        clash = clash.exclude(pk=member.pk)
    if clash.exists():
        raise UniquenessException(detail=f"userName {user_name!r} is already taken.")


def _default_unit(workspace: Workspace) -> Any:
    from pacte.accounts.signin import settings_for
    from pacte.org.models import Unit

    unit = settings_for(workspace).default_unit
    if unit is None or not unit.is_active:
        unit = Unit.objects.for_workspace(workspace).get(parent__isnull=True)
    return unit


@transaction.atomic
def create_user(*, token: ScimToken, user: Any) -> Membership:
    from pacte.accounts.signin import settings_for
    from pacte.org.services import create_member, set_member_active

    workspace = token.workspace
    user_name = str(user.user_name or "").strip()
    if not user_name:
        raise InvalidValueException(detail="userName is required.")
    _check_user_name(workspace, user_name, None)
    email = _clean_email_or_none(_email_of(user))
    if email is None:
        # No address yet (a provider may send it later): a placeholder that can receive no
        # mail and opens no login, replaced by the first real address provided.
        email = f"{uuid.uuid4().hex}@{workspace.slug}{PLACEHOLDER_DOMAIN}"
    existing = (
        Membership.objects.for_workspace(workspace)
        .filter(user__email=email)
        .select_related("user")
        .first()
    )
    if existing is not None:
        scim = _scim_user(existing)
        if scim is None or scim.deleted_at is None:
            raise UniquenessException(detail=f"{email} is already a member of this workspace.")
        member = existing  # deleted by the provider earlier: brought back
        if user.active is not False and not member.is_active:
            member = set_member_active(member=member, actor=None, active=True)
        scim.deleted_at = None
    else:
        roles = list(settings_for(workspace).default_roles) or ["seller"]
        member = create_member(
            workspace=workspace,
            actor=None,
            email=email,
            name=_name_of(user),
            roles=roles,
            unit=_default_unit(workspace),
        )
        scim = ScimUser(workspace=workspace, membership=member)
        if user.active is False:
            member = set_member_active(member=member, actor=None, active=False)
    scim.user_name = user_name
    scim.external_id = str(user.external_id or "")
    scim.attributes = _stored_attributes(user)
    scim.updated_at = timezone.now()
    scim.save()
    record(
        workspace=workspace,
        actor=None,
        action="scim.user_provisioned",
        obj=member,
        after={"userName": user_name, "externalId": scim.external_id},
    )
    return member


@transaction.atomic
def replace_user(*, token: ScimToken, member: Membership, user: Any) -> Membership:
    """Apply the full resource ``user`` to the member (PUT, and PATCH once applied)."""
    from pacte.org.services import set_member_active, update_member

    workspace = token.workspace
    member = Membership.objects.select_for_update().select_related("user").get(pk=member.pk)
    user_name = str(user.user_name or "").strip()
    if not user_name:
        raise InvalidValueException(detail="userName is required.")
    _check_user_name(workspace, user_name, member)
    scim = _scim_user(member) or ScimUser(workspace=workspace, membership=member)
    before = {
        "userName": scim.user_name or member.user.email,
        "externalId": scim.external_id,
        "attributes": scim.attributes,
    }
    _update_email(member, _clean_email_or_none(_email_of(user)))
    name = _name_of(user)
    if name and name != member.name:
        member = update_member(member=member, actor=None, name=name)
    active = True if user.active is None else bool(user.active)
    if active != member.is_active:
        member = set_member_active(member=member, actor=None, active=active, provisioning=True)
    scim.user_name = user_name
    scim.external_id = str(user.external_id or "")
    scim.attributes = _stored_attributes(user)
    after = {
        "userName": scim.user_name,
        "externalId": scim.external_id,
        "attributes": scim.attributes,
    }
    if after != before or scim.pk is None:
        scim.updated_at = timezone.now()
        scim.save()
        record(
            workspace=workspace,
            actor=None,
            action="scim.user_updated",
            obj=member,
            before=before,
            after=after,
        )
    return member


@transaction.atomic
def delete_user(*, token: ScimToken, member: Membership) -> None:
    """The provider deletes the person: deactivated, hidden from SCIM, every figure kept."""
    from pacte.org.services import set_member_active

    workspace = token.workspace
    member = Membership.objects.select_for_update().get(pk=member.pk)
    if member.is_active:
        member = set_member_active(member=member, actor=None, active=False, provisioning=True)
    scim = _scim_user(member) or ScimUser(
        workspace=workspace, membership=member, user_name=member.user.email
    )
    scim.deleted_at = timezone.now()
    scim.save()
    groups = list(member.scim_groups.all())
    member.scim_groups.clear()
    for group in groups:
        _touch(group)
    record(workspace=workspace, actor=None, action="scim.user_deleted", obj=member)


def _touch(group: ScimGroup) -> None:
    ScimGroup.objects.filter(pk=group.pk).update(updated_at=timezone.now())


def patch_user_model(doc: dict[str, Any], body: dict[str, Any]) -> Any:
    """The member's resource with the PATCH operations of ``body`` applied (scim2-models)."""
    body = _entra_manager(body)
    with POLICY:
        user = ScimUserModel.model_validate(_request_view(doc), scim_ctx=None)
        patch = PatchOp[ScimUserModel].model_validate(body, scim_ctx=Context.RESOURCE_PATCH_REQUEST)
        patch.patch(user)
    return user


def tolerate(body: dict[str, Any]) -> dict[str, Any]:
    """Entra's creation and replacement requests: a ``manager`` with an empty value (no
    manager) or given as the manager's id alone."""
    ext = body.get(ENTERPRISE_SCHEMA)
    if isinstance(ext, dict) and "manager" in ext:
        manager = ext["manager"]
        ext = dict(ext)
        if isinstance(manager, str) and manager:
            ext["manager"] = {"value": manager}
        elif not manager or (isinstance(manager, dict) and not manager.get("value")):
            del ext["manager"]
        body = {**body, ENTERPRISE_SCHEMA: ext}
    return body


def _request_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("meta", "groups")}


def _entra_manager(body: dict[str, Any]) -> dict[str, Any]:
    """Entra sends the enterprise ``manager`` as the manager's id alone."""
    operations = body.get("Operations")
    if not isinstance(operations, list):
        return body
    fixed = []
    for op in operations:
        if (
            isinstance(op, dict)
            and str(op.get("path") or "").lower().endswith(":manager")
            and isinstance(op.get("value"), str)
        ):
            op = {**op, "value": {"value": op["value"]}}
        fixed.append(op)
    return {**body, "Operations": fixed}


# Groups -----------------------------------------------------------------------------------------


def _members_by_id(workspace: Workspace, values: Iterable[Any]) -> list[Membership]:
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            raise InvalidValueException(
                detail=f"{value!r} is not a user of this workspace."
            ) from None
    found = list(scim_members(workspace).filter(uuid__in=ids))
    if len(found) != len(set(ids)):
        raise InvalidValueException(detail="A member of the group is not a user of this workspace.")
    return found


def _sync_groups_of(members: Iterable[Membership], workspace: Workspace) -> None:
    """Roles and team from the group mappings of each person's groups (dated placements)."""
    from pacte.accounts.provisioning import apply_identity

    now = timezone.now()
    for member in members:
        member = Membership.objects.select_related("user").get(pk=member.pk)
        if not member.is_active:
            continue
        names = list(member.scim_groups.values_list("display_name", flat=True))
        apply_identity(
            member,
            workspace=workspace,
            email=member.user.email,
            name=member.name,
            groups=names,
            at=now,
            source="scim",
        )


@transaction.atomic
def save_group(
    *, token: ScimToken, group: ScimGroup | None, resource: Any, creating: bool
) -> ScimGroup:
    workspace = token.workspace
    name = str(resource.display_name or "").strip()
    if not name:
        raise InvalidValueException(detail="displayName is required.")
    clash = scim_groups(workspace).filter(display_name__iexact=name)
    if group is not None:
        clash = clash.exclude(pk=group.pk)
    if clash.exists():
        raise UniquenessException(detail=f"The group {name!r} exists already.")
    members = _members_by_id(workspace, [m.value for m in resource.members or [] if m.value])
    if group is None:
        group = ScimGroup(workspace=workspace)
        before: dict[str, Any] | None = None
        old_members: set[int] = set()
    else:
        group = ScimGroup.objects.select_for_update().get(pk=group.pk)
        old_members = set(group.members.values_list("pk", flat=True))
        before = {
            "displayName": group.display_name,
            "externalId": group.external_id,
            "members": sorted(str(u) for u in group.members.values_list("uuid", flat=True)),
        }
    renamed = group.display_name != name
    group.display_name = name
    group.external_id = str(resource.external_id or "")
    group.updated_at = timezone.now()
    if group.pk is None:
        group.save()
    else:
        group.version += 1
        group.save()
    new_members = {m.pk for m in members}
    group.members.set(members)
    given = {str(m.value): m.display for m in resource.members or [] if m.value and m.display}
    displays = {str(m.uuid): given[str(m.uuid)] for m in members if str(m.uuid) in given}
    if displays != group.member_display:
        group.member_display = displays
        group.save(update_fields=["member_display"])
    after = {
        "displayName": group.display_name,
        "externalId": group.external_id,
        "members": sorted(str(m.uuid) for m in members),
    }
    if after != before:
        record(
            workspace=workspace,
            actor=None,
            action="scim.group_created" if creating else "scim.group_updated",
            obj=group,
            before=before,
            after=after,
        )
    touched = (old_members ^ new_members) | (new_members if renamed else set())
    _sync_groups_of(Membership.objects.filter(pk__in=touched).order_by("pk"), workspace)
    return group


@transaction.atomic
def delete_group(*, token: ScimToken, group: ScimGroup) -> None:
    workspace = token.workspace
    members = list(group.members.all())
    record(
        workspace=workspace,
        actor=None,
        action="scim.group_deleted",
        obj=group,
        before={"displayName": group.display_name, "members": [str(m.uuid) for m in members]},
    )
    group.delete()
    _sync_groups_of(members, workspace)


def patch_group_model(doc: dict[str, Any], body: dict[str, Any]) -> Any:
    with POLICY:
        group = Group.model_validate(_request_view(doc), scim_ctx=None)
        patch = PatchOp[Group].model_validate(body, scim_ctx=Context.RESOURCE_PATCH_REQUEST)
        patch.patch(group)
    return group


def check_if_match(header: str | None, document: dict[str, Any]) -> None:
    """RFC 7644 §3.14: a write with ``If-Match`` applies only to that version."""
    if not header:
        return
    wanted = [t.strip() for t in header.split(",")]
    if "*" in wanted:
        return
    current = document["meta"]["version"]
    bare = current.removeprefix("W/")
    if not any(t == current or t.removeprefix("W/") == bare for t in wanted):
        raise PreconditionFailedException(detail="The resource changed since that version.")


def refused(workspace: Workspace, *, method: str, path: str, status: int, detail: str) -> None:
    """A refused write leaves a trace, outside the transaction that was rolled back."""
    with transaction.atomic(), acting_as("SCIM"):
        record(
            workspace=workspace,
            actor=None,
            action="scim.refused",
            object_type="scim",
            object_repr=f"{method} {path}"[:300],
            after={"status": status, "detail": detail[:500]},
        )

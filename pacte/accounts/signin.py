"""The workspace's sign-in settings: identity provider, group mappings, policy.

Every change leaves an audit event in its transaction. Secrets are encrypted on the way in
(``pacte.encryption``) and only ever reported as set or not.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlparse

from django.db import transaction
from django.utils.translation import gettext as _

from pacte import encryption
from pacte.accounts.models import (
    COMPANY_ROLES,
    GroupMapping,
    IdentityProvider,
    Membership,
    ProviderKind,
    SignInSettings,
    User,
    Workspace,
)
from pacte.audit.services import record, snapshot
from pacte.errors import DomainError, check_version

SETTINGS_FIELDS = (
    "jit_enabled",
    "default_roles",
    "default_unit",
    "sso_required",
    "break_glass",
    "session_lifetime_hours",
    "idle_timeout_minutes",
    "mfa_required_for_admins",
)
PROVIDER_FIELDS = (
    "kind",
    "display_name",
    "email_domains",
    "is_enabled",
    "issuer",
    "client_id",
    "scopes",
    "metadata_url",
    "groups_claim",
)
MAPPING_FIELDS = ("group", "roles", "unit", "unit_name", "position")


def settings_for(workspace: Workspace) -> SignInSettings:
    row, _created = SignInSettings.objects.get_or_create(
        workspace=workspace, defaults={"default_roles": ["seller"]}
    )
    return row


def provider_for(workspace: Workspace) -> IdentityProvider | None:
    return IdentityProvider.objects.for_workspace(workspace).first()


def clean_roles(
    roles: Iterable[str], *, field: str = "roles", allow_empty: bool = False
) -> list[str]:
    cleaned = sorted({str(r).strip().lower() for r in roles if str(r).strip()})
    unknown = [r for r in cleaned if r not in COMPANY_ROLES]
    if unknown:
        raise DomainError(
            _("Unknown role(s): %(roles)s. Use executive, lead, seller or admin.")
            % {"roles": ", ".join(unknown)},
            code="unknown_role",
            field=field,
        )
    if not cleaned and not allow_empty:
        raise DomainError(_("Give at least one role."), code="required", field=field)
    return cleaned


def _settings_snapshot(row: SignInSettings) -> dict[str, Any]:
    return snapshot(row, SETTINGS_FIELDS)


@transaction.atomic
def update_sign_in_settings(
    *, workspace: Workspace, actor: Membership | None, version: int | None = None, **changes: Any
) -> SignInSettings:
    """Change the policy; a stale ``version`` is refused."""
    from pacte.org.models import Unit

    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise DomainError(_("These settings cannot be changed here."), code="invalid")
    settings_for(workspace)
    row = SignInSettings.objects.select_for_update().get(workspace=workspace)
    check_version(row, version)
    before = _settings_snapshot(row)
    if "default_roles" in changes:
        changes["default_roles"] = clean_roles(changes["default_roles"], field="default_roles")
    unit = changes.get("default_unit")
    if unit is not None and (
        not isinstance(unit, Unit) or unit.workspace_id != workspace.pk or not unit.is_active
    ):
        raise DomainError(
            _("Choose an active team of this workspace."), code="not_found", field="default_unit"
        )
    glass = changes.get("break_glass")
    if glass is not None and (
        glass.workspace_id != workspace.pk or not glass.is_active or not glass.is_admin
    ):
        raise DomainError(
            _("The break-glass account must be an active admin of this workspace."),
            code="invalid_break_glass",
            field="break_glass",
        )
    for key, value in changes.items():
        setattr(row, key, value)
    if not 1 <= row.session_lifetime_hours <= 8760:
        raise DomainError(
            _("The session lifetime is between 1 and 8760 hours."),
            code="out_of_range",
            field="session_lifetime_hours",
        )
    if row.idle_timeout_minutes > 525600:
        raise DomainError(
            _("The idle timeout is at most 525600 minutes."),
            code="out_of_range",
            field="idle_timeout_minutes",
        )
    if row.sso_required:
        provider = provider_for(workspace)
        if provider is None or not provider.is_enabled:
            raise DomainError(
                _("Connect and enable an identity provider before requiring single sign-on."),
                code="no_provider",
                field="sso_required",
            )
    after = _settings_snapshot(row)
    if after != before:
        row.version += 1
        row.save()
        record(
            workspace=workspace,
            actor=actor,
            action="sign_in.updated",
            object_type="signinsettings",
            object_id=str(workspace.uuid),
            object_repr=str(_("Sign-in settings")),
            before=before,
            after=after,
        )
    return row


def _check_url(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    parsed = urlparse(value)
    host = parsed.hostname or ""
    loopback = host == "localhost"
    with contextlib.suppress(ValueError):
        loopback = loopback or ipaddress.ip_address(host).is_loopback
    if parsed.scheme != "https" and not (parsed.scheme == "http" and loopback):
        raise DomainError(
            _("Use an https:// address (plain http only for a provider on this machine)."),
            code="invalid_url",
            field=field,
        )
    return value.rstrip("/") if field == "issuer" else value


def _clean_domains(value: str, workspace: Workspace) -> str:
    domains = sorted({d.strip().lower().lstrip("@") for d in (value or "").split(",") if d.strip()})
    for domain in domains:
        if "." not in domain or " " in domain:
            raise DomainError(
                _("“%(domain)s” is not a domain name.") % {"domain": domain},
                code="invalid_domain",
                field="email_domains",
            )
    # Every other workspace's providers: a domain is claimed once across workspaces.
    others = IdentityProvider.objects.exclude(workspace=workspace).exclude(email_domains="")
    taken = any(set(other.domains) & set(domains) for other in others.only("email_domains"))
    if taken:
        raise DomainError(
            _("One of these domains is already claimed by another workspace."),
            code="domain_taken",
            field="email_domains",
        )
    return ",".join(domains)


def _check_metadata_xml(xml: str) -> str:
    xml = (xml or "").strip()
    if not xml:
        return ""
    from defusedxml import ElementTree

    try:
        root = ElementTree.fromstring(xml)
    except Exception:
        raise DomainError(
            _("The metadata is not well-formed XML."), code="invalid_metadata", field="metadata_xml"
        ) from None
    if not root.tag.endswith("EntityDescriptor"):
        raise DomainError(
            _("The metadata must be a SAML EntityDescriptor."),
            code="invalid_metadata",
            field="metadata_xml",
        )
    return xml


def _provider_snapshot(provider: IdentityProvider) -> dict[str, Any]:
    data = snapshot(provider, PROVIDER_FIELDS)
    data["client_secret"] = "set" if provider.client_secret_encrypted else ""
    data["metadata_xml"] = "set" if provider.metadata_xml else ""
    return data


@transaction.atomic
def save_identity_provider(
    *,
    workspace: Workspace,
    actor: Membership | None,
    kind: str,
    display_name: str,
    email_domains: str = "",
    is_enabled: bool = True,
    issuer: str = "",
    client_id: str = "",
    client_secret: str | None = None,
    scopes: str = "openid email profile",
    metadata_url: str = "",
    metadata_xml: str | None = None,
    groups_claim: str = "groups",
    version: int | None = None,
) -> IdentityProvider:
    """Create or replace the workspace's provider. ``client_secret``/``metadata_xml`` ``None``
    keep what is stored; a secret given is encrypted before it is saved."""
    if kind not in ProviderKind.values:
        raise DomainError(_("Choose OpenID Connect or SAML 2.0."), code="invalid", field="kind")
    display_name = (display_name or "").strip()
    if not display_name:
        raise DomainError(
            _("Give the button a label, e.g. “Sign in with Acme”."),
            code="required",
            field="display_name",
        )
    provider = IdentityProvider.objects.for_workspace(workspace).select_for_update().first()
    if provider is not None:
        check_version(provider, version)
        before: dict[str, Any] | None = _provider_snapshot(provider)
    else:
        provider = IdentityProvider(workspace=workspace)
        before = None
    provider.kind = kind
    provider.display_name = display_name[:100]
    provider.email_domains = _clean_domains(email_domains, workspace)
    provider.is_enabled = bool(is_enabled)
    provider.groups_claim = (groups_claim or "groups").strip()[:200]
    replaced_secret = False
    if kind == ProviderKind.OIDC:
        provider.issuer = _check_url(issuer, "issuer")
        provider.client_id = (client_id or "").strip()
        provider.scopes = " ".join(dict.fromkeys(["openid", *(scopes or "").split()]))
        if client_secret:
            provider.client_secret_encrypted = encryption.encrypt(client_secret.strip())
            replaced_secret = True
        if not provider.issuer:
            raise DomainError(_("Give the provider's issuer URL."), code="required", field="issuer")
        if not provider.client_id:
            raise DomainError(_("Give the client ID."), code="required", field="client_id")
        if not provider.client_secret_encrypted:
            raise DomainError(_("Give the client secret."), code="required", field="client_secret")
        provider.metadata_url, provider.metadata_xml = "", ""
    else:
        provider.metadata_url = _check_url(metadata_url, "metadata_url")
        if metadata_xml is not None:
            provider.metadata_xml = _check_metadata_xml(metadata_xml)
        if not provider.metadata_url and not provider.metadata_xml:
            raise DomainError(
                _("Give the provider's metadata URL or paste its metadata."),
                code="required",
                field="metadata_url",
            )
        provider.issuer, provider.client_id, provider.client_secret_encrypted = "", "", ""
    if before is not None:
        provider.version += 1
    provider.save()
    after = _provider_snapshot(provider)
    if replaced_secret and before is not None and before["client_secret"]:
        after["client_secret"] = "replaced"
    if after != before:
        record(
            workspace=workspace,
            actor=actor,
            action="sign_in.provider_saved",
            obj=provider,
            before=before,
            after=after,
        )
    return provider


@transaction.atomic
def delete_identity_provider(*, workspace: Workspace, actor: Membership | None) -> None:
    provider = IdentityProvider.objects.for_workspace(workspace).select_for_update().first()
    if provider is None:
        return
    if settings_for(workspace).sso_required:
        raise DomainError(
            _("Single sign-on is required: turn that off before removing the provider."),
            code="sso_required",
        )
    before = _provider_snapshot(provider)
    record(
        workspace=workspace,
        actor=actor,
        action="sign_in.provider_deleted",
        obj=provider,
        before=before,
    )
    provider.delete()


@transaction.atomic
def save_group_mapping(
    *,
    workspace: Workspace,
    actor: Membership | None,
    group: str,
    roles: Iterable[str],
    unit: Any = None,
    mapping: GroupMapping | None = None,
) -> GroupMapping:
    """Map an identity provider group to roles and (optionally) a team."""
    group = (group or "").strip()
    if not group:
        raise DomainError(_("Name the group."), code="required", field="group")
    role_list = clean_roles(roles, allow_empty=unit is not None)
    if unit is not None and (unit.workspace_id != workspace.pk or not unit.is_active):
        raise DomainError(
            _("Choose an active team of this workspace."), code="not_found", field="unit"
        )
    clash = GroupMapping.objects.for_workspace(workspace).filter(group=group)
    if mapping is not None:
        clash = clash.exclude(pk=mapping.pk)
    if clash.exists():
        raise DomainError(
            _("The group “%(group)s” is already mapped.") % {"group": group},
            code="duplicate_group",
            field="group",
        )
    before = snapshot(mapping, MAPPING_FIELDS) if mapping is not None else None
    if mapping is None:
        mapping = GroupMapping(
            workspace=workspace,
            position=GroupMapping.objects.for_workspace(workspace).count(),
        )
    mapping.group = group[:200]
    mapping.roles = role_list
    mapping.unit = unit
    mapping.unit_name = unit.name if unit is not None else ""
    mapping.save()
    record(
        workspace=workspace,
        actor=actor,
        action="sign_in.mapping_saved",
        obj=mapping,
        before=before,
        after=snapshot(mapping, MAPPING_FIELDS),
    )
    return mapping


@transaction.atomic
def delete_group_mapping(*, mapping: GroupMapping, actor: Membership | None) -> None:
    record(
        workspace=mapping.workspace,
        actor=actor,
        action="sign_in.mapping_deleted",
        obj=mapping,
        before=snapshot(mapping, MAPPING_FIELDS),
    )
    mapping.delete()


# Enforcement -------------------------------------------------------------------------------


def password_login_refused(user: User) -> bool:
    """True when a workspace of the person requires single sign-on and they are not its
    break-glass admin."""
    required = SignInSettings.objects.filter(
        sso_required=True,
        workspace__memberships__user=user,
        workspace__memberships__is_active=True,
        workspace__memberships__is_pending=False,
    ).values_list("workspace_id", "break_glass__user_id")
    return any(glass != user.pk for _ws, glass in required)


@transaction.atomic
def record_password_login(*, user: User, address: str) -> None:
    """Audits each use of a break-glass account (a password login where SSO is required)."""
    glass = SignInSettings.objects.filter(
        sso_required=True, break_glass__user=user, break_glass__is_active=True
    ).select_related("break_glass", "workspace")
    for row in glass:
        record(
            workspace=row.workspace,
            actor=row.break_glass,
            action="sign_in.break_glass_used",
            obj=row.break_glass,
            after={"address": address},
        )

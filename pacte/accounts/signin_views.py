"""The admin's “Sign-in” settings page: identity provider, group mappings, policy."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from pacte.accounts import scim, signin
from pacte.accounts.access import ADMIN_ROLES, get_scoped
from pacte.accounts.decorators import MemberRequest, member_required
from pacte.accounts.forms import MappingForm, PolicyForm, ProviderForm, ScimTokenForm
from pacte.accounts.models import GroupMapping, Membership, ProviderKind, ScimToken
from pacte.errors import DomainError


def _units(member: Membership) -> list[tuple[str, str]]:
    from pacte.org.models import Unit

    return [
        (str(u.uuid), u.name)
        for u in Unit.objects.for_workspace(member.workspace).active().order_by("name")
    ]


def _admins(member: Membership) -> list[tuple[str, str]]:
    return [
        (str(m.uuid), f"{m.name} ({m.user.email})")
        for m in Membership.objects.for_workspace(member.workspace)
        .active()
        .with_role("admin")
        .select_related("user")
        .order_by("name")
    ]


def _unit_or_none(member: Membership, value: str) -> Any:
    from pacte.org.visibility import get_unit_for

    return get_unit_for(member, value) if value else None


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def sign_in_settings(request: MemberRequest) -> HttpResponse:
    member = request.member
    workspace = member.workspace
    policy = signin.settings_for(workspace)
    provider = signin.provider_for(workspace)
    admins, units = _admins(member), _units(member)
    provider_form = ProviderForm(
        initial={
            "kind": provider.kind if provider else ProviderKind.OIDC,
            "display_name": provider.display_name
            if provider
            else _("Sign in with %(company)s") % {"company": workspace.name},
            "email_domains": provider.email_domains if provider else "",
            "is_enabled": provider.is_enabled if provider else True,
            "issuer": provider.issuer if provider else "",
            "client_id": provider.client_id if provider else "",
            "scopes": provider.scopes if provider else "openid email profile",
            "metadata_url": provider.metadata_url if provider else "",
            "metadata_xml": provider.metadata_xml if provider else "",
            "groups_claim": provider.groups_claim if provider else "groups",
            "version": provider.version if provider else None,
        }
    )
    policy_form = PolicyForm(
        admins=admins,
        units=units,
        initial={
            "sso_required": policy.sso_required,
            "break_glass": str(policy.break_glass.uuid) if policy.break_glass else "",
            "jit_enabled": policy.jit_enabled,
            "default_roles": policy.default_roles,
            "default_unit": str(policy.default_unit.uuid) if policy.default_unit else "",
            "session_lifetime_hours": policy.session_lifetime_hours,
            "idle_timeout_minutes": policy.idle_timeout_minutes,
            "mfa_required_for_admins": policy.mfa_required_for_admins,
            "version": policy.version,
        },
    )
    mapping_form = MappingForm(units=units)
    scim_form = ScimTokenForm()
    new_scim_secret = None
    status = 200
    if request.method == "POST":
        which = request.POST.get("form")
        try:
            if which == "provider":
                provider_form = ProviderForm(request.POST)
                if provider_form.is_valid():
                    data = provider_form.cleaned_data
                    signin.save_identity_provider(
                        workspace=workspace,
                        actor=member,
                        kind=data["kind"],
                        display_name=data["display_name"],
                        email_domains=data["email_domains"],
                        is_enabled=data["is_enabled"],
                        issuer=data["issuer"],
                        client_id=data["client_id"],
                        client_secret=data["client_secret"] or None,
                        scopes=data["scopes"],
                        metadata_url=data["metadata_url"],
                        metadata_xml=data["metadata_xml"],
                        groups_claim=data["groups_claim"],
                        version=data["version"],
                    )
                    messages.success(request, _("The identity provider is saved."))
                    return redirect("accounts:sign_in_settings")
            elif which == "policy":
                policy_form = PolicyForm(request.POST, admins=admins, units=units)
                if policy_form.is_valid():
                    data = policy_form.cleaned_data
                    glass = data["break_glass"]
                    signin.update_sign_in_settings(
                        workspace=workspace,
                        actor=member,
                        version=data["version"],
                        sso_required=data["sso_required"],
                        break_glass=(
                            get_scoped(Membership.objects.for_workspace(workspace), glass)
                            if glass
                            else None
                        ),
                        jit_enabled=data["jit_enabled"],
                        default_roles=data["default_roles"],
                        default_unit=_unit_or_none(member, data["default_unit"]),
                        session_lifetime_hours=data["session_lifetime_hours"],
                        idle_timeout_minutes=data["idle_timeout_minutes"],
                        mfa_required_for_admins=data["mfa_required_for_admins"],
                    )
                    messages.success(request, _("Changes saved."))
                    return redirect("accounts:sign_in_settings")
            elif which == "scim_token":
                scim_form = ScimTokenForm(request.POST)
                if scim_form.is_valid():
                    _token, new_scim_secret = scim.create_scim_token(
                        workspace=workspace, actor=member, name=scim_form.cleaned_data["name"]
                    )
                    scim_form = ScimTokenForm()
            elif which == "mapping":
                mapping_form = MappingForm(request.POST, units=units)
                if mapping_form.is_valid():
                    data = mapping_form.cleaned_data
                    signin.save_group_mapping(
                        workspace=workspace,
                        actor=member,
                        group=data["group"],
                        roles=data["roles"],
                        unit=_unit_or_none(member, data["unit"]),
                    )
                    messages.success(request, _("The mapping is saved."))
                    return redirect("accounts:sign_in_settings")
        except DomainError as exc:
            form = {
                "provider": provider_form,
                "policy": policy_form,
                "scim_token": scim_form,
            }.get(str(which), mapping_form)
            field = exc.field if exc.field in form.fields else None
            form.add_error(field, exc.message)
        if new_scim_secret is None:
            status = 400
    return render(
        request,
        "accounts/sign_in_settings.html",
        {
            "provider": provider,
            "policy": policy,
            "provider_form": provider_form,
            "policy_form": policy_form,
            "mapping_form": mapping_form,
            "mappings": GroupMapping.objects.for_workspace(workspace).select_related("unit"),
            "callback_url": request.build_absolute_uri(
                reverse("sso:oidc_callback", args=[workspace.slug])
            ),
            "metadata_url": request.build_absolute_uri(
                reverse("sso:saml_metadata", args=[workspace.slug])
            ),
            "acs_url": request.build_absolute_uri(reverse("sso:saml_acs", args=[workspace.slug])),
            "slo_url": request.build_absolute_uri(reverse("sso:saml_slo", args=[workspace.slug])),
            "start_url": request.build_absolute_uri(reverse("sso:start", args=[workspace.slug])),
            "scim_form": scim_form,
            "new_scim_secret": new_scim_secret,
            "scim_tokens": ScimToken.objects.for_workspace(workspace).order_by("-created_at"),
            "scim_url": request.build_absolute_uri("/scim/v2/").rstrip("/"),
        },
        status=status,
    )


@require_POST
@member_required(*ADMIN_ROLES)
def mapping_delete(request: MemberRequest, uuid: str) -> HttpResponse:
    mapping = get_scoped(GroupMapping.objects.for_workspace(request.member.workspace), uuid)
    signin.delete_group_mapping(mapping=mapping, actor=request.member)
    messages.success(request, _("The mapping is removed."))
    return redirect("accounts:sign_in_settings")


@require_POST
@member_required(*ADMIN_ROLES)
def provider_delete(request: MemberRequest) -> HttpResponse:
    try:
        signin.delete_identity_provider(workspace=request.member.workspace, actor=request.member)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The identity provider is removed."))
    return redirect("accounts:sign_in_settings")


@require_POST
@member_required(*ADMIN_ROLES)
def scim_token_revoke(request: MemberRequest, uuid: str) -> HttpResponse:
    token = get_scoped(ScimToken.objects.for_workspace(request.member.workspace), uuid)
    scim.revoke_scim_token(token=token, actor=request.member)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("accounts:sign_in_settings")

from django.http import Http404, HttpRequest
from ninja import Router

from pacte.accounts import invitations, services, signin
from pacte.accounts.access import ADMIN_ROLES, get_scoped, parse_uuid, require_role
from pacte.accounts.models import (
    ApiToken,
    GroupMapping,
    IdentityProvider,
    Invitation,
    Membership,
    Workspace,
)
from pacte.accounts.schemas import (
    InvitationOut,
    MappingIn,
    MeOut,
    ProviderIn,
    SignInOut,
    SignInPatch,
    TokenCreated,
    TokenIn,
    TokenOut,
    WorkspaceOut,
    WorkspacePatch,
)
from pacte.accounts.sessions import confined_workspace_id, end_all_sessions
from pacte.api_auth import request_member

router = Router(tags=["accounts"])


@router.get("/me", response=MeOut, summary="The current member")
def me(request: HttpRequest) -> dict[str, object]:
    member = request_member(request)
    return {
        "uuid": member.uuid,
        "name": member.name,
        "email": member.user.email,
        "roles": member.roles,
        "language": member.user.language or member.workspace.language,
        "workspace": member.workspace,
        "workspaces": [
            m.workspace
            for m in services.active_memberships(
                member.user, only_workspace_id=confined_workspace_id(request)
            )
        ],
    }


@router.get("/workspace", response=WorkspaceOut, summary="The current workspace")
def workspace(request: HttpRequest) -> Workspace:
    return request_member(request).workspace


@router.patch("/workspace", response=WorkspaceOut, summary="Change workspace settings (admins)")
def workspace_patch(request: HttpRequest, payload: WorkspacePatch) -> Workspace:
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    return services.update_workspace(
        workspace=member.workspace, actor=member, **payload.model_dump(exclude_none=True)
    )


@router.get("/tokens", response=list[TokenOut], summary="Your API tokens")
def tokens(request: HttpRequest) -> list[ApiToken]:
    return list(request_member(request).tokens.order_by("-created_at"))


@router.post("/tokens", response={201: TokenCreated}, summary="Create an API token")
def token_create(request: HttpRequest, payload: TokenIn) -> tuple[int, dict[str, object]]:
    token, secret = services.create_api_token(member=request_member(request), name=payload.name)
    return 201, {**TokenOut.from_orm(token).model_dump(), "secret": secret}


@router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke an API token")
def token_revoke(request: HttpRequest, token_id: str) -> tuple[int, None]:
    member = request_member(request)
    token = get_scoped(ApiToken.objects.filter(membership=member), token_id)
    services.revoke_api_token(token=token, actor=member)
    return 204, None


# Sign-in settings (admins and executives) -----------------------------------------------


def _provider_out(provider: IdentityProvider | None) -> dict[str, object] | None:
    if provider is None:
        return None
    return {
        **{
            f: getattr(provider, f)
            for f in (
                "uuid",
                "kind",
                "display_name",
                "email_domains",
                "is_enabled",
                "issuer",
                "client_id",
                "scopes",
                "metadata_url",
                "groups_claim",
                "version",
            )
        },
        "client_secret_set": provider.has_client_secret,
        "metadata_xml_set": bool(provider.metadata_xml),
    }


def _sign_in_out(member: Membership) -> dict[str, object]:
    workspace = member.workspace
    row = signin.settings_for(workspace)
    return {
        "sso_required": row.sso_required,
        "break_glass": row.break_glass.uuid if row.break_glass else None,
        "jit_enabled": row.jit_enabled,
        "default_roles": row.default_roles,
        "default_unit": row.default_unit.uuid if row.default_unit else None,
        "session_lifetime_hours": row.session_lifetime_hours,
        "idle_timeout_minutes": row.idle_timeout_minutes,
        "mfa_required_for_admins": row.mfa_required_for_admins,
        "version": row.version,
        "provider": _provider_out(signin.provider_for(workspace)),
        "mappings": [
            {
                "uuid": m.uuid,
                "group": m.group,
                "roles": m.roles,
                "unit": m.unit.uuid if m.unit else None,
                "unit_name": m.unit_name,
            }
            for m in GroupMapping.objects.for_workspace(workspace).select_related("unit")
        ],
    }


def _admin(request: HttpRequest) -> Membership:
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    return member


@router.get("/sign-in", response=SignInOut, summary="Sign-in settings (admins)")
def sign_in(request: HttpRequest) -> dict[str, object]:
    return _sign_in_out(_admin(request))


@router.patch("/sign-in", response=SignInOut, summary="Change the sign-in policy (admins)")
def sign_in_patch(request: HttpRequest, payload: SignInPatch) -> dict[str, object]:
    from pacte.org.visibility import get_unit_for

    member = _admin(request)
    data = payload.model_dump(exclude_none=True)
    version = data.pop("version", None)
    if data.pop("clear_break_glass", False):
        data["break_glass"] = None
    elif "break_glass" in data:
        data["break_glass"] = get_scoped(
            Membership.objects.for_workspace(member.workspace), data["break_glass"]
        )
    if "default_unit" in data:
        data["default_unit"] = get_unit_for(member, data["default_unit"])
    signin.update_sign_in_settings(
        workspace=member.workspace, actor=member, version=version, **data
    )
    return _sign_in_out(member)


@router.put(
    "/sign-in/provider", response=SignInOut, summary="Connect or replace the identity provider"
)
def sign_in_provider(request: HttpRequest, payload: ProviderIn) -> dict[str, object]:
    member = _admin(request)
    signin.save_identity_provider(workspace=member.workspace, actor=member, **payload.model_dump())
    return _sign_in_out(member)


@router.delete("/sign-in/provider", response={204: None}, summary="Remove the identity provider")
def sign_in_provider_delete(request: HttpRequest) -> tuple[int, None]:
    member = _admin(request)
    signin.delete_identity_provider(workspace=member.workspace, actor=member)
    return 204, None


@router.post(
    "/sign-in/mappings", response={201: SignInOut}, summary="Map a group to roles and a team"
)
def sign_in_mapping_create(
    request: HttpRequest, payload: MappingIn
) -> tuple[int, dict[str, object]]:
    from pacte.org.visibility import get_unit_for

    member = _admin(request)
    signin.save_group_mapping(
        workspace=member.workspace,
        actor=member,
        group=payload.group,
        roles=payload.roles,
        unit=get_unit_for(member, payload.unit) if payload.unit else None,
    )
    return 201, _sign_in_out(member)


@router.delete(
    "/sign-in/mappings/{mapping_id}", response={204: None}, summary="Remove a group mapping"
)
def sign_in_mapping_delete(request: HttpRequest, mapping_id: str) -> tuple[int, None]:
    member = _admin(request)
    mapping = get_scoped(GroupMapping.objects.for_workspace(member.workspace), mapping_id)
    signin.delete_group_mapping(mapping=mapping, actor=member)
    return 204, None


@router.post("/sessions/end", response={204: None}, summary="Sign out everywhere")
def sessions_end(request: HttpRequest) -> tuple[int, None]:
    """Ends every browser session of the person (API tokens stay valid: revoke them apart)."""
    member = request_member(request)
    end_all_sessions(user=member.user, actor=member, reason="signed_out_everywhere")
    return 204, None


def _invitation_out(invitation: Invitation) -> dict[str, object]:
    return {
        "uuid": invitation.uuid,
        "workspace": invitation.workspace.name,
        "invited_by": invitation.invited_by.name if invitation.invited_by else None,
        "created_at": invitation.created_at,
    }


@router.get("/invitations", response=list[InvitationOut], summary="Your pending invitations")
def invitation_list(request: HttpRequest) -> list[dict[str, object]]:
    """Workspaces the person was added to and has not accepted yet (of their login, whatever
    the workspace the request acts in)."""
    user = request_member(request).user
    return [_invitation_out(i) for i in invitations.pending_for(user)]


def _own_invitation(request: HttpRequest, invitation_id: str) -> Invitation:
    user = request_member(request).user
    invitation = (
        Invitation.objects.filter(
            uuid=parse_uuid(invitation_id), membership__user=user, membership__is_active=True
        )
        .select_related("workspace")
        .first()
    )
    if invitation is None:
        raise Http404
    return invitation


@router.post(
    "/invitations/{invitation_id}/accept",
    response=InvitationOut,
    summary="Accept an invitation",
)
def invitation_accept(request: HttpRequest, invitation_id: str) -> dict[str, object]:
    invitation = _own_invitation(request, invitation_id)
    invitations.accept(invitation=invitation, user=request_member(request).user)
    return _invitation_out(invitation)


@router.post(
    "/invitations/{invitation_id}/decline",
    response={204: None},
    summary="Decline an invitation",
)
def invitation_decline(request: HttpRequest, invitation_id: str) -> tuple[int, None]:
    """The membership is deactivated and the workspace's admins are notified."""
    invitation = _own_invitation(request, invitation_id)
    invitations.decline(invitation=invitation, user=request_member(request).user)
    return 204, None

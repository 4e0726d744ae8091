from django.http import HttpRequest
from ninja import Router

from pacte.accounts import services
from pacte.accounts.access import ADMIN_ROLES, get_scoped, require_role
from pacte.accounts.models import ApiToken, Workspace
from pacte.accounts.schemas import (
    MeOut,
    TokenCreated,
    TokenIn,
    TokenOut,
    WorkspaceOut,
    WorkspacePatch,
)
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
        "workspaces": [m.workspace for m in services.active_memberships(member.user)],
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

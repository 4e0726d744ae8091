"""Workspaces, personal settings and API tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.accounts.models import ApiToken, Language, Membership, User, Workspace
from pacte.audit.services import record, snapshot
from pacte.errors import DomainError

TOKEN_PREFIX = "pacte_"
WORKSPACE_FIELDS = (
    "name",
    "slug",
    "currency",
    "language",
    "fiscal_year_start_month",
    "rounding_unit",
    "leaderboard_enabled",
    "time_zone",
)


@transaction.atomic
def create_workspace(
    *,
    name: str,
    slug: str,
    currency: str = "EUR",
    language: str = Language.ENGLISH,
    fiscal_year_start_month: int = 1,
    rounding_unit: int = 100,
    root_name: str | None = None,
) -> Workspace:
    """A workspace with its root unit (the company itself)."""
    from pacte.org.models import Unit

    if Workspace.objects.filter(slug=slug).exists():
        raise DomainError(
            _("The slug “%(slug)s” is taken.") % {"slug": slug}, code="duplicate_slug", field="slug"
        )
    workspace = Workspace(
        name=name,
        slug=slug,
        currency=currency.upper(),
        language=language,
        fiscal_year_start_month=fiscal_year_start_month,
        rounding_unit=rounding_unit,
    )
    workspace.full_clean()
    workspace.save()
    Unit.objects.create(workspace=workspace, name=root_name or name)
    record(
        workspace=workspace,
        actor=None,
        action="workspace.created",
        obj=workspace,
        after=snapshot(workspace, WORKSPACE_FIELDS),
    )
    return workspace


@transaction.atomic
def update_workspace(*, workspace: Workspace, actor: Membership, **changes: object) -> Workspace:
    unknown = set(changes) - set(WORKSPACE_FIELDS)
    if unknown:
        raise DomainError(_("These settings cannot be changed here."), code="invalid")
    workspace = Workspace.objects.select_for_update().get(pk=workspace.pk)
    before = snapshot(workspace, WORKSPACE_FIELDS)
    for key, value in changes.items():
        setattr(workspace, key, value)
    try:
        workspace.full_clean()
    except ValidationError as exc:
        field, errors = next(iter(exc.message_dict.items()))
        raise DomainError(" ".join(errors), code="invalid", field=field) from None
    after = snapshot(workspace, WORKSPACE_FIELDS)
    if after != before:
        workspace.save()
        record(
            workspace=workspace,
            actor=actor,
            action="workspace.updated",
            obj=workspace,
            before=before,
            after=after,
        )
    return workspace


def set_language(*, user: User, language: str) -> None:
    if language not in Language.values:
        raise DomainError(_("Unknown language."), code="invalid", field="language")
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])


def switch_workspace(
    *, user: User, workspace_uuid: object, only_workspace_id: int | None = None
) -> Membership:
    try:
        workspace_uuid = uuid.UUID(str(workspace_uuid))
    except ValueError:
        raise DomainError(_("You are not a member of that workspace."), code="not_found") from None
    member = (
        Membership.objects.select_related("workspace")
        .filter(user=user, is_active=True, is_pending=False, workspace__uuid=workspace_uuid)
        .first()
    )
    if member is not None and only_workspace_id is not None:
        member = member if member.workspace_id == only_workspace_id else None
    if member is None:
        raise DomainError(_("You are not a member of that workspace."), code="not_found")
    user.current_workspace = member.workspace
    user.save(update_fields=["current_workspace"])
    return member


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_api_token(*, member: Membership, name: str) -> tuple[ApiToken, str]:
    """A new personal token; the secret is returned once and only its hash is stored."""
    name = name.strip()
    if not name:
        raise DomainError(_("Give the token a name."), code="required", field="name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        workspace=member.workspace,
        membership=member,
        name=name[:100],
        prefix=secret[:12],
        key_hash=hash_token(secret),
    )
    record(workspace=member.workspace, actor=member, action="token.created", obj=token)
    return token, secret


@transaction.atomic
def revoke_api_token(*, token: ApiToken, actor: Membership) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(workspace=actor.workspace, actor=actor, action="token.revoked", obj=token)


def member_for_token(secret: str) -> Membership | None:
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("membership__workspace", "membership__user")
        .filter(key_hash=hash_token(secret), revoked_at__isnull=True)
        .first()
    )
    if (
        token is None
        or not token.membership.is_active
        or token.membership.is_pending
        or not token.membership.user.is_active
    ):
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.membership


def active_memberships(user: User, *, only_workspace_id: int | None = None) -> list[Membership]:
    # A person's memberships across workspaces (which one to open): not a workspace's rows.
    rows = Membership.objects.filter(
        user=user, is_active=True, is_pending=False, workspace__isnull=False
    )
    if only_workspace_id is not None:
        rows = rows.filter(workspace_id=only_workspace_id)
    return list(rows.select_related("workspace").order_by("workspace__name"))

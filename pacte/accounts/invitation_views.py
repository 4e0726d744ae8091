"""The invited person's page: their pending invitations, accepted or declined after signing
in."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from pacte.accounts import invitations, services
from pacte.accounts.access import parse_uuid
from pacte.accounts.models import Invitation, User
from pacte.accounts.sessions import confined_workspace_id
from pacte.errors import DomainError


@require_GET
@login_required
def invitation_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    return render(
        request, "accounts/invitations.html", {"invitations": invitations.pending_for(user)}
    )


@require_POST
@login_required
def invitation_accept(request: HttpRequest, uuid: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    invitation = Invitation.objects.filter(
        uuid=parse_uuid(uuid), membership__user=user, membership__is_active=True
    ).first()
    if invitation is None:  # someone else's, or a forged id
        raise Http404
    try:
        member = invitations.accept(invitation=invitation, user=user)
    except DomainError:
        raise Http404 from None
    messages.success(request, _("You joined %(workspace)s.") % {"workspace": member.workspace.name})
    if confined_workspace_id(request) is None:
        services.switch_workspace(user=user, workspace_uuid=member.workspace.uuid)
    return redirect("home")


@require_POST
@login_required
def invitation_decline(request: HttpRequest, uuid: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    invitation = Invitation.objects.filter(
        uuid=parse_uuid(uuid), membership__user=user, membership__is_active=True
    ).first()
    if invitation is None:  # someone else's, already declined, or a forged id
        raise Http404
    try:
        member = invitations.decline(invitation=invitation, user=user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:invitations")
    messages.success(
        request,
        _("You declined the invitation to %(workspace)s.") % {"workspace": member.workspace.name},
    )
    return redirect("accounts:invitations")

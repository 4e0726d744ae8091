"""Invitations: a person who already has a login in another workspace, added to a workspace
(people page, import, API or SCIM), joins it only once they accept, after signing in. Until
then their membership opens nothing (``Membership.is_pending``): not a page, not a figure.
"""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pacte.accounts.models import Invitation, Membership, User
from pacte.audit.services import record
from pacte.errors import DomainError
from pacte.links import absolute

logger = logging.getLogger(__name__)

ACCEPT_PATH = "/account/invitations/"


def needs_invitation(user: User, workspace_id: int) -> bool:
    """A login that belongs to another workspace's person already: they must accept."""
    return Membership.objects.filter(user=user).exclude(workspace_id=workspace_id).exists()


def invite(*, member: Membership, actor: Membership | None) -> Invitation:
    """Mark the new member pending, and e-mail them (on commit) in their language."""
    member.is_pending = True
    member.save(update_fields=["is_pending"])
    invitation = Invitation.objects.create(
        workspace=member.workspace, membership=member, invited_by=actor
    )
    record(
        workspace=member.workspace,
        actor=actor,
        action="member.invited",
        obj=member,
        after={"email": member.user.email},
    )
    user, workspace = member.user, member.workspace
    inviter = actor.name if actor is not None else workspace.name

    def send() -> None:
        with translation.override(user.language or workspace.language):
            subject = _("%(inviter)s invites you to %(workspace)s on Pacte") % {
                "inviter": inviter,
                "workspace": workspace.name,
            }
            body = _(
                "Hello %(name)s,\n\n%(inviter)s added you to the workspace %(workspace)s on "
                "Pacte. You already have a Pacte login: sign in as usual, then accept or "
                "decline the invitation on the page Your account → Invitations:\n\n"
                "%(link)s\n\nUntil you accept, you see nothing of %(workspace)s. If you did "
                "not expect this, decline it there or ignore this message."
            ) % {
                "name": member.name,
                "inviter": inviter,
                "workspace": workspace.name,
                "link": absolute(ACCEPT_PATH),
            }
        try:
            send_mail(subject, body, None, [user.email])
        except OSError:  # the invitation stands; the person sees it on their account page
            logger.warning("Could not e-mail invitation %s", invitation.pk)

    transaction.on_commit(send)
    return invitation


def pending_for(user: User) -> list[Invitation]:
    return list(
        Invitation.objects.filter(
            membership__user=user,
            membership__is_pending=True,
            membership__is_active=True,
            accepted_at__isnull=True,
        )
        .select_related("workspace", "membership", "invited_by")
        .order_by("created_at")
    )


@transaction.atomic
def accept(*, invitation: Invitation, user: User) -> Membership:
    """The invited person accepts: the membership opens its workspace from now on."""
    invitation = (
        Invitation.objects.select_for_update().select_related("membership").get(pk=invitation.pk)
    )
    member = invitation.membership
    if member.user_id != user.pk or not member.is_active:
        raise DomainError(_("This invitation is not yours."), code="not_found")
    if invitation.accepted_at is None:
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        Membership.objects.filter(pk=member.pk).update(is_pending=False)
        member.refresh_from_db()
        record(
            workspace=member.workspace,
            actor=member,
            action="member.invitation_accepted",
            obj=member,
        )
    return member


@transaction.atomic
def decline(*, invitation: Invitation, user: User) -> Membership:
    """The invited person declines: the membership is deactivated (it never opened anything;
    the admins see the person as inactive in the directory and may invite them again by
    reactivating them), the refusal is audited, and the workspace's admins are notified."""
    from pacte.accounts.models import Role
    from pacte.objectives.services import notify

    invitation = (
        Invitation.objects.select_for_update().select_related("membership").get(pk=invitation.pk)
    )
    member = invitation.membership
    if member.user_id != user.pk or not member.is_active:
        raise DomainError(_("This invitation is not yours."), code="not_found")
    if invitation.accepted_at is not None or not member.is_pending:
        raise DomainError(
            _("You already accepted this invitation: leave the workspace from its admins."),
            code="already_accepted",
        )
    now = timezone.now()
    invitation.declined_at = now
    invitation.save(update_fields=["declined_at"])
    Membership.objects.filter(pk=member.pk).update(is_active=False, version=member.version + 1)
    member.refresh_from_db()
    record(
        workspace=member.workspace,
        actor=member,
        action="member.invitation_declined",
        obj=member,
        after={"email": user.email},
    )
    admins = (
        Membership.objects.for_workspace(member.workspace)
        .filter(is_active=True, is_pending=False)
        .select_related("user", "workspace")
    )
    for admin in admins:
        if Role.ADMIN in admin.roles or admin.pk == invitation.invited_by_id:
            notify(
                recipient=admin,
                kind="invitation_declined",
                params={"name": member.name, "email": user.email},
                url=reverse("org:person", args=[member.uuid]),
            )
    return member


@transaction.atomic
def accept_by_own_provider(member: Membership) -> Membership:
    """A person who signs in through the workspace's own identity provider is vouched for by
    the company itself: that is their acceptance."""
    invitation = Invitation.objects.filter(membership=member, accepted_at__isnull=True).first()
    if invitation is not None:
        return accept(invitation=invitation, user=member.user)
    if member.is_pending:
        Membership.objects.filter(pk=member.pk).update(is_pending=False)
        member.refresh_from_db()
    return member

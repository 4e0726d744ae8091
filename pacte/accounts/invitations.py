"""Invitations: a person who already has a login in another workspace, added to a workspace
(people page, import, API or SCIM), joins it only once they accept, after signing in. Until
then their membership opens nothing (``Membership.is_pending``): not a page, not a figure.
"""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pacte.accounts.models import Invitation, Membership, User
from pacte.audit.services import record
from pacte.errors import DomainError

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
                "Pacte. You already have a Pacte login: sign in as usual, then accept the "
                "invitation on the page Your account → Invitations (%(path)s).\n\nUntil you "
                "accept, you see nothing of %(workspace)s. If you did not expect this, ignore "
                "this message."
            ) % {
                "name": member.name,
                "inviter": inviter,
                "workspace": workspace.name,
                "path": ACCEPT_PATH,
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

"""Partner organisations (distributors, resellers, agents), their seat and their people.

A partner organisation takes part through one **seat**: a seller membership (no login of its
own) placed in the workspace's partners team. The cascade, objectives, gap rules and sales
crediting treat the seat as any seller; the delegation map sends its proposals to the
partner's channel manager (``Membership.handled_by``). The partner's **people** are
memberships with the partner role only, linked to one organisation: they act on the seat's
figures through the partner pages, and every other page and API route answers 404 to them.
"""

from __future__ import annotations

import uuid
from typing import ClassVar, Self

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pacte.accounts.models import Membership, WorkspaceModel, WorkspaceQuerySet


class PartnerKind(models.TextChoices):
    DISTRIBUTOR = "distributor", _("Distributor")
    RESELLER = "reseller", _("Reseller")
    AGENT = "agent", _("Agent")


class PartnerQuerySet(WorkspaceQuerySet["Partner"]):
    def visible_to(self, member: Membership) -> Self:
        """Executives and admins see every partner; a channel manager the partners they own;
        a partner's person their own organisation only; anyone else none."""
        qs = self.for_workspace(member.workspace)
        if member.is_partner:
            return qs.filter(people__membership=member, is_active=True)
        if member.sees_everything:
            return qs
        return qs.filter(owner=member)


PartnerManager = models.Manager.from_queryset(PartnerQuerySet)


class Partner(WorkspaceModel):
    """A partner organisation of the workspace and its seat (see the module's docstring)."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=PartnerKind.choices)
    channel = models.ForeignKey(
        "sales.Channel", on_delete=models.PROTECT, related_name="+", verbose_name=_("channel")
    )
    territory = models.CharField(_("territory"), max_length=100, blank=True)
    owner = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        related_name="managed_partners",
        verbose_name=_("channel manager"),
    )
    seat = models.OneToOneField(Membership, on_delete=models.PROTECT, related_name="partner_seat")
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects: ClassVar[PartnerManager] = PartnerManager()

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="partner_unique_uuid"),
            models.UniqueConstraint(fields=["workspace", "code"], name="partner_unique_code"),
        ]
        indexes = [models.Index(fields=["workspace", "owner"], name="partner_ws_owner")]

    def __str__(self) -> str:
        return self.name


class PartnerPerson(WorkspaceModel):
    """One of a partner's people: a membership with the partner role, in one organisation."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="people")
    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="partner_link"
    )
    invited_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("partner's person")
        verbose_name_plural = _("partner's people")

    def __str__(self) -> str:
        return f"{self.membership_id} of {self.partner_id}"

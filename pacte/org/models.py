"""The organisation tree (units) and the dated placement of members in units."""

from __future__ import annotations

import datetime
import uuid
from typing import ClassVar, Self

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pacte.accounts.models import Membership, Workspace, WorkspaceModel, WorkspaceQuerySet


class UnitQuerySet(WorkspaceQuerySet["Unit"]):
    def visible_to(self, member: Membership) -> Self:
        """Every team of the workspace; inactive ones for executives and admins only."""
        qs = self.for_workspace(member.workspace)
        return qs if member.sees_everything else qs.filter(is_active=True)

    def active(self) -> UnitQuerySet:
        return self.filter(is_active=True)


UnitManager = models.Manager.from_queryset(UnitQuerySet)


class Unit(WorkspaceModel):
    """A node of the organisation tree: the company (root) or a team. At most one lead."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="units")
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent team"),
    )
    lead = models.ForeignKey(
        Membership,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_units",
        verbose_name=_("lead"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects: ClassVar[UnitManager] = UnitManager()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="unit_unique_uuid"),
            models.UniqueConstraint(fields=["workspace", "name"], name="unit_unique_name"),
            models.UniqueConstraint(
                fields=["workspace"], condition=Q(parent__isnull=True), name="unit_one_root"
            ),
        ]
        indexes = [models.Index(fields=["workspace", "parent"], name="unit_ws_parent")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_root(self) -> bool:
        return self.parent_id is None


class PlacementQuerySet(WorkspaceQuerySet["Placement"]):
    def on(self, day: datetime.date) -> PlacementQuerySet:
        """Placements in force on ``day`` (``valid_from`` inclusive, ``valid_to`` exclusive)."""
        return self.filter(valid_from__lte=day).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=day)
        )


PlacementManager = models.Manager.from_queryset(PlacementQuerySet)


class Placement(WorkspaceModel):
    """A member's team over a date range. History is never rewritten, only closed."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="placements")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="placements")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    objects: ClassVar[PlacementManager] = PlacementManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "membership"],
                condition=Q(valid_to__isnull=True),
                name="placement_one_open",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="placement_range_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "unit", "valid_from"], name="placement_ws_unit"),
            models.Index(
                fields=["workspace", "membership", "valid_from"], name="placement_ws_member"
            ),
            # the placements' fingerprint (insights.sources) reads MAX(id) of a workspace: with
            # the workspace alone PostgreSQL walks the primary key down through every other
            # workspace's newer placements
            models.Index(fields=["workspace", "id"], name="placement_ws_id"),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} in {self.unit_id} from {self.valid_from}"


class UnitLinkQuerySet(WorkspaceQuerySet["UnitLink"]):
    def on(self, day: datetime.date) -> UnitLinkQuerySet:
        """Links in force on ``day`` (``valid_from`` NULL means since the team existed)."""
        return self.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=day)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=day)
        )


UnitLinkManager = models.Manager.from_queryset(UnitLinkQuerySet)


class UnitLink(WorkspaceModel):
    """A team's parent and lead over a date range: the dated history of the tree.

    ``Unit.parent`` and ``Unit.lead`` hold the latest values (the open link, which may start
    in the future) and are written by the same services. A team whose structure never changed
    through a dated service has no link: its current parent and lead hold for every date.
    The first link of a team starts with ``valid_from`` NULL ("since always").
    """

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="links")
    parent = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lead = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)

    objects: ClassVar[UnitLinkManager] = UnitLinkManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "unit"],
                condition=Q(valid_to__isnull=True),
                name="unitlink_one_open",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gt=models.F("valid_from")),
                name="unitlink_range_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "unit", "valid_from"], name="unitlink_ws_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} under {self.parent_id} led by {self.lead_id} from {self.valid_from}"


class OrgSettings(WorkspaceModel):
    """The company's target shape and structure policy (one row per workspace, audited)."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="org_settings"
    )
    max_layers = models.PositiveSmallIntegerField(
        _("most layers between a seller and the top"), default=2
    )
    span_min = models.PositiveSmallIntegerField(_("smallest span of a lead"), default=5)
    span_max = models.PositiveSmallIntegerField(_("largest span of a lead"), default=12)
    require_lead = models.BooleanField(
        _("every team must have a lead"),
        default=False,
        help_text=_("When on, a team cannot be left or created without a lead."),
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("organisation settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(span_min__lte=models.F("span_max")), name="orgsettings_span_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workspace_id}: {self.max_layers} / {self.span_min}..{self.span_max}"


class Deputy(WorkspaceModel):
    """Someone who stands in for a lead or an executive over a date range (both inclusive)."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    principal = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="deputies")
    deputy = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="deputising")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("deputy")
        verbose_name_plural = _("deputies")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="deputy_unique_uuid"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="deputy_range_valid",
            ),
            models.CheckConstraint(
                condition=~Q(principal=models.F("deputy")), name="deputy_not_self"
            ),
        ]
        indexes = [
            models.Index(
                fields=["workspace", "principal", "starts_on"], name="deputy_ws_principal"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deputy_id} for {self.principal_id} from {self.starts_on}"


class ProposalStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPLIED = "applied", _("Applied")
    DISCARDED = "discarded", _("Discarded")


class ProposalDraft(WorkspaceModel):
    """A delayering proposal being edited: a target shape and a list of moves (public ids).

    ``moves`` holds dicts ``{"kind", "person", "unit", "target", "explanation"}`` where people
    and teams are UUID strings, so a draft survives other changes; it is replayed on the
    organisation of the day it is shown or applied.
    """

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    max_layers = models.PositiveSmallIntegerField(_("most layers"))
    span_min = models.PositiveSmallIntegerField(_("smallest span"))
    span_max = models.PositiveSmallIntegerField(_("largest span"))
    based_on = models.DateField(_("organisation of"))
    moves = models.JSONField(default=list)
    status = models.CharField(
        max_length=12, choices=ProposalStatus.choices, default=ProposalStatus.DRAFT
    )
    effective = models.DateField(_("effective from"), null=True, blank=True)
    created_by = models.ForeignKey(
        Membership, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("delayering proposal")
        indexes = [
            models.Index(fields=["workspace", "status", "created_at"], name="proposal_ws_status"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="proposaldraft_unique_uuid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def shape(self) -> dict[str, int]:
        return {
            "max_layers": self.max_layers,
            "span_min": self.span_min,
            "span_max": self.span_max,
        }

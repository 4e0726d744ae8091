"""The organisation tree (units) and the dated placement of members in units."""

from __future__ import annotations

import datetime
import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pacte.accounts.models import Membership, Workspace


class UnitQuerySet(models.QuerySet["Unit"]):
    def for_workspace(self, workspace: Workspace) -> UnitQuerySet:
        return self.filter(workspace=workspace)

    def active(self) -> UnitQuerySet:
        return self.filter(is_active=True)


class Unit(models.Model):
    """A node of the organisation tree: the company (root) or a team. At most one lead."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
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

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
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


class PlacementQuerySet(models.QuerySet["Placement"]):
    def on(self, day: datetime.date) -> PlacementQuerySet:
        """Placements in force on ``day`` (``valid_from`` inclusive, ``valid_to`` exclusive)."""
        return self.filter(valid_from__lte=day).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=day)
        )


class Placement(models.Model):
    """A member's team over a date range. History is never rewritten, only closed."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="placements")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="placements")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    objects = PlacementQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["membership"],
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
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} in {self.unit_id} from {self.valid_from}"

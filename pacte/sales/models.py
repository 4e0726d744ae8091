"""Sales channels (sales, credits and the cube come with the sales issue)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from pacte.accounts.models import Workspace


class ChannelQuerySet(models.QuerySet["Channel"]):
    def for_workspace(self, workspace: Workspace) -> ChannelQuerySet:
        return self.filter(workspace=workspace)


class Channel(models.Model):
    """A route to market (field, distributors, telesales, e-commerce, partners…)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="channels")
    code = models.SlugField(_("code"), max_length=40)
    name_en = models.CharField(_("name in English"), max_length=100)
    name_fr = models.CharField(_("name in French"), max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ChannelQuerySet.as_manager()

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "code"], name="channel_unique_code"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.name_fr if (get_language() or "en").startswith("fr") else self.name_en


class CubeCellQuerySet(models.QuerySet["CubeCell"]):
    def for_workspace(self, workspace: Workspace) -> CubeCellQuerySet:
        return self.filter(workspace=workspace)


class CubeCell(models.Model):
    """The read model: (workspace, seller, team, channel, month) → actuals in minor units.

    ``month`` is ``pacte.lib.fiscal.Month.index`` (year * 12 + month - 1). ``team`` is the
    seller's team on the day of each sale (dated placements). ``split_amount`` counts toward
    team and company totals; ``overlay_amount`` toward the seller's own attainment only.
    Maintained by the sales services in the transaction of every change to sales or credits.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    seller = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="cube_cells"
    )
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="cube_cells")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="cube_cells")
    month = models.IntegerField()
    split_amount = models.BigIntegerField(default=0)
    overlay_amount = models.BigIntegerField(default=0)
    sale_count = models.IntegerField(default=0)

    objects = CubeCellQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "seller", "unit", "channel", "month"], name="cube_cell_key"
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "month", "unit"], name="cube_ws_month_unit"),
            models.Index(fields=["workspace", "channel", "month"], name="cube_ws_channel_month"),
        ]

    def __str__(self) -> str:
        return f"{self.seller_id}/{self.unit_id}/{self.channel_id}/{self.month}"

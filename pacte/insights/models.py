"""Insights: period close (frozen actuals), forecast snapshots, the seller's judgment, digests."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pacte.accounts.models import Membership, Workspace, WorkspaceModel


class LatePolicy(models.TextChoices):
    REFUSE = "refuse", _("Refuse the sale")
    NEXT_OPEN = "next_open", _("Book it to the next open month")


class InsightSettings(WorkspaceModel):
    """Per-workspace settings of period close and digests."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="insight_settings"
    )
    late_sale_policy = models.CharField(
        _("a sale dated in a closed month"),
        max_length=10,
        choices=LatePolicy.choices,
        default=LatePolicy.REFUSE,
    )
    judgment_weight = models.PositiveSmallIntegerField(
        _("weight of the seller's judgment in the forecast (percent)"), default=50
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("insight settings")
        verbose_name_plural = _("insight settings")

    def __str__(self) -> str:
        return f"{self.workspace_id}"


class ClosedMonth(WorkspaceModel):
    """A closed month: its actuals are frozen in :class:`ActualSnapshot`."""

    month = models.IntegerField()  # pacte.lib.fiscal.Month.index
    closed_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "month"], name="closedmonth_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.workspace_id}:{self.month}"


class ActualSnapshot(WorkspaceModel):
    """The cube cells of a closed month as they were when it was closed."""

    month = models.IntegerField()
    seller = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    channel = models.ForeignKey("sales.Channel", on_delete=models.PROTECT, related_name="+")
    split_amount = models.BigIntegerField(default=0)
    overlay_amount = models.BigIntegerField(default=0)
    sale_count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "month", "seller", "unit", "channel"],
                name="actualsnapshot_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workspace_id}:{self.month}:{self.seller_id}"


class TeamSnapshot(WorkspaceModel):
    """The team roll-up (``sales.TeamCell``) of a closed month as it was when it was closed:
    the sum of the month's :class:`ActualSnapshot` rows per team and channel."""

    month = models.IntegerField()
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    channel = models.ForeignKey("sales.Channel", on_delete=models.PROTECT, related_name="+")
    split_amount = models.BigIntegerField(default=0)
    overlay_amount = models.BigIntegerField(default=0)
    sale_count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "month", "unit", "channel"], name="teamsnapshot_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workspace_id}:{self.month}:{self.unit_id}"


class Judgment(WorkspaceModel):
    """A seller's own view of where their fiscal year will land (committed / best case)."""

    seller = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField()
    committed = models.BigIntegerField(_("committed"), null=True, blank=True)
    best_case = models.BigIntegerField(_("best case"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "seller", "fiscal_year"], name="judgment_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seller_id}:{self.fiscal_year}"


class ForecastSnapshot(WorkspaceModel):
    """A seller's year forecast as it stood at the end of a month (accuracy tracking)."""

    seller = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField()
    month = models.IntegerField()  # the as-of month (Month.index)
    actual_to_date = models.BigIntegerField()
    forecast = models.BigIntegerField(null=True)
    objective = models.BigIntegerField(null=True)
    target = models.BigIntegerField(null=True)
    p_objective = models.FloatField(null=True)
    p_target = models.FloatField(null=True)
    taken_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "seller", "fiscal_year", "month"],
                name="forecastsnapshot_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "fiscal_year", "month"], name="fcsnap_ws_fy_month"),
        ]

    def __str__(self) -> str:
        return f"{self.seller_id}:{self.fiscal_year}:{self.month}"


class DigestPreference(WorkspaceModel):
    """A member's choice about the weekly digest and alerts (absent row = subscribed)."""

    member = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    digest = models.BooleanField(_("weekly digest"), default=True)
    alerts = models.BooleanField(_("alerts"), default=True)
    last_alerts = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "member"], name="digestpreference_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}"

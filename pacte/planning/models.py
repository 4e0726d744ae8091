"""Company targets, cascade runs and their stored shares, and the inputs of the cascade.

Amounts are integer minor units (``BigIntegerField``). Months are ``pacte.lib.fiscal.Month.index``
(year * 12 + month - 1). Fiscal years are named by the calendar year in which they end.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pacte.accounts.models import Membership, Workspace, WorkspaceModel, WorkspaceQuerySet


class CompanyTarget(WorkspaceModel):
    """The company's revenue target for one fiscal year, optionally split by channel.

    ``channel_split`` maps a channel code to an amount (minor units); when present its amounts
    sum exactly to ``amount``.
    """

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    amount = models.BigIntegerField(_("amount"))
    channel_split = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("company target")
        verbose_name_plural = _("company targets")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="companytarget_unique_uuid"),
            models.UniqueConstraint(
                fields=["workspace", "fiscal_year"], name="companytarget_unique_year"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="companytarget_amount_pos"),
        ]

    def __str__(self) -> str:
        return f"FY{self.fiscal_year}"


class RunStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Superseded")


class Method(models.TextChoices):
    EQUAL = "equal", _("Equal per seller (by FTE)")
    HISTORY = "history", _("History")
    POTENTIAL = "potential", _("Potential")
    CAPACITY = "capacity", _("Capacity")
    BLENDED = "blended", _("Blended")
    #: Not a cascade: shares loaded as stated elsewhere (a sample's quotas), kept as given.
    STATED = "stated", _("Stated (loaded as given)")


class CascadeRunQuerySet(WorkspaceQuerySet["CascadeRun"]):
    def published(self) -> CascadeRunQuerySet:
        return self.filter(status=RunStatus.PUBLISHED)


CascadeRunManager = models.Manager.from_queryset(CascadeRunQuerySet)


class CascadeRun(WorkspaceModel):
    """One cascade of a fiscal year's target: method, parameters, and its stored shares.

    ``effective_from`` is the fiscal month number (1..12) from which the run re-phases; months
    before it keep the shares of ``base_run`` (the run that was published when it was made).
    """

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    number = models.PositiveIntegerField(_("number"))
    status = models.CharField(
        _("status"), max_length=12, choices=RunStatus.choices, default=RunStatus.DRAFT
    )
    method = models.CharField(_("method"), max_length=12, choices=Method.choices)
    parameters = models.JSONField(default=dict)
    effective_from = models.PositiveSmallIntegerField(_("effective from fiscal month"), default=1)
    base_run = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    total = models.BigIntegerField(_("amount cascaded"))
    rounding_unit = models.BigIntegerField(default=1)
    channel_codes = models.JSONField(default=list)
    seller_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects: ClassVar[CascadeRunManager] = CascadeRunManager()

    class Meta:
        verbose_name = _("cascade run")
        verbose_name_plural = _("cascade runs")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="cascaderun_unique_uuid"),
            models.UniqueConstraint(
                fields=["workspace", "fiscal_year", "number"], name="cascaderun_unique_number"
            ),
            models.UniqueConstraint(
                fields=["workspace", "fiscal_year"],
                condition=Q(status="published"),
                name="cascaderun_one_published",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "fiscal_year", "status"], name="cascaderun_ws_fy"),
        ]

    def __str__(self) -> str:
        return f"FY{self.fiscal_year} #{self.number}"


class CascadeShare(WorkspaceModel):
    """One seller × channel × month cell of a run (only non-zero cells are stored).

    The hot bulk table (a run of 100,000 sellers is 6 million rows): no auto-increment column,
    foreign keys without database constraint (``db_constraint=False``) and, on PostgreSQL, one
    BRIN index on (run, seller) instead of the composite primary key's b-tree
    (migration 0002), so that storing a run costs little more than a raw COPY. Rows are derived
    data, written once per run by ``storage.store_cells`` (one COPY of the non-zero cells of a
    dense array, sorted by seller: unique by construction) from ids read in the same
    transaction; deleting a run, member, team or channel still cascades through the ORM.
    """

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    run = models.ForeignKey(
        CascadeRun,
        on_delete=models.CASCADE,
        related_name="shares",
        db_constraint=False,
        db_index=False,
    )
    seller = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    channel = models.ForeignKey(
        "sales.Channel",
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    month = models.IntegerField()
    amount = models.BigIntegerField()
    pk = models.CompositePrimaryKey("workspace", "run", "seller", "channel", "month")

    def __str__(self) -> str:
        return f"{self.run_id}/{self.seller_id}/{self.channel_id}/{self.month}"


class UnitShare(WorkspaceModel):
    """A unit's subtree rollup for a run, by channel and month (sums exactly to its parts)."""

    run = models.ForeignKey(CascadeRun, on_delete=models.CASCADE, related_name="unit_shares")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    channel = models.ForeignKey("sales.Channel", on_delete=models.PROTECT, related_name="+")
    month = models.IntegerField()
    amount = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "run", "unit"], name="unitshare_ws_run_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.unit_id}/{self.channel_id}/{self.month}"


class SellerExplanation(WorkspaceModel):
    """Why a seller's share in a run is that number (method, inputs, weights, bounds, rounding)."""

    run = models.ForeignKey(CascadeRun, on_delete=models.CASCADE, related_name="explanations")
    seller = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField()
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "run", "seller"], name="explanation_unique_seller"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.seller_id}"


class Potential(WorkspaceModel):
    """Imported potential of a seller or a team for a fiscal year (minor units)."""

    fiscal_year = models.PositiveSmallIntegerField()
    seller = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    amount = models.BigIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(seller__isnull=False) ^ Q(unit__isnull=False),
                name="potential_seller_xor_unit",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="potential_amount_pos"),
        ]
        indexes = [models.Index(fields=["workspace", "fiscal_year"], name="potential_ws_fy")]

    def __str__(self) -> str:
        return f"FY{self.fiscal_year} {self.seller_id or self.unit_id}: {self.amount}"


class Capacity(WorkspaceModel):
    """A seller's working time (FTE, 1 = full time) and ramp-up, for the capacity method."""

    seller = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    fte = models.DecimalField(_("FTE"), max_digits=4, decimal_places=2, default=1)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "seller"], name="capacity_unique_seller"),
            models.CheckConstraint(
                condition=Q(fte__gte=0) & Q(fte__lte=1), name="capacity_fte_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seller_id}: {self.fte}"


class Leave(WorkspaceModel):
    """A leave period of a seller (both days inclusive), removed from their capacity."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    seller = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="leave_unique_uuid"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="leave_range"),
        ]
        indexes = [models.Index(fields=["workspace", "seller", "start"], name="leave_ws_seller")]

    def __str__(self) -> str:
        return f"{self.seller_id}: {self.start}..{self.end}"

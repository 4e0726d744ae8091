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
        indexes = [
            # a team's inputs for its lead's split, read in one query (delegation.team_inputs)
            models.Index(fields=["workspace", "run", "unit"], name="explanation_ws_run_unit"),
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


class Delegation(WorkspaceModel):
    """A published run stopped at teams: the company's share of each team is set, and each
    team's lead splits it among their people (and sub-teams) between ``opens_on`` and
    ``closes_on``. Once every team is done the splits become the run's seller shares."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        APPLIED = "applied", _("Applied")

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    run = models.OneToOneField(CascadeRun, on_delete=models.CASCADE, related_name="delegation")
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)
    #: Sellers moved while the window is open: public id -> the unit of the split that now
    #: holds their line (their run placement is kept; moves carry the rest of the target).
    moved = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("team split window")
        verbose_name_plural = _("team split windows")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="delegation_unique_uuid"),
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")), name="delegation_dates"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run} ({self.opens_on}..{self.closes_on})"


class SplitStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for the team above")
    PENDING = "pending", _("Pending")
    DRAFT = "draft", _("Draft saved")
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    LOCKED = "locked", _("Locked")


#: A team whose split counts as done.
DONE_STATUSES = (SplitStatus.SUBMITTED, SplitStatus.ACCEPTED, SplitStatus.LOCKED)


class TeamSplit(WorkspaceModel):
    """One team's share in a delegation and its lead's split of it.

    ``amounts`` maps the public id of each direct seller and each sub-team to its annual
    amount (minor units); submitted, they sum exactly to ``amount``. ``method`` and
    ``parameters`` say how they were made (a cascade method restricted to the team, or
    ``manual``); ``explanations`` keeps the engine's reasons per public id."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    delegation = models.ForeignKey(Delegation, on_delete=models.CASCADE, related_name="splits")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    amount = models.BigIntegerField(_("team share"))
    status = models.CharField(
        _("status"), max_length=10, choices=SplitStatus.choices, default=SplitStatus.PENDING
    )
    method = models.CharField(_("method"), max_length=12, default="equal")
    parameters = models.JSONField(default=dict, blank=True)
    amounts = models.JSONField(default=dict, blank=True)
    explanations = models.JSONField(default=dict, blank=True)
    #: People who moved out of or into the team while the window was open, for the lead:
    #: ``{"way": "out"|"in", "name", "team", "amount", "on"}``; cleared when it is submitted.
    notices = models.JSONField(default=list, blank=True)
    taken_over = models.BooleanField(default=False)
    updated_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("team split")
        verbose_name_plural = _("team splits")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="teamsplit_unique_uuid"),
            models.UniqueConstraint(
                fields=["workspace", "delegation", "unit"], name="teamsplit_unique_unit"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="teamsplit_amount_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.delegation_id}/{self.unit_id}"

    @property
    def is_done(self) -> bool:
        return self.status in DONE_STATUSES


# Moves carry targets (pacte.planning.moves) ---------------------------------------------------


class MoveOutcome(models.TextChoices):
    PERSON = "person", _("Moves with the person")
    TEAM = "team", _("Stays with the team as an open share")
    POOL = "pool", _("Goes to the company pool")


class Proration(models.TextChoices):
    DAYS = "days", _("Pro rata by days")
    MONTH = "month", _("By whole months")
    PHASING = "phasing", _("By the remaining phasing")


class MovePolicy(WorkspaceModel):
    """Where the rest of a seller's target goes when they change team, leave or join mid-year,
    and how the month of the move is split (one row per workspace, audited)."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(
        _("the rest of the target"),
        max_length=8,
        choices=MoveOutcome.choices,
        default=MoveOutcome.PERSON,
    )
    proration = models.CharField(
        _("the month of the move"),
        max_length=8,
        choices=Proration.choices,
        default=Proration.DAYS,
    )
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("move policy")

    def __str__(self) -> str:
        return f"{self.workspace_id}: {self.outcome}/{self.proration}"


class MoveKind(models.TextChoices):
    MOVE = "move", _("Team move")
    LEAVE = "leave", _("Departure")
    JOIN = "join", _("Arrival")
    ASSIGN = "assign", _("Pool assignment")


class Holder(models.TextChoices):
    SELLER = "seller", _("Seller")
    OPEN = "open", _("Open share of a team")
    POOL = "pool", _("Company pool")


class Layer(models.TextChoices):
    TARGET = "target", _("Reference share")
    OBJECTIVE = "objective", _("Agreed objective")


class TargetMove(WorkspaceModel):
    """One carry of a target: a seller's move, departure or arrival, or an assignment from the
    pool, with the amounts that moved. Its ``TargetTransfer`` lines sum to zero."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    run = models.ForeignKey(CascadeRun, on_delete=models.CASCADE, related_name="moves")
    fiscal_year = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=MoveKind.choices)
    seller = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    from_unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    effective = models.DateField()
    outcome = models.CharField(max_length=8, choices=MoveOutcome.choices)
    proration = models.CharField(max_length=8, choices=Proration.choices)
    target_amount = models.BigIntegerField(default=0)
    objective_amount = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "run", "seller"], name="targetmove_ws_run_seller"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="targetmove_unique_uuid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.seller_id} {self.effective}"


class TargetTransfer(WorkspaceModel):
    """A signed line of a carry: ``amount`` added to (or, negative, taken from) a holder — a
    seller in a team, a team's open share, or the company pool — for a channel and month.
    A seller's, team's or the pool's part of a run is its stored cells plus these lines."""

    # Foreign keys without their own index: the two indexes below serve every read, and a carry
    # of a thousand people writes tens of thousands of lines (each index costs on every one).
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    move = models.ForeignKey(
        TargetMove, on_delete=models.CASCADE, related_name="lines", db_index=False
    )
    run = models.ForeignKey(CascadeRun, on_delete=models.CASCADE, related_name="+", db_index=False)
    layer = models.CharField(max_length=9, choices=Layer.choices)
    holder = models.CharField(max_length=6, choices=Holder.choices)
    seller = models.ForeignKey(
        Membership,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    unit = models.ForeignKey(
        "org.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    channel = models.ForeignKey(
        "sales.Channel",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    month = models.IntegerField()
    amount = models.BigIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(holder="pool", unit__isnull=True, seller__isnull=True)
                | Q(holder="open", unit__isnull=False, seller__isnull=True)
                | Q(holder="seller", unit__isnull=False, seller__isnull=False),
                name="transfer_holder_shape",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "run", "layer", "holder"], name="transfer_ws_run"),
            models.Index(fields=["run", "seller", "month"], name="transfer_run_seller"),
        ]

    def __str__(self) -> str:
        return f"{self.move_id}: {self.holder} {self.amount}"

"""Self-set objectives, their versions and cells, delegation policy, windows, gap rules, plans.

Amounts are integer minor units. Months are ``pacte.lib.fiscal.Month.index``. Channel splits
are basis points (10 000 = 100 %) keyed by channel code.
"""

from __future__ import annotations

import uuid
from typing import ClassVar, Self

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pacte.accounts.models import Membership, Workspace, WorkspaceModel, WorkspaceQuerySet


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PROPOSED = "proposed", _("Proposed")
    RETURNED = "returned", _("Returned")
    COUNTERED = "countered", _("Counter-proposed")
    AGREED = "agreed", _("Agreed")


class Action(models.TextChoices):
    SAVED = "saved", _("Draft saved")
    PROPOSED = "proposed", _("Proposed")
    AUTO_AGREED = "auto_agreed", _("Agreed automatically")
    AGREED = "agreed", _("Agreed by the handler")
    RETURNED = "returned", _("Returned with a reason")
    COUNTERED = "countered", _("Counter-proposed")
    ACCEPTED = "accepted", _("Counter-proposal accepted")


class DelegationPolicy(WorkspaceModel):
    """Which proposals are agreed automatically (one row per workspace, versioned, audited)."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    auto_agree = models.BooleanField(
        _("agree automatically at or above the reference share"), default=True
    )
    tolerance_pct = models.DecimalField(
        _("tolerance below the reference (%)"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("delegation policy")
        constraints = [
            models.CheckConstraint(
                condition=Q(tolerance_pct__gte=0) & Q(tolerance_pct__lte=100),
                name="delegation_tolerance_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workspace_id}: auto={self.auto_agree} tol={self.tolerance_pct}"


class Window(WorkspaceModel):
    """The objective-setting window of a fiscal year (both days inclusive)."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("objective-setting window")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="window_unique_uuid"),
            models.UniqueConstraint(fields=["workspace", "fiscal_year"], name="window_unique_fy"),
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")), name="window_range_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"FY{self.fiscal_year}: {self.opens_on}..{self.closes_on}"


class ObjectiveQuerySet(WorkspaceQuerySet["Objective"]):
    def visible_to(self, member: Membership) -> Self:
        """Own objectives; those the member handles; their team's (leads); everything
        (executives and admins). Another seller's objective is simply not found."""
        from pacte.org.models import Placement
        from pacte.org.selectors import led_subtree_ids

        qs = self.for_workspace(member.workspace)
        if member.sees_everything:
            return qs
        condition = Q(seller=member) | Q(handler=member)
        if member.is_lead:
            team = (
                Placement.objects.for_workspace(member.workspace)
                .on(timezone.localdate())
                .filter(unit_id__in=led_subtree_ids(member))
                .values("membership_id")
            )
            condition |= Q(seller_id__in=team)
        return qs.filter(condition)


ObjectiveManager = models.Manager.from_queryset(ObjectiveQuerySet)


class Objective(WorkspaceModel):
    """A seller's self-set objective for one fiscal year; its fields are the current version."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    seller = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="objectives")
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    amount = models.BigIntegerField(_("annual amount"))
    months = models.JSONField(default=list)  # 12 ints, fiscal month order
    channel_split = models.JSONField(default=dict, blank=True)  # code -> basis points
    narrative = models.TextField(_("narrative"), blank=True)
    reference_amount = models.BigIntegerField(null=True, blank=True)
    handler = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    counter_amount = models.BigIntegerField(null=True, blank=True)
    counter_months = models.JSONField(default=list, blank=True)
    agreed_amount = models.BigIntegerField(null=True, blank=True)
    is_late = models.BooleanField(_("late"), default=False)
    proposed_at = models.DateTimeField(null=True, blank=True)
    agreed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[ObjectiveManager] = ObjectiveManager()

    class Meta:
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="objective_unique_uuid"),
            models.UniqueConstraint(
                fields=["workspace", "seller", "fiscal_year"], name="objective_unique_seller_fy"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="objective_amount_pos"),
        ]
        indexes = [
            models.Index(fields=["workspace", "fiscal_year", "status"], name="objective_ws_fy"),
            models.Index(fields=["workspace", "handler", "status"], name="objective_ws_handler"),
        ]

    def __str__(self) -> str:
        return f"FY{self.fiscal_year} {self.seller_id}"


class ObjectiveVersion(WorkspaceModel):
    """A snapshot of an objective after each action; the highest number is the current one."""

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    action = models.CharField(max_length=12, choices=Action.choices)
    status = models.CharField(max_length=12, choices=Status.choices)
    amount = models.BigIntegerField()
    months = models.JSONField(default=list)
    channel_split = models.JSONField(default=dict, blank=True)
    narrative = models.TextField(blank=True)
    reason = models.TextField(blank=True)
    counter_amount = models.BigIntegerField(null=True, blank=True)
    author = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_late = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "objective", "number"], name="objversion_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.objective_id} v{self.number}"


class Layer(models.TextChoices):
    AGREED = "agreed", _("Agreed")
    PROPOSED = "proposed", _("Proposed")


class ObjectiveCell(WorkspaceModel):
    """Read model for reconciliation: agreed and pending amounts by month and channel.

    ``channel`` is NULL when the seller did not split by channel.
    """

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="cells")
    seller = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField()
    layer = models.CharField(max_length=10, choices=Layer.choices)
    channel = models.ForeignKey(
        "sales.Channel", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    month = models.IntegerField()
    amount = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["workspace", "fiscal_year", "layer", "seller"], name="objcell_ws_fy"
            ),
            # MAX(id) of a workspace's year (insights.sources fingerprint), as placement_ws_id
            models.Index(fields=["workspace", "fiscal_year", "id"], name="objcell_ws_fy_id"),
        ]

    def __str__(self) -> str:
        return f"{self.objective_id}/{self.layer}/{self.month}"


class RuleKind(models.TextChoices):
    STRETCH = "stretch", _("Stretch requests to chosen sellers")
    PRORATA = "prorata", _("Pro-rata over sellers with headroom")
    RESERVE = "reserve", _("Reserve held by the team")


class GapRule(WorkspaceModel):
    """An applied rule absorbing (part of) a node's gap. Never changes anyone's objective."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=RuleKind.choices)
    amount = models.BigIntegerField()
    allocations = models.JSONField(default=list)  # [{"seller": uuid, "name", "amount"}]
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "fiscal_year", "unit"], name="gaprule_ws")]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="gaprule_unique_uuid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


class StretchRequest(WorkspaceModel):
    """A suggested extra for a seller, from a gap rule; the seller decides what to do with it."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    rule = models.ForeignKey(GapRule, on_delete=models.CASCADE, related_name="requests")
    seller = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField()
    amount = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "seller", "fiscal_year"], name="stretch_ws_seller")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "uuid"], name="stretchrequest_unique_uuid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seller_id}: +{self.amount}"


class Notification(WorkspaceModel):
    """An in-app notification; ``kind`` and ``params`` are rendered in the reader's language."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    recipient = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30)
    params = models.JSONField(default=dict)
    url = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "recipient", "read_at"], name="notif_ws_recipient")
        ]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="notification_unique_uuid"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.kind}"


class KeyResult(WorkspaceModel):
    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="key_results")
    name = models.CharField(_("name"), max_length=200)
    measure = models.CharField(_("measure"), max_length=200)
    target = models.DecimalField(_("target"), max_digits=18, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    due_on = models.DateField(_("due date"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "objective"], name="kr_ws_objective")]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="keyresult_unique_uuid"),
        ]

    def __str__(self) -> str:
        return self.name


class InitiativeStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ONGOING = "ongoing", _("Ongoing")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


class Initiative(WorkspaceModel):
    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="initiatives")
    text = models.CharField(_("initiative"), max_length=500)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=InitiativeStatus.choices,
        default=InitiativeStatus.PLANNED,
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "objective"], name="init_ws_objective")]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="initiative_unique_uuid"),
        ]

    def __str__(self) -> str:
        return self.text


class CheckIn(WorkspaceModel):
    """A weekly check-in (one per ISO week, ``week`` is its Monday) with a confidence 0..10."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="check_ins")
    week = models.DateField(_("week of"))
    confidence = models.PositiveSmallIntegerField(
        _("confidence"), validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The seller's lead read it (``seen_at``) and may have answered (``reply``); a check-in
    # neither seen nor answered is "unanswered" on the team check-ins page.
    seen_at = models.DateTimeField(null=True, blank=True)
    seen_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reply = models.TextField(_("reply"), blank=True)
    replied_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="checkin_unique_uuid"),
            models.UniqueConstraint(
                fields=["workspace", "objective", "week"], name="checkin_unique_week"
            ),
            models.CheckConstraint(condition=Q(confidence__lte=10), name="checkin_confidence"),
        ]
        indexes = [models.Index(fields=["workspace", "seen_at"], name="checkin_ws_seen")]

    def __str__(self) -> str:
        return f"{self.objective_id} {self.week}: {self.confidence}"

    @property
    def unanswered(self) -> bool:
        """Neither marked seen nor answered by a lead since the seller last wrote it."""
        return self.seen_at is None


class ReviewReason(WorkspaceModel):
    """A reason a seller may give in a period review, from the workspace's list (named in both
    languages). A workspace with no rows uses ``pacte.objectives.reviews.DEFAULT_REASONS``;
    admins edit the list, a reason in use is only ever deactivated."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    code = models.SlugField(_("code"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_fr = models.CharField(_("name (French)"), max_length=120)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("review reason")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="reviewreason_unique_uuid"),
            models.UniqueConstraint(fields=["workspace", "code"], name="reviewreason_unique_code"),
        ]

    def __str__(self) -> str:
        return self.code


class ReviewStatus(models.TextChoices):
    REQUESTED = "requested", _("Waiting for the seller")
    SUBMITTED = "submitted", _("Waiting for the lead")
    ANSWERED = "answered", _("Answered")


class ReviewBasis(models.TextChoices):
    OBJECTIVE = "objective", _("Agreed objective")
    TARGET = "target", _("Target")


class PeriodReview(WorkspaceModel):
    """A seller's review of a closed fiscal quarter in which they fell short: one per seller and
    quarter (the unique key makes a request happen once, however many runs ask). The figures
    are those of the close: ``committed`` (the part of the agreed objective phased into the
    quarter, else the reference share's), ``actual`` and ``gap`` in minor units;
    ``gap_by_channel`` splits the gap by channel code ("" for what no channel carries)."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    seller = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    basis = models.CharField(max_length=10, choices=ReviewBasis.choices)
    committed = models.BigIntegerField()
    actual = models.BigIntegerField()
    gap = models.BigIntegerField()
    gap_by_channel = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.REQUESTED
    )
    reasons = models.JSONField(default=list, blank=True)  # reason codes
    text = models.TextField(_("what happened"), blank=True)
    next_change = models.TextField(_("what I change next period"), blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(_("the lead's answer"), blank=True)
    answered_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    reminders = models.PositiveSmallIntegerField(default=0)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("period review")
        verbose_name_plural = _("period reviews")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="periodreview_unique_uuid"),
            models.UniqueConstraint(
                fields=["workspace", "seller", "fiscal_year", "quarter"],
                name="review_unique_period",
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1) & Q(quarter__lte=4), name="review_quarter_range"
            ),
            models.CheckConstraint(condition=Q(gap__gte=0), name="review_gap_pos"),
        ]
        indexes = [
            models.Index(
                fields=["workspace", "fiscal_year", "quarter", "status"], name="review_ws_period"
            ),
        ]

    def __str__(self) -> str:
        return f"Q{self.quarter} FY{self.fiscal_year} {self.seller_id}"


class RequestKind(models.TextChoices):
    CREDIT = "credit", _("Credit dispute")
    MOVE = "move", _("Team move")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the decision")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")


class FieldRequestQuerySet(WorkspaceQuerySet["FieldRequest"]):
    def visible_to(self, member: Membership) -> Self:
        """Own requests; those the member decides; their team's (leads); everything
        (executives and admins). Anyone else's request is simply not found."""
        from pacte.org.models import Placement
        from pacte.org.selectors import led_subtree_ids

        qs = self.for_workspace(member.workspace)
        if member.sees_everything:
            return qs
        condition = Q(seller=member) | Q(handler=member)
        if member.is_lead:
            team = (
                Placement.objects.for_workspace(member.workspace)
                .on(timezone.localdate())
                .filter(unit_id__in=led_subtree_ids(member))
                .values("membership_id")
            )
            condition |= Q(seller_id__in=team)
        return qs.filter(condition)


FieldRequestManager = models.Manager.from_queryset(FieldRequestQuerySet)


class FieldRequest(WorkspaceModel):
    """A seller's request decided in one step by their handler (the delegation map), as
    objectives are: a credit dispute (a sale's split or overlay share the seller asks for) or
    a move to another team from a date. Accepting applies it through the sales or org
    services; refusing changes nothing. ``version`` guards the decision against stale pages."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    seller = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=6, choices=RequestKind.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    handler = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Credit disputes: the sale, the kind of credit and the share asked for (basis points).
    sale = models.ForeignKey(
        "sales.Sale", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    credit_kind = models.CharField(_("credit"), max_length=7, blank=True)
    share_bp = models.IntegerField(
        _("share asked"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10_000)],
    )
    # Moves: the team and the first day there.
    unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    effective = models.DateField(_("from"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)
    decided_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects: ClassVar[FieldRequestManager] = FieldRequestManager()

    class Meta:
        constraints = [
            # One pending request of a kind about one subject: the sale of a credit dispute,
            # the seller themself for a move (field_requests refuses with a located message).
            models.UniqueConstraint(
                fields=["workspace", "seller", "sale"],
                condition=Q(status="pending", kind="credit"),
                name="request_one_pending_credit",
            ),
            models.UniqueConstraint(
                fields=["workspace", "seller"],
                condition=Q(status="pending", kind="move"),
                name="request_one_pending_move",
            ),
            models.UniqueConstraint(fields=["workspace", "uuid"], name="fieldrequest_unique_uuid"),
        ]
        indexes = [
            models.Index(fields=["workspace", "handler", "status"], name="request_ws_handler"),
            models.Index(fields=["workspace", "seller"], name="request_ws_seller"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.seller_id}:{self.status}"

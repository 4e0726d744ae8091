"""Deals (open opportunities), their history, the pre-aggregated pipeline cells, and the calls
sellers and leads make on a period.

Amounts are integer minor units. Months are ``pacte.lib.fiscal.Month.index``; a period is a key
of the fiscal calendar (``FY2027-Q2``). Credits are basis points (10 000 = 100 %).
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, Self

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pacte.accounts.models import Membership, Workspace, WorkspaceModel, WorkspaceQuerySet
from pacte.sales.models import Channel


class Category(models.TextChoices):
    PIPELINE = "pipeline", _("Pipeline")
    BEST_CASE = "best_case", _("Best case")
    COMMIT = "commit", _("Commit")
    CLOSED = "closed", _("Closed")
    OMITTED = "omitted", _("Omitted")


class DealStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class CreditKind(models.TextChoices):
    SPLIT = "split", _("Split")
    OVERLAY = "overlay", _("Overlay")


def _seller_scope(member: Membership, field: str) -> Q | None:
    """``None`` when ``member`` sees every seller's deals and calls; else the condition on
    ``field`` (a membership key): their own, and a lead's sellers placed today in a team they
    lead or below it. Deals are not opened by the workspace's leaderboard."""
    if member.sees_everything:
        return None
    condition = Q(**{field: member.pk})
    if member.is_lead:
        from pacte.org.models import Placement
        from pacte.org.visibility import Tree, led_unit_ids

        led = led_unit_ids(member, Tree.load(member.workspace))
        if led:
            placed = (
                Placement.objects.for_workspace(member.workspace)
                .on(timezone.localdate())
                .filter(unit_id__in=sorted(led))
                .values("membership_id")
            )
            condition |= Q(**{f"{field}__in": placed})
    return condition


class StageRule(WorkspaceModel):
    """The forecast categories a deal in this stage may take (workspace rule). A stage with no
    rule allows every category."""

    stage = models.CharField(_("stage"), max_length=100)
    allowed = models.JSONField(default=list)  # category values
    version = models.PositiveIntegerField(default=1)

    visible_to_every_member = True

    class Meta:
        verbose_name = _("stage rule")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "stage"], name="stagerule_unique"),
        ]

    def __str__(self) -> str:
        return self.stage


class DealQuerySet(WorkspaceQuerySet["Deal"]):
    def visible_to(self, member: Membership) -> Self:
        qs = self.for_workspace(member.workspace)
        condition = _seller_scope(member, "owner_id")
        return qs if condition is None else qs.filter(condition)


DealManager = models.Manager.from_queryset(DealQuerySet)


#: Deals, their credits and their history are bulk tables (a million rows per import), as sales
#: and credits are (``pacte.sales.models.Sale``): their foreign keys carry no database
#: constraint and only the indexes reads need. Each deferred foreign-key check is a trigger run
#: per inserted row at commit, each index a b-tree insert per row (measured on PostgreSQL, 50k
#: deals: the commit alone, i.e. the deferred checks, was 40 % of the import). Integrity comes
#: from the one writer, the import, which resolves every id from the workspace's own members
#: and channels (``ingest.Context``), and from Django, which still applies ``on_delete``.
_BULK_FK: dict[str, Any] = {"db_constraint": False, "db_index": False}


class Deal(WorkspaceModel):
    """An opportunity; its fields are the current state, every change is a :class:`DealChange`."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", **_BULK_FK)
    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    source = models.CharField(_("source"), max_length=60, default="default")
    external_id = models.CharField(_("external id"), max_length=100)
    name = models.CharField(_("name"), max_length=300)
    amount = models.BigIntegerField(_("amount"))  # in the workspace currency
    # A deal in another currency than the workspace's keeps it and its own amount (minor units
    # of that currency); ``amount`` is then its conversion (``pacte.pipeline.ingest``). Empty:
    # the deal is in the workspace currency.
    currency = models.CharField(_("currency"), max_length=3, blank=True, default="")
    currency_amount = models.BigIntegerField(_("amount in its currency"), null=True, blank=True)
    close_date = models.DateField(_("expected close date"))
    month = models.IntegerField()  # Month.index of close_date
    stage = models.CharField(_("stage"), max_length=100)
    probability = models.PositiveSmallIntegerField(_("probability"))
    category = models.CharField(_("forecast category"), max_length=12, choices=Category.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=DealStatus.choices, default=DealStatus.OPEN
    )
    # ``deal_ws_owner_month`` serves the owner's deals; deleting a member or a channel (refused
    # while they have deals) scans.
    owner = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+", **_BULK_FK)
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.PROTECT, related_name="+", **_BULK_FK
    )
    version = models.PositiveIntegerField(default=1)
    # A fingerprint of the imported row (null before it was kept): the same row again is
    # recognised as unchanged in one comparison.
    row_hash = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[DealManager] = DealManager()

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="deal_unique_uuid"),
            models.UniqueConstraint(
                fields=["workspace", "source", "external_id"], name="deal_unique_external"
            ),
            models.CheckConstraint(
                condition=Q(probability__gte=0, probability__lte=100), name="deal_probability"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="deal_amount_pos"),
        ]
        indexes = [
            models.Index(fields=["workspace", "owner", "month"], name="deal_ws_owner_month"),
            models.Index(fields=["workspace", "month", "category"], name="deal_ws_month_cat"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def weighted(self) -> int:
        return self.amount * self.probability // 100


class DealCredit(WorkspaceModel):
    """Who a deal counts for: split credits sum to 100 % (team and company totals), overlay
    credits count for the person only."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", **_BULK_FK)
    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, related_name="credits", db_constraint=False
    )
    seller = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+", **_BULK_FK)
    kind = models.CharField(max_length=8, choices=CreditKind.choices)
    basis_points = models.PositiveIntegerField()
    amount = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "deal", "seller", "kind"], name="dealcredit_unique"
            ),
        ]
        indexes = [models.Index(fields=["workspace", "seller"], name="dealcredit_ws_seller")]

    def __str__(self) -> str:
        return f"{self.deal_id} {self.seller_id} {self.kind}"


class DealChange(WorkspaceModel):
    """The state of a deal from ``changed_at`` on (one row at creation, one per change of
    stage, amount, close date, category, probability or status): the pipeline as of any day."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", **_BULK_FK)
    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, related_name="changes", db_constraint=False
    )
    changed_at = models.DateTimeField()
    amount = models.BigIntegerField()
    close_date = models.DateField()
    stage = models.CharField(max_length=100)
    probability = models.PositiveSmallIntegerField()
    category = models.CharField(max_length=12, choices=Category.choices)
    status = models.CharField(max_length=8, choices=DealStatus.choices)
    owner = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+", **_BULK_FK)
    actor = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", **_BULK_FK
    )

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "deal", "changed_at"], name="dealchange_ws_deal"),
            models.Index(fields=["workspace", "changed_at"], name="dealchange_ws_at"),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id} @ {self.changed_at}"


class PipelineCell(WorkspaceModel):
    """The read model of the forecast pages: (seller, month, category, credit kind) → deals,
    amount and weighted amount of the OPEN deals credited to the seller. Rebuilt set-based for
    the sellers a write touches, in the write's transaction; pages never scan deals."""

    seller = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    unit_id = models.BigIntegerField(null=True)  # the seller's team today
    channel_id = models.BigIntegerField(null=True)
    month = models.IntegerField()
    category = models.CharField(max_length=12, choices=Category.choices)
    kind = models.CharField(max_length=8, choices=CreditKind.choices)
    deals = models.IntegerField(default=0)
    amount = models.BigIntegerField(default=0)
    weighted = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "month", "seller"], name="pipecell_ws_month"),
            models.Index(fields=["workspace", "seller", "month"], name="pipecell_ws_seller"),
        ]

    def __str__(self) -> str:
        return f"{self.seller_id} {self.month} {self.category}"


class TeamPipelineCell(WorkspaceModel):
    """The pipeline cells summed per team: (team, channel, month, category) → deals, amount and
    weighted amount of the OPEN deals, split credits only (each deal counted once). Rebuilt
    from :class:`PipelineCell` for the teams a write touched, in the write's transaction: the
    company page and the channel coverage read a few thousand rows whatever the number of deals
    and sellers."""

    unit_id = models.BigIntegerField(null=True)  # the sellers' team today, as in their cells
    channel_id = models.BigIntegerField(null=True)
    month = models.IntegerField()
    category = models.CharField(max_length=12, choices=Category.choices)
    deals = models.IntegerField(default=0)
    amount = models.BigIntegerField(default=0)
    weighted = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "month"], name="teampipecell_ws_month"),
            models.Index(fields=["workspace", "unit_id"], name="teampipecell_ws_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month} {self.category}"


class CallLevel(models.TextChoices):
    SELLER = "seller", _("Seller")
    TEAM = "team", _("Team")


class CallStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class CallQuerySet(WorkspaceQuerySet["Call"]):
    def visible_to(self, member: Membership) -> Self:
        qs = self.for_workspace(member.workspace)
        condition = _seller_scope(member, "member_id")
        if condition is None:
            return qs
        if member.is_lead:
            from pacte.org.visibility import Tree, led_unit_ids

            led = led_unit_ids(member, Tree.load(member.workspace))
            condition |= Q(level=CallLevel.TEAM, unit_id__in=sorted(led))
        return qs.filter(condition)


CallManager = models.Manager.from_queryset(CallQuerySet)


class Call(WorkspaceModel):
    """A forecast for a period made in a week: a seller's own (``level=seller``, one per seller,
    period and week) or a team's (``level=team``, one per team, period and week: the gross
    roll-up of the sellers' calls, kept as computed, and a lead's adjustment with a note on top
    of it; ``member`` is the lead who last adjusted it)."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    member = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=8, choices=CallLevel.choices, default=CallLevel.SELLER)
    unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    period = models.CharField(_("period"), max_length=16)
    week = models.DateField(_("week"))  # the Monday of the week the call was made in
    commit = models.BigIntegerField(_("commit"))
    best_case = models.BigIntegerField(_("best case"))
    note = models.TextField(_("note"), blank=True)
    deal_ids = models.JSONField(default=list, blank=True)  # uuids of the deals behind it
    gross_commit = models.BigIntegerField(default=0)  # team calls: the roll-up
    gross_best_case = models.BigIntegerField(default=0)
    adjustment = models.BigIntegerField(_("adjustment"), default=0)  # on the commit
    status = models.CharField(max_length=10, choices=CallStatus.choices, default=CallStatus.DRAFT)
    submitted_to = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)
    #: The most recent week's call of its seller (or team) on the period: the company page sums
    #: these without reading every week's call. Kept by ``services.mark_latest``.
    latest = models.BooleanField(default=False)

    objects: ClassVar[CallManager] = CallManager()

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="call_unique_uuid"),
            models.UniqueConstraint(
                fields=["workspace", "member", "period", "week"],
                condition=Q(level="seller"),
                name="call_unique_seller_week",
            ),
            models.UniqueConstraint(
                fields=["workspace", "unit", "period", "week"],
                condition=Q(level="team"),
                name="call_unique_team_week",
            ),
            models.CheckConstraint(
                condition=Q(commit__gte=0, best_case__gte=0), name="call_amounts_pos"
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "period", "week"], name="call_ws_period"),
            models.Index(
                fields=["workspace", "period", "level"],
                condition=Q(latest=True),
                name="call_ws_period_latest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.week}"


class CallStamp(WorkspaceModel):
    """A counter of the changes to a workspace's calls, bumped in the transaction of every call
    the services write (``services.touch_calls``): the team roll-ups of the calls are cached
    under it (``selectors.seller_calls_by_team``), so a change is never served stale by any
    web process."""

    version = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace"], name="callstamp_unique_workspace"),
        ]

    def __str__(self) -> str:
        return f"{self.workspace_id} v{self.version}"


class CallSnapshotQuerySet(WorkspaceQuerySet["CallSnapshot"]):
    def visible_to(self, member: Membership) -> Self:
        """As the calls: a seller's own, a lead's sellers' and the team calls of the leads of
        the teams they lead (or below); executives and admins all."""
        qs = self.for_workspace(member.workspace)
        condition = _seller_scope(member, "member_id")
        if condition is None:
            return qs
        condition = (Q(level=CallLevel.SELLER) & condition) | Q(member_id=member.pk)
        if member.is_lead:
            from pacte.org.models import Unit
            from pacte.org.visibility import Tree, led_unit_ids

            led = led_unit_ids(member, Tree.load(member.workspace))
            leads = Unit.objects.for_workspace(member.workspace).filter(pk__in=sorted(led))
            condition |= Q(level=CallLevel.TEAM, member_id__in=leads.values("lead_id"))
        return qs.filter(condition)


CallSnapshotManager = models.Manager.from_queryset(CallSnapshotQuerySet)


class CallSnapshot(WorkspaceModel):
    """The calls and the open pipeline of each seller and period, copied every week (the
    schedule kind ``pipeline_snapshot``): what accuracy is measured against at the close."""

    week = models.DateField()
    period = models.CharField(max_length=16)
    member = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=8, choices=CallLevel.choices)
    commit = models.BigIntegerField(null=True)
    best_case = models.BigIntegerField(null=True)
    pipeline = models.BigIntegerField(default=0)
    weighted = models.BigIntegerField(default=0)

    objects: ClassVar[CallSnapshotManager] = CallSnapshotManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "week", "period", "member", "level"], name="callsnap_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.week} {self.member_id}"

"""Sales: channels, customers, sales and their credits, crediting rules, imports, the cube."""

from __future__ import annotations

import datetime
import uuid
from typing import ClassVar, Self

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from pacte.accounts.models import Membership, Workspace, WorkspaceModel, WorkspaceQuerySet


class Channel(WorkspaceModel):
    """A route to market (field, distributors, telesales, e-commerce, partners…)."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="channels")
    code = models.SlugField(_("code"), max_length=40)
    name_en = models.CharField(_("name in English"), max_length=100)
    name_fr = models.CharField(_("name in French"), max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    visible_to_every_member = True

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="channel_unique_uuid"),
            models.UniqueConstraint(fields=["workspace", "code"], name="channel_unique_code"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.name_fr if (get_language() or "en").startswith("fr") else self.name_en


class CubeCell(WorkspaceModel):
    """The read model: (workspace, seller, team, channel, month) → actuals in minor units.

    ``month`` is ``pacte.lib.fiscal.Month.index`` (year * 12 + month - 1). ``team`` is the
    seller's team on the day of each sale (dated placements). ``split_amount`` counts toward
    team and company totals; ``overlay_amount`` toward the seller's own attainment only.
    Maintained by the sales services in the transaction of every change to sales or credits.
    """

    seller = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="cube_cells"
    )
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="cube_cells")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="cube_cells")
    month = models.IntegerField()
    split_amount = models.BigIntegerField(default=0)
    overlay_amount = models.BigIntegerField(default=0)
    sale_count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "seller", "unit", "channel", "month"], name="cube_cell_key"
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "month", "unit"], name="cube_ws_month_unit"),
            models.Index(fields=["workspace", "channel", "month"], name="cube_ws_channel_month"),
            models.Index(fields=["workspace", "seller", "month"], name="cube_ws_seller_month"),
            models.Index(fields=["workspace", "unit", "month"], name="cube_ws_unit_month"),
        ]

    def __str__(self) -> str:
        return f"{self.seller_id}/{self.unit_id}/{self.channel_id}/{self.month}"


class TeamCell(WorkspaceModel):
    """The cube rolled up by (team, channel, month): the sum of the :class:`CubeCell` rows of
    the same team, channel and month, so that the company and team figures read a few
    thousand rows instead of every seller's cells.

    Maintained with the cube, by the same statements' deltas (``pacte.sales.cube``), in the
    transaction of every change; ``pacte verify`` checks it against a recomputation."""

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="+")
    month = models.IntegerField()
    split_amount = models.BigIntegerField(default=0)
    overlay_amount = models.BigIntegerField(default=0)
    sale_count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "unit", "channel", "month"], name="team_cell_key"
            ),
        ]
        indexes = [
            # covering, one per grouping: a page sums a span of months by team or by channel
            # off an index alone, in its order (no sort of the rows)
            models.Index(
                fields=["workspace", "month", "unit", "channel", "split_amount", "overlay_amount"],
                name="team_cell_ws_month_cover",
            ),
            models.Index(
                fields=["workspace", "month", "channel", "unit", "split_amount", "overlay_amount"],
                name="team_cell_ws_month_channel",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.channel_id}/{self.month}"


class SellerRunningTotal(WorkspaceModel):
    """Each seller's credits (every team and channel) summed from their first credited month
    through ``month``: a running total, so that a seller's actual over any span of months is
    two rows (the total at its last month minus the total before its first), and a ranking of
    10,000 sellers reads 20,000 rows instead of every seller's cube cells of the span.

    Dense: every seller with a credit has a row for every month from their first credited month
    to the workspace's last (a later month reads the last row). Maintained with the cube by the
    same deltas (``pacte.sales.cube``), in the transaction of every change; ``pacte verify``
    checks it against a recomputation."""

    seller = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE, related_name="+")
    month = models.IntegerField()
    split_amount = models.BigIntegerField(default=0)
    overlay_amount = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "seller", "month"], name="seller_running_key"
            ),
        ]
        indexes = [
            # covering: a ranking reads two months of every seller off the index alone
            models.Index(
                fields=["workspace", "month", "seller", "split_amount", "overlay_amount"],
                name="seller_running_ws_month_cover",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seller_id}/{self.month}"


class Customer(WorkspaceModel):
    """A customer or account, named as the import files name it (created on first sight).

    ``channel_manager`` is who a "to the account's channel manager" crediting rule credits.
    """

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    name = models.CharField(_("name"), max_length=300)
    channel_manager = models.ForeignKey(
        "accounts.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_accounts",
        verbose_name=_("channel manager"),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="customer_unique_uuid"),
            models.UniqueConstraint(fields=["workspace", "name"], name="customer_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class ImportStatus(models.TextChoices):
    MAPPING = "mapping", _("Waiting for the column mapping")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Reading and checking")
    STORING = "storing", _("Storing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Refused")
    CANCELLED = "cancelled", _("Cancelled")


class ImportJob(WorkspaceModel):
    """One import (a file or an API batch): status, progress, counts and per-row errors.

    ``errors`` keeps the first ``MAX_KEPT_ERRORS`` row errors (``line``, ``column``, ``code``,
    ``value``); ``error_count`` counts them all. ``mapping`` is target field → file column.
    """

    MAX_KEPT_ERRORS = 1000

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    created_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, default="file")  # file | api | sample | demo
    source = models.CharField(_("source"), max_length=60, default="default")
    file_name = models.CharField(_("file"), max_length=300, blank=True)
    file_path = models.CharField(max_length=500, blank=True)
    columns = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    date_order = models.CharField(max_length=4, default="auto")
    amount_style = models.CharField(max_length=4, default="auto")
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.MAPPING
    )
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    rows_read = models.BigIntegerField(default=0)
    created_count = models.BigIntegerField(default=0)
    updated_count = models.BigIntegerField(default=0)
    unchanged_count = models.BigIntegerField(default=0)
    error_count = models.BigIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)  # a file-level refusal, already translated
    message_code = models.CharField(max_length=40, blank=True)
    cancel_requested = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="importjob_ws_created")]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="importjob_unique_uuid"),
        ]

    def __str__(self) -> str:
        return self.file_name or f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.CANCELLED)


class MappingProfile(WorkspaceModel):
    """A saved column mapping (target field → file column), offered for the next file."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    mapping = models.JSONField(default=dict)
    date_order = models.CharField(max_length=4, default="auto")
    amount_style = models.CharField(max_length=4, default="auto")
    source = models.CharField(max_length=60, default="default")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "uuid"], name="mappingprofile_unique_uuid"
            ),
            models.UniqueConstraint(fields=["workspace", "name"], name="mappingprofile_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class SaleQuerySet(WorkspaceQuerySet["Sale"]):
    def visible_to(self, member: Membership) -> Self:
        """Admins and executives see every sale; others the sales credited to them or, for a
        lead, to a member of a team they lead."""
        qs = self.for_workspace(member.workspace)
        if member.sees_everything:
            return qs
        mine = Q(seller=member)
        led = list(member.led_units.values_list("pk", flat=True))
        if led:
            mine |= Q(unit_id__in=led)
        return qs.filter(
            Exists(
                Credit.objects.filter(mine, workspace=OuterRef("workspace"), sale=OuterRef("pk"))
            )
        )


SaleManager = models.Manager.from_queryset(SaleQuerySet)


class Sale(WorkspaceModel):
    """One transaction, in the workspace currency (minor units; credit notes are negative), and
    for a sale in another currency its own currency and amount too.

    ``row_hash`` fingerprints the normalised input row (including its credit columns): a
    re-import with the same hash changes nothing. ``credit_origin`` says where the split
    credits came from: ``row`` (seller or split column) or ``rule`` (a crediting rule), so a
    rule change re-credits exactly the rule-credited sales.
    """

    # Imports give ``uuid``s that grow with the sale id (``ingest.stage.sale_uuid_sql``): each new
    # key lands at the right edge of the index instead of a random page.
    uuid = models.UUIDField(default=uuid.uuid4, editable=False)
    # Sales and credits are the bulk fact tables (millions of rows per import): their foreign
    # keys carry no database constraint and only the indexes that reads need. Each deferred
    # foreign-key check is a trigger run per inserted row and each index a b-tree insert per
    # row (measured: together more than half of an import). Integrity comes from the one
    # writer, the import, which resolves every id from the workspace's own members, channels,
    # customers and units (``ingest.context.load_context``), and from Django, which still applies
    # ``on_delete`` (PROTECT, CASCADE) in Python.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    # On PostgreSQL both compare by bytes (``COLLATE "C"``, migration 0012): the unique
    # (workspace, source, external id) index then calls no locale collation per comparison.
    source = models.CharField(_("source"), max_length=60, default="default")
    external_id = models.CharField(_("external id"), max_length=100)
    date = models.DateField(_("date"))
    # pacte.lib.fiscal.Month.index the sale counts in: the month of ``date``, or a later open
    # month when it arrived after its own month was closed (the workspace's late-sale policy).
    month = models.IntegerField()
    amount = models.BigIntegerField(_("amount"))
    # A sale booked in another currency than the workspace's keeps it and its own amount (minor
    # units of that currency); ``amount`` is then its conversion at the rate of its date
    # (``pacte.lib.currency``). Empty / null: the sale is in the workspace currency.
    currency = models.CharField(_("currency"), max_length=3, blank=True, default="")
    currency_amount = models.BigIntegerField(_("amount in its currency"), null=True, blank=True)
    # No index of its own: the sales list filters a channel while walking ``sale_ws_date``;
    # deleting a channel (rare, refused while it has sales) scans.
    channel = models.ForeignKey(
        Channel,
        on_delete=models.PROTECT,
        related_name="sales",
        db_index=False,
        db_constraint=False,
    )
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sales",
        db_index=False,
        db_constraint=False,
    )
    territory = models.CharField(_("territory"), max_length=100, blank=True)
    solution = models.CharField(_("solution"), max_length=100, blank=True)
    credit_origin = models.CharField(max_length=4, default="row")
    row_hash = models.BigIntegerField()
    last_import = models.ForeignKey(  # informative; never looked up by (no index)
        ImportJob,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    updated_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[SaleManager] = SaleManager()

    class Meta:
        verbose_name = _("sale")
        verbose_name_plural = _("sales")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="sale_unique_uuid"),
            models.UniqueConstraint(
                fields=["workspace", "source", "external_id"], name="sale_unique_external_id"
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "date"], name="sale_ws_date"),
            # Only the sales in another currency, keyed by workspace alone: a workspace with
            # none reads nothing for their re-valuation and the constant-currency figures of
            # insights. One integer key (no collation), in heap order within a workspace, so
            # an import appends to its end, deduplicated: cheap to keep up (issue 19).
            models.Index(
                fields=["workspace"],
                condition=~Q(currency=""),
                name="sale_ws_foreign_only",
            ),
        ]

    def __str__(self) -> str:
        return self.external_id

    @property
    def booked_late(self) -> bool:
        """Booked to a later month than its date's (its own month was closed)."""
        return self.month != self.date.year * 12 + self.date.month - 1

    @property
    def booked_month_first_day(self) -> datetime.date:
        return datetime.date(self.month // 12, self.month % 12 + 1, 1)


class CreditKind(models.TextChoices):
    SPLIT = "split", _("Split")
    OVERLAY = "overlay", _("Overlay")


class Credit(WorkspaceModel):
    """Who a sale counts for. Split shares of a sale sum to exactly 10,000 basis points and
    their ``amount``s to the sale amount (largest remainder); overlays count for their seller
    only. ``unit`` is the seller's team on the day of the sale."""

    # No database constraints and few indexes: see ``Sale``. Keyed by its natural key, which
    # leads with the sale (a page's credits, a sale's deletion): no ``id``, its sequence and
    # its index (a quarter of the cost of storing a credit, measured). The seller's own index
    # serves the seller's credits (the seller fixes the workspace); a team's deletion (refused
    # while it has members) scans.
    pk = models.CompositePrimaryKey("workspace", "sale", "seller", "kind")
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    sale = models.ForeignKey(
        Sale, on_delete=models.CASCADE, related_name="credits", db_index=False, db_constraint=False
    )
    seller = models.ForeignKey(
        "accounts.Membership",
        on_delete=models.PROTECT,
        related_name="sale_credits",
        db_constraint=False,
    )
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    kind = models.CharField(max_length=7, choices=CreditKind.choices)
    basis_points = models.IntegerField()
    amount = models.BigIntegerField()
    origin = models.CharField(max_length=4, default="row")  # row | rule

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(basis_points__gt=0) & models.Q(basis_points__lte=10_000),
                name="credit_share_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sale_id}:{self.seller_id}:{self.kind}:{self.basis_points}"


class RuleTarget(models.TextChoices):
    OWNER = "owner", _("A named person")
    ACCOUNT_MANAGER = "account", _("The account's channel manager")


class CreditRule(WorkspaceModel):
    """Who gets a sale's credit when the row does not say, per channel and/or territory.

    A ``split`` rule credits 100% of the sales it matches that name no seller; an ``overlay``
    rule adds an overlay credit on every sale it matches. The most specific active rule wins
    (channel and territory > territory > channel), then the lowest ``priority``.
    """

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    territory = models.CharField(_("territory"), max_length=100, blank=True)
    kind = models.CharField(
        _("credit"), max_length=7, choices=CreditKind.choices, default=CreditKind.SPLIT
    )
    target = models.CharField(
        _("goes to"), max_length=7, choices=RuleTarget.choices, default=RuleTarget.OWNER
    )
    owner = models.ForeignKey(
        "accounts.Membership",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    priority = models.PositiveIntegerField(_("priority"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("crediting rule")
        verbose_name_plural = _("crediting rules")
        ordering = ["priority", "id"]
        indexes = [models.Index(fields=["workspace", "is_active"], name="creditrule_ws_active")]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="creditrule_unique_uuid"),
        ]

    def __str__(self) -> str:
        parts = [str(self.channel) if self.channel else "", self.territory]
        return " / ".join(p for p in parts if p) or str(_("every sale"))


class MissingRate(models.TextChoices):
    PREVIOUS = "previous", _("Use the last rate known on or before the sale's date")
    REFUSE = "refuse", _("Refuse the sale unless its date has a rate")


class CurrencySettings(WorkspaceModel):
    """How a workspace converts sales in other currencies (one row per workspace, created on
    first change; no row means the defaults)."""

    missing_rate = models.CharField(
        _("when the sale's date has no rate"),
        max_length=8,
        choices=MissingRate.choices,
        default=MissingRate.PREVIOUS,
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace"], name="currencysettings_one"),
        ]

    def __str__(self) -> str:
        return self.missing_rate


class ExchangeRate(WorkspaceModel):
    """What one unit of ``currency`` is worth in the workspace currency from ``date`` on.

    ``rate`` is integer ``10**-RATE_PLACES`` units (:mod:`pacte.lib.currency`): exact, never a
    float (SQLite keeps decimals as floating point)."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    currency = models.CharField(_("currency"), max_length=3)
    date = models.DateField(_("date"))
    rate = models.BigIntegerField(_("rate"))
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="exchangerate_unique_uuid"),
            models.UniqueConstraint(
                fields=["workspace", "currency", "date"], name="exchangerate_unique_day"
            ),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchangerate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.date}"

"""Data sources: a connection to a remote system (kind, settings, encrypted credentials,
mapping, schedule, cursor), its sync runs, and the webhook events it received."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pacte.accounts.models import WorkspaceModel


class Every(models.TextChoices):
    OFF = "off", _("Only by hand")
    HOUR = "hour", _("Every hour")
    DAY = "day", _("Every day")
    WEEK = "week", _("Every week")


class Connection(WorkspaceModel):
    """One data source of a workspace.

    ``config`` holds the connector's plain settings; ``secrets`` the secret ones as one
    encrypted JSON object (``pacte.encryption``), never shown back; ``webhook_secret`` signs
    inbound webhooks (encrypted too). ``profile`` is the sales import's mapping profile the
    records are read with (sale field → remote field, date order, amount format), as a file's
    columns are; none: the fields the connector names as a sale's are taken as they are.
    ``cursor`` is when the last successful sync started (the next one asks for
    records modified since then, minus the overlap window)."""

    visible_to_every_member = False

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    kind = models.CharField(_("kind"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    config = models.JSONField(default=dict, blank=True)
    secrets = models.TextField(blank=True, default="")
    webhook_secret = models.TextField(blank=True, default="")
    profile = models.ForeignKey(
        "sales.MappingProfile",
        verbose_name=_("column mapping"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    default_channel = models.CharField(_("default channel"), max_length=100, blank=True)
    every = models.CharField(_("schedule"), max_length=5, choices=Every.choices, default=Every.DAY)
    hour = models.PositiveSmallIntegerField(_("hour"), default=2)
    full_every_days = models.PositiveSmallIntegerField(
        _("full reconciliation every (days)"), default=7
    )
    cursor = models.DateTimeField(null=True, blank=True)
    last_full_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("data source")
        verbose_name_plural = _("data sources")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="connection_unique_uuid"),
            models.UniqueConstraint(fields=["workspace", "name"], name="connection_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def mapping(self) -> dict[str, str]:
        """Sale field → remote field, from the mapping profile (empty without one)."""
        return dict(self.profile.mapping) if self.profile is not None else {}

    @property
    def date_order(self) -> str:
        return self.profile.date_order if self.profile is not None else "auto"

    @property
    def amount_style(self) -> str:
        return self.profile.amount_style if self.profile is not None else "auto"

    @property
    def source(self) -> str:
        """The ``source`` of the sales it stores: a (source, external id) pair is one sale."""
        return f"sync:{self.uuid}"


class SyncMode(models.TextChoices):
    INCREMENTAL = "incremental", _("Incremental")
    FULL = "full", _("Full reconciliation")
    DRY_RUN = "dry_run", _("Dry run")
    WEBHOOK = "webhook", _("Webhook")


class SyncStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class SyncRun(WorkspaceModel):
    """One sync of a connection: what it read and what it changed, or why it failed
    (``errors``: record id, field, code, message). Kept when the connection is deleted."""

    MAX_KEPT_ERRORS = 200

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    connection = models.ForeignKey(
        Connection, on_delete=models.SET_NULL, null=True, blank=True, related_name="runs"
    )
    connection_name = models.CharField(max_length=100, blank=True)
    mode = models.CharField(max_length=12, choices=SyncMode.choices)
    status = models.CharField(max_length=8, choices=SyncStatus.choices, default=SyncStatus.QUEUED)
    task_id = models.CharField(max_length=64, blank=True, default="")
    created_by = models.ForeignKey(
        "accounts.Membership", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_read = models.BigIntegerField(default=0)
    new_count = models.BigIntegerField(default=0)
    changed_count = models.BigIntegerField(default=0)
    deleted_count = models.BigIntegerField(default=0)
    unchanged_count = models.BigIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    error_count = models.IntegerField(default=0)
    message_code = models.CharField(max_length=40, blank=True)
    message = models.TextField(blank=True)
    preview = models.JSONField(default=list, blank=True)
    import_job = models.ForeignKey(
        "sales.ImportJob", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    job = models.ForeignKey(
        "jobs.BackgroundJob", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("sync")
        verbose_name_plural = _("syncs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "connection", "-created_at"], name="syncrun_conn"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="syncrun_unique_uuid"),
        ]

    def __str__(self) -> str:
        return f"{self.connection_name} {self.mode} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_finished(self) -> bool:
        return self.status in (SyncStatus.DONE, SyncStatus.FAILED)


class WebhookEvent(WorkspaceModel):
    """An event pushed to a connection's webhook: its id makes a second delivery a no-op.
    ``rows`` are the records it carried (remote fields), stored by a sync run of mode
    ``webhook`` on a worker."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(max_length=200)
    received_at = models.DateTimeField(default=timezone.now)
    rows = models.JSONField(default=list)
    run = models.ForeignKey(
        SyncRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "connection", "event_id"], name="webhookevent_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.event_id

"""Workers' heartbeats, job statistics, and the workspaces' schedules with their runs.

The queue itself is django-tasks-db's ``DBTaskResult`` table; this app adds what a durable
service needs around it: which worker holds which job (so a job whose worker died is taken up
again), counters that any web process can expose, and schedules that run exactly once.
"""

from __future__ import annotations

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pacte.accounts.models import Membership, WorkspaceModel


class WorkerHeartbeat(models.Model):
    """A running ``pacte worker``: updated every few seconds while it lives. ``task_id`` is the
    job it holds (its lease); a job whose worker was not seen for the lease is run again."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)
    task_id = models.UUIDField(null=True, blank=True)

    class Meta:
        verbose_name = _("worker")
        verbose_name_plural = _("workers")

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid} ({self.worker_id})"


#: Upper bounds (seconds) of the job duration histogram exposed on /metrics.
DURATION_BUCKETS = (0.1, 0.5, 1.0, 5.0, 30.0, 120.0, 600.0, 3600.0)


class TaskStat(models.Model):
    """Counters of finished jobs per task name and outcome, summed by the workers (one UPDATE
    per job) so that /metrics on any web process shows the jobs of every machine.

    ``b0``…``b7`` count jobs that took at most ``DURATION_BUCKETS[i]`` seconds (not cumulative);
    ``rows`` counts the rows a job reports (imported sales)."""

    task = models.CharField(max_length=100)
    outcome = models.CharField(max_length=12)  # successful | failed | retried | lost
    count = models.BigIntegerField(default=0)
    seconds = models.FloatField(default=0.0)
    rows = models.BigIntegerField(default=0)
    b0 = models.BigIntegerField(default=0)
    b1 = models.BigIntegerField(default=0)
    b2 = models.BigIntegerField(default=0)
    b3 = models.BigIntegerField(default=0)
    b4 = models.BigIntegerField(default=0)
    b5 = models.BigIntegerField(default=0)
    b6 = models.BigIntegerField(default=0)
    b7 = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "outcome"], name="taskstat_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.task} {self.outcome}: {self.count}"


class Schedule(WorkspaceModel):
    """When a periodic job of a workspace runs: enabled, weekday or day of month, hour and
    minute in the workspace's time zone. ``kind`` names an entry of ``pacte.jobs.kinds.KINDS``;
    ``target`` tells apart several schedules of one kind (a data source's uuid; "" otherwise).

    ``active_since`` moves whenever the timing changes: a slot before it is never caught up."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    kind = models.CharField(_("kind"), max_length=40)
    target = models.CharField(max_length=64, blank=True, default="")
    enabled = models.BooleanField(_("enabled"), default=True)
    weekday = models.PositiveSmallIntegerField(
        _("day of the week"), default=0, validators=[MaxValueValidator(6)]
    )
    day = models.PositiveSmallIntegerField(
        _("day of the month"), default=1, validators=[MinValueValidator(1), MaxValueValidator(28)]
    )
    hour = models.PositiveSmallIntegerField(
        _("hour"), default=8, validators=[MaxValueValidator(23)]
    )
    minute = models.PositiveSmallIntegerField(
        _("minute"), default=0, validators=[MaxValueValidator(59)]
    )
    active_since = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="schedule_unique_uuid"),
            models.UniqueConstraint(
                fields=["workspace", "kind", "target"], name="schedule_unique_kind"
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6)
                & models.Q(day__gte=1)
                & models.Q(day__lte=28)
                & models.Q(hour__lte=23)
                & models.Q(minute__lte=59),
                name="schedule_timing_valid",
            ),
        ]

    def __str__(self) -> str:
        from pacte.jobs.kinds import KINDS

        return str(KINDS[self.kind].label) if self.kind in KINDS else self.kind


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ScheduleRun(WorkspaceModel):
    """One due slot of a schedule. The unique (workspace, kind, target, due_at) is what makes a
    slot run once, however many schedulers see it due: the first insert wins."""

    kind = models.CharField(max_length=40)
    target = models.CharField(max_length=64, blank=True, default="")
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    task_id = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    count = models.IntegerField(null=True, blank=True)  # e-mails sent, snapshots stored…
    message_code = models.CharField(max_length=40, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "kind", "target", "due_at"], name="schedulerun_unique_slot"
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "kind", "-due_at"], name="schedulerun_ws_kind_due"),
            models.Index(fields=["status", "created_at"], name="schedulerun_status"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.due_at:%Y-%m-%d %H:%M}"


class Delivery(WorkspaceModel):
    """A member already served by a run (a digest e-mail, a reminder): a run taken up again
    after its worker died skips them instead of sending twice. The workspace is the run's."""

    run = models.ForeignKey(ScheduleRun, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "run", "member"], name="delivery_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.member_id}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class BackgroundJob(WorkspaceModel):
    """Work a member started that runs on a worker instead of in their request (a rule change
    that credits many sales again, a large cascade): the row they follow on its page.

    ``kind`` names an entry of ``pacte.jobs.work.WORK``; ``params`` is what its runner needs
    (ids as text); ``result`` what it made (the run's uuid…). ``message`` is written in the
    creator's language when the job fails; ``request_id`` is the id of the request that
    started it, bound to every log line of the job."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    result = models.JSONField(default=dict, blank=True)
    message_code = models.CharField(max_length=40, blank=True)
    message = models.TextField(blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="backgroundjob_ws_created"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="backgroundjob_unique_uuid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.uuid}"

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

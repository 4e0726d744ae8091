"""The job queue around django-tasks-db: leases of dead workers, retries, give-up handlers,
withdrawing a queued job, counters, and the queue's state for /healthz and /metrics.

Every function here is set-based and cheap enough to run every few seconds."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, F, Max, Min, Q, When
from django.tasks import Task, task_backends
from django.tasks.base import TaskResultStatus
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import exclusive_transaction

from pacte.jobs.models import DURATION_BUCKETS, TaskStat, WorkerHeartbeat

logger = logging.getLogger("pacte.jobs")

#: task module path → what to do when the task fails for good (given the task's args and a
#: reason code: ``failed``, ``retries_exhausted`` or ``worker_lost``). The handler leaves the
#: task's user-visible row (an import job, a schedule run) finished with a message.
_GIVE_UP: dict[str, Callable[..., None]] = {}


def on_give_up(task: Task[Any, Any]) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register what ends a task's user-visible row when the task fails for good::

    @on_give_up(run_import_task)
    def _import_given_up(job_id: int, *, reason: str) -> None: ...
    """

    def register(handler: Callable[..., None]) -> Callable[..., None]:
        _GIVE_UP[task.module_path] = handler
        return handler

    return register


def give_up(result: DBTaskResult, reason: str) -> None:
    """Call the task's give-up handler (never raising: it is logged)."""
    try:
        result.task  # noqa: B018 - imports the task's module, which registers its handler
    except Exception:
        logger.exception("Task %s (%s) cannot be loaded", result.id, result.task_path)
        return
    handler = _GIVE_UP.get(result.task_path)
    if handler is None:
        return
    args, kwargs = result.args_kwargs["args"], result.args_kwargs["kwargs"]
    try:
        handler(*args, reason=reason, **kwargs)
    except Exception:
        logger.exception("The give-up handler of task %s (%s) failed", result.id, result.task_path)


def uses_database_queue() -> bool:
    return isinstance(task_backends["default"], DatabaseBackend)


def withdraw(task: Task[Any, Any], *args: Any) -> int:
    """Delete the queued (not yet started) runs of ``task`` with these arguments, so that a
    cancelled job never runs. Returns how many were withdrawn (0 on other backends)."""
    if not uses_database_queue():
        return 0
    deleted, _detail = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=task.module_path, args_kwargs__args=list(args)
    ).delete()
    return deleted


def retry_delay(attempt: int) -> float:
    """Seconds before attempt ``attempt + 1``: the base doubled at each attempt, at most 10
    minutes, with up to 10 % of jitter so that retries of one outage do not arrive together."""
    base = settings.PACTE_JOB_RETRY_SECONDS * 2 ** max(0, attempt - 1)
    return min(base, 600.0) * (1 + random.random() / 10)


def attempts_of(result: DBTaskResult) -> int:
    return len(result.worker_ids or [])


def put_back(result: DBTaskResult, *, delay: float) -> None:
    """Queue a started job again (run again after ``delay`` seconds)."""
    result.status = TaskResultStatus.READY
    result.run_after = timezone.now() + timedelta(seconds=delay) if delay else get_date_max()
    result.save(update_fields=["status", "run_after"])


def requeue_expired(now: datetime | None = None) -> tuple[int, int]:
    """Take back the jobs whose worker was not seen for the lease: queued again while they have
    attempts left, else failed (their give-up handler ends the user-visible row). A job whose
    attempt started less than a lease ago is left alone (its worker may not have beaten yet).
    Returns (requeued, failed)."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.PACTE_JOB_LEASE_SECONDS)
    held = WorkerHeartbeat.objects.filter(last_seen__gte=stale, task_id__isnull=False).values(
        "task_id"
    )
    candidates = list(
        DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=stale)
        .exclude(id__in=held)
        .values_list("id", flat=True)[:100]
    )
    requeued = failed = 0
    for task_id in candidates:
        given_up: DBTaskResult | None = None
        with exclusive_transaction():
            result = (
                DBTaskResult.objects.select_for_update(skip_locked=True)
                .filter(id=task_id, status=TaskResultStatus.RUNNING, started_at__lt=stale)
                .exclude(id__in=held)
                .first()
            )
            if result is None:
                continue
            if attempts_of(result) >= settings.PACTE_JOB_MAX_ATTEMPTS:
                result.set_failed(WorkerLost(f"worker {result.worker_ids[-1]} stopped"))
                given_up = result
                failed += 1
            else:
                put_back(result, delay=0)
                requeued += 1
            logger.warning(
                "Job %s (%s) lost its worker %s: %s",
                result.id,
                result.task_path,
                (result.worker_ids or ["?"])[-1],
                "failed after its last attempt" if given_up else "queued again",
            )
            count(result.task_name, "lost", 0.0)
        if given_up is not None:
            give_up(given_up, "worker_lost")
    # Heartbeats of workers gone for long are forgotten (a clean exit deletes its own).
    WorkerHeartbeat.objects.filter(last_seen__lt=now - timedelta(days=1)).delete()
    return requeued, failed


class WorkerLost(Exception):
    """The job's worker stopped (killed, machine lost) on its last attempt."""


def count(task: str, outcome: str, seconds: float, rows: int = 0) -> None:
    """Add one finished job to the counters (one UPDATE; the row is made the first time)."""
    bucket = next(
        (f"b{i}" for i, bound in enumerate(DURATION_BUCKETS) if seconds <= bound),
        None,
    )
    changes: dict[str, Any] = {
        "count": F("count") + 1,
        "seconds": F("seconds") + seconds,
        "rows": F("rows") + rows,
    }
    if bucket:
        changes[bucket] = F(bucket) + 1
    task = task[:100]
    if not TaskStat.objects.filter(task=task, outcome=outcome).update(**changes):
        with transaction.atomic():
            TaskStat.objects.get_or_create(task=task, outcome=outcome)
            TaskStat.objects.filter(task=task, outcome=outcome).update(**changes)


@dataclass(frozen=True)
class QueueState:
    """What /healthz and /metrics say about the queue and the workers."""

    waiting: int
    running: int
    oldest_wait: float | None  # seconds the oldest ready job has waited
    waiting_by_task: dict[str, int]
    workers_alive: int
    workers_busy: int
    last_seen: datetime | None
    lease: float

    @property
    def stalled(self) -> bool:
        """Jobs wait and nobody takes them: no live worker, or the oldest waits too long."""
        if not self.waiting:
            return False
        too_old = (self.oldest_wait or 0) > settings.PACTE_HEALTH_MAX_WAIT_SECONDS
        return self.workers_alive == 0 or too_old


def queue_state(now: datetime | None = None) -> QueueState:
    """Three aggregate queries: ready jobs by task, running jobs, heartbeats."""
    now = now or timezone.now()
    lease = settings.PACTE_JOB_LEASE_SECONDS
    ready = DBTaskResult.objects.ready()
    by_task: dict[str, int] = {}
    oldest: datetime | None = None
    # A job waits from its enqueueing, or from the end of its retry delay.
    since = Case(When(run_after=get_date_max(), then=F("enqueued_at")), default=F("run_after"))
    for row in ready.values("task_path").annotate(n=Count("id"), first=Min(since)):
        by_task[row["task_path"].rsplit(".", 1)[-1]] = row["n"]
        if oldest is None or row["first"] < oldest:
            oldest = row["first"]
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count()
    alive = WorkerHeartbeat.objects.filter(last_seen__gte=now - timedelta(seconds=lease))
    beats = alive.aggregate(
        n=Count("id"), busy=Count("id", filter=Q(task_id__isnull=False)), last=Max("last_seen")
    )
    last = beats["last"] or WorkerHeartbeat.objects.aggregate(last=Max("last_seen"))["last"]
    return QueueState(
        waiting=sum(by_task.values()),
        running=running,
        oldest_wait=max(0.0, (now - oldest).total_seconds()) if oldest else None,
        waiting_by_task=by_task,
        workers_alive=beats["n"],
        workers_busy=beats["busy"],
        last_seen=last,
        lease=lease,
    )


def prune(*, older_than_days: int = 14) -> int:
    """Delete finished job rows older than ``older_than_days`` (the scheduler calls it)."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _detail = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED], finished_at__lt=cutoff
    ).delete()
    return deleted

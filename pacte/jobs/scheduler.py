"""The scheduler: finds the schedules whose latest slot is due and starts each slot once.

Any number of schedulers may run (``pacte scheduler``, ``pacte worker --with-scheduler``): a
slot becomes a ``ScheduleRun`` row under a unique (workspace, kind, target, due_at) key, and
only the scheduler whose insert committed enqueues its job. Only the latest slot of a schedule
is considered, so a schedule whose slots were missed while everything was down runs once when
the service is back, not once per missed slot; a slot before the schedule was set up or changed
(``active_since``) never runs."""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Callable
from datetime import datetime, timedelta

from dateutil import rrule
from django.db import IntegrityError, transaction
from django.utils import timezone

from pacte.accounts.models import Workspace
from pacte.jobs.kinds import KINDS, workspace_kinds
from pacte.jobs.models import RunStatus, Schedule, ScheduleRun
from pacte.jobs.recurrence import last_due, next_due, slots

logger = logging.getLogger("pacte.jobs")

#: A run row whose job was never enqueued (its scheduler died between commit and enqueue) is
#: enqueued again after this long.
UNQUEUED_GRACE = timedelta(minutes=2)


def ensure_schedules(workspaces: list[Workspace] | None = None) -> None:
    """Give every workspace a schedule of each kind (the kind's defaults), in one insert."""
    workspaces = workspaces if workspaces is not None else list(Workspace.objects.all())
    have = set(
        Schedule.objects.filter(target="", workspace__in=workspaces).values_list(
            "workspace_id", "kind"
        )
    )
    now = timezone.now()
    missing = [
        Schedule(
            workspace=ws,
            kind=kind.code,
            enabled=kind.enabled,
            weekday=kind.weekday,
            day=kind.day,
            hour=kind.hour,
            minute=kind.minute,
            active_since=now,
        )
        for ws in workspaces
        for kind in workspace_kinds().values()
        if (ws.pk, kind.code) not in have
    ]
    if missing:
        Schedule.objects.bulk_create(missing, ignore_conflicts=True)


def zone_of(workspace: Workspace) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(workspace.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Europe/Paris")


def rule_of(schedule: Schedule) -> rrule.rrule:
    return slots(
        KINDS[schedule.kind].every,
        weekday=schedule.weekday,
        day=schedule.day,
        hour=schedule.hour,
        minute=schedule.minute,
        fiscal_start_month=schedule.workspace.fiscal_year_start_month,
    )


def due_slot(schedule: Schedule, now: datetime) -> datetime | None:
    """The slot of ``schedule`` to run at ``now``, if any (run or not yet)."""
    if not schedule.enabled or schedule.kind not in KINDS:
        return None
    due = last_due(rule_of(schedule), zone_of(schedule.workspace), now)
    if due is None or due < schedule.active_since:
        return None
    return due


def next_slot(schedule: Schedule, now: datetime) -> datetime | None:
    if not schedule.enabled or schedule.kind not in KINDS:
        return None
    return next_due(rule_of(schedule), zone_of(schedule.workspace), now)


def tick(now: datetime | None = None) -> int:
    """Start every due slot not started yet; returns how many this call started."""
    now = now or timezone.now()
    ensure_schedules()
    due = [
        (schedule, slot)
        for schedule in Schedule.objects.filter(enabled=True).select_related("workspace")
        if (slot := due_slot(schedule, now)) is not None
    ]
    started = 0
    if due:
        earliest = min(slot for _s, slot in due)
        known = set(
            ScheduleRun.objects.filter(due_at__gte=earliest).values_list(
                "workspace_id", "kind", "target", "due_at"
            )
        )
        for schedule, slot in due:
            if (schedule.workspace_id, schedule.kind, schedule.target, slot) in known:
                continue
            if start(schedule, slot):
                started += 1
    enqueue_forgotten(now)
    for hook in _TICK_HOOKS:
        try:
            hook(now)
        except Exception:
            logger.exception("Scheduler hook %s failed", getattr(hook, "__qualname__", hook))
    return started


#: What other apps run at every tick (the webhooks' retry sweep), registered at start-up.
_TICK_HOOKS: list[Callable[[datetime], object]] = []


def on_tick(hook: Callable[[datetime], object]) -> None:
    """Run ``hook(now)`` at every scheduler tick (once per hook, however often registered)."""
    if hook not in _TICK_HOOKS:
        _TICK_HOOKS.append(hook)


def start(schedule: Schedule, due_at: datetime) -> bool:
    """Insert the run of one slot and enqueue its job when the insert commits; False when
    another scheduler got there first."""
    try:
        with transaction.atomic():
            run = ScheduleRun.objects.create(
                workspace_id=schedule.workspace_id,
                kind=schedule.kind,
                target=schedule.target,
                due_at=due_at,
            )
            run_id = run.pk
            transaction.on_commit(lambda: enqueue(run_id))
    except IntegrityError:
        return False
    logger.info(
        "Schedule %s of workspace %s: slot %s started", schedule.kind, schedule.workspace_id, due_at
    )
    return True


def enqueue(run_id: int) -> None:
    from pacte.jobs.tasks import run_schedule_task

    result = run_schedule_task.enqueue(run_id)
    ScheduleRun.objects.filter(pk=run_id, task_id="").update(task_id=str(result.id))


def enqueue_forgotten(now: datetime) -> None:
    """Enqueue the runs whose scheduler stopped between inserting them and enqueueing."""
    for run_id in ScheduleRun.objects.filter(
        status=RunStatus.QUEUED, task_id="", created_at__lt=now - UNQUEUED_GRACE
    ).values_list("pk", flat=True)[:100]:
        logger.warning("Schedule run %s was never enqueued: enqueued now", run_id)
        enqueue(run_id)
